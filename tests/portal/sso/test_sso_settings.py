"""CDMO administrators keep each sponsor's provider on the single sign-on page: every change is
audited, the client secret never appears again (not on the page, not in the audit trail), and
bad input is refused with a clear message and nothing changed."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialApp
from django.urls import reverse

from portal.models import AuditEntry, Organisation, OrganisationSso
from portal.sso import services
from tests.support.world import client_for

SECRET = "client-secret-only-once-7f3a"


@pytest.fixture
def helix(world) -> Organisation:
    Organisation.objects.filter(pk=world.sponsor_a.pk).update(email_domains="helix.example")
    world.sponsor_a.refresh_from_db()
    return world.sponsor_a


def form(**changes):
    data = {
        "server_url": "https://login.helix.example/realms/staff/",
        "client_id": "northbridge-portal",
        "secret": SECRET,
        "required": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(model="portal.organisationsso").order_by("id"))


def test_an_administrator_sets_up_a_sponsors_provider_and_the_secret_is_never_shown(world, helix):
    leader = client_for(world, "leader")
    url = reverse("sso-provider", kwargs={"slug": "helix"})

    response = leader.post(url, form())

    assert response.status_code == 302
    sso = OrganisationSso.objects.select_related("app").get(organisation=helix)
    assert sso.required
    assert sso.app.provider == "openid_connect"
    assert sso.app.provider_id == "sso-helix"
    assert sso.app.client_id == "northbridge-portal"
    assert sso.app.secret == SECRET
    assert sso.app.settings["server_url"] == "https://login.helix.example/realms/staff"
    page = leader.get(url).content.decode()
    assert SECRET not in page
    assert "http://testserver/accounts/oidc/sso-helix/login/callback/" in page
    (created,) = entries()
    assert created.action == AuditEntry.Action.CREATE
    assert created.actor == world.leader
    assert created.changes["secret"] == [None, services.SECRET_NOT_RECORDED]
    assert created.changes["required"] == [None, True]
    assert SECRET not in str(AuditEntry.objects.values_list("changes", flat=True))


def test_a_change_without_a_secret_keeps_the_stored_one_and_is_audited(world, helix):
    leader = client_for(world, "leader")
    url = reverse("sso-provider", kwargs={"slug": "helix"})
    leader.post(url, form())

    response = leader.post(url, form(secret="", required=None, client_id="portal-2"))

    assert response.status_code == 302
    app = SocialApp.objects.get(provider_id="sso-helix")
    assert (app.secret, app.client_id) == (SECRET, "portal-2")
    changed = entries()[-1]
    assert changed.action == AuditEntry.Action.UPDATE
    assert changed.changes == {
        "client_id": ["northbridge-portal", "portal-2"],
        "required": [True, False],
    }


def test_a_new_secret_is_recorded_as_changed_without_its_value(world, helix):
    leader = client_for(world, "leader")
    url = reverse("sso-provider", kwargs={"slug": "helix"})
    leader.post(url, form())

    leader.post(url, form(secret="rotated-secret-value"))

    assert entries()[-1].changes == {
        "secret": [services.SECRET_NOT_RECORDED, services.SECRET_NOT_RECORDED]
    }
    assert "rotated-secret-value" not in str(AuditEntry.objects.values_list("changes", flat=True))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"server_url": "http://login.helix.example"}, services.ISSUER_NOT_HTTPS),
        ({"server_url": "not a url"}, "Enter a valid URL."),
        ({"client_id": ""}, "This field is required."),
        ({"secret": ""}, services.SECRET_REQUIRED),
        ({"client_id": "bad\u0007id"}, "Use one line of printable text"),
    ],
    ids=["plain http", "not a URL", "no client id", "no secret", "control character"],
)
def test_bad_input_is_refused_with_a_message_and_nothing_changes(world, helix, changes, message):
    response = client_for(world, "leader").post(
        reverse("sso-provider", kwargs={"slug": "helix"}), form(**changes)
    )

    assert response.status_code == 422
    assert message.split("'")[0] in response.content.decode()
    assert not OrganisationSso.objects.exists()
    assert not SocialApp.objects.exists()
    assert entries() == []


def test_an_organisation_without_email_domains_cannot_have_single_sign_on(world):
    response = client_for(world, "leader").post(
        reverse("sso-provider", kwargs={"slug": "helix"}), form()
    )

    assert response.status_code == 422
    assert "Set the organisation" in response.content.decode()
    assert not OrganisationSso.objects.exists()


def test_removing_a_provider_needs_a_reason_and_is_audited(world, helix):
    leader = client_for(world, "leader")
    leader.post(reverse("sso-provider", kwargs={"slug": "helix"}), form())
    remove = reverse("sso-provider-remove", kwargs={"slug": "helix"})

    leader.post(remove, {"reason": ""})
    assert OrganisationSso.objects.exists()

    leader.post(remove, {"reason": "Sponsor moved to another identity provider"})

    assert not OrganisationSso.objects.exists()
    assert not SocialApp.objects.exists()
    removed = entries()[-1]
    assert removed.action == AuditEntry.Action.DELETE
    assert removed.reason == "Sponsor moved to another identity provider"
    assert removed.changes["client_id"] == ["northbridge-portal", None]


def test_only_cdmo_administrators_keep_providers(world, helix):
    url = reverse("sso-provider", kwargs={"slug": "helix"})

    assert client_for(world, "pm").post(url, form()).status_code == 403
    assert client_for(world, "lead_a").post(url, form()).status_code == 404
    assert not OrganisationSso.objects.exists()
    with pytest.raises(services.NotAllowed):
        services.organisation_sso_configure(
            actor=world.pm,
            organisation=helix,
            provider=services.Provider(
                server_url="https://x.example", client_id="c", secret="s", required=False
            ),
        )


def test_the_cdmo_itself_cannot_have_single_sign_on(world):
    Organisation.objects.filter(pk=world.cdmo.pk).update(email_domains="nb.example")

    response = client_for(world, "leader").post(
        reverse("sso-provider", kwargs={"slug": "northbridge"}), form()
    )

    assert response.status_code == 404


def test_the_sponsor_list_shows_who_has_single_sign_on(world, helix):
    leader = client_for(world, "leader")
    leader.post(reverse("sso-provider", kwargs={"slug": "helix"}), form())

    page = leader.get(reverse("sso-settings")).content.decode()

    assert "https://login.helix.example/realms/staff" in page
    assert "refused (single sign-on mandatory)" in page
    assert "Borealis" in page
