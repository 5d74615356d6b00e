"""Single sign-on against a real OpenID provider (allauth's own `idp.oidc`, in a second process):
the portal runs on pytest-django's live server, an HTTP client goes through the redirects, and
the portal's server calls the provider's discovery, token, keys and userinfo endpoints itself.

Helix's provider and Borealis's provider are two clients of the one test provider; its people
include Helix's lead, a Helix viewer, a Helix newcomer never invited to the portal, and a Helix
member whose email the provider has not verified.
"""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.utils.html import escape

from portal.models import AuditEntry, Membership, Organisation, OrganisationSso, User
from portal.sso import services
from portal.sso.views import NO_SSO
from tests.factories import member
from tests.support.oidc import Person, SsoBrowser, query_of, start_provider, with_query
from tests.support.world import build_world

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [
    Person("lead-helix", "lead@helix.example"),
    Person("viewer-helix", "viewer@helix.example"),
    Person("newcomer-helix", "newcomer@helix.example"),
    Person("unconfirmed-helix", "unconfirmed@helix.example", verified=False),
]


def callback(live_server, provider_id: str) -> str:
    return f"{live_server.url}/accounts/oidc/{provider_id}/login/callback/"


@pytest.fixture(scope="module")
def provider(live_server, tmp_path_factory):
    clients = {
        "helix-portal": callback(live_server, "sso-helix"),
        "borealis-portal": callback(live_server, "sso-borealis"),
    }
    with start_provider(
        tmp_path_factory.mktemp("provider"), clients=clients, people=PEOPLE
    ) as running:
        yield running


@pytest.fixture
def world(settings, provider):
    settings.SSO_ALLOW_HTTP = True
    world = build_world()
    for organisation, domain, client_id in (
        (world.sponsor_a, "helix.example", "helix-portal"),
        (world.sponsor_b, "borealis.example", "borealis-portal"),
    ):
        Organisation.objects.filter(pk=organisation.pk).update(email_domains=domain)
        organisation.refresh_from_db()
        services.organisation_sso_configure(
            actor=world.leader,
            organisation=organisation,
            provider=services.Provider(
                server_url=provider.url,
                client_id=client_id,
                secret=provider.secrets[client_id],
                required=False,
            ),
        )
    return world


@pytest.fixture
def visitor(live_server, provider) -> SsoBrowser:
    return SsoBrowser(portal=live_server.url, provider=provider.url)


def shows(answer, text: str) -> bool:
    return escape(text) in answer.text


def refusals() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).order_by("id"))


def test_an_invited_user_signs_in_through_their_sponsors_provider_and_the_link_is_audited(
    world, visitor
):
    started = visitor.start("lead@helix.example")
    authorize = query_of(started.headers["Location"])
    assert started.headers["Location"].startswith(visitor.provider)
    assert authorize["client_id"] == "helix-portal"
    assert authorize["login_hint"] == "lead@helix.example"
    assert authorize["nonce"]
    assert authorize["code_challenge_method"] == "S256"

    answer = visitor.finish(visitor.to_callback(started.headers["Location"], "lead-helix"))

    assert answer.status_code == 302, answer.text[:500]
    assert visitor.signed_in()
    link = SocialAccount.objects.get()
    assert (link.user, link.provider) == (world.lead_a, "sso-helix")
    linked = AuditEntry.objects.get(action=AuditEntry.Action.SSO_LINK)
    assert linked.object_pk == str(world.lead_a.pk)
    assert linked.changes["provider"] == [None, "sso-helix"]
    assert linked.changes["organisation"] == [None, "Helix"]
    signed_in = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert signed_in.object_pk == str(world.lead_a.pk)
    assert signed_in.changes["provider"] == [None, "sso-helix"]


def test_a_second_sign_in_uses_the_link_and_is_audited_without_linking_again(
    world, live_server, provider
):
    for _ in range(2):
        visitor = SsoBrowser(portal=live_server.url, provider=provider.url)
        assert visitor.sign_in("lead@helix.example", "lead-helix").status_code == 302
        assert visitor.signed_in()

    assert SocialAccount.objects.count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SSO_LINK).count() == 1
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN).count() == 2


def test_an_uninvited_email_is_refused_and_no_account_is_created(world, visitor):
    users = User.objects.count()

    answer = visitor.sign_in("newcomer@helix.example", "newcomer-helix")

    assert answer.status_code == 403
    assert shows(answer, "No invited account of Helix matches newcomer@helix.example")
    assert not visitor.signed_in()
    assert User.objects.count() == users
    assert not SocialAccount.objects.exists()
    (refused,) = refusals()
    assert refused.changes["email"] == [None, "newcomer@helix.example"]
    assert refused.changes["known_account"] == [None, False]
    assert "no account has this email" in refused.reason


def test_a_provider_of_another_sponsor_cannot_sign_in_a_user_of_a_different_organisation(
    world, visitor
):
    """Borealis's provider asserts Helix's lead's (verified) email: it is still refused."""
    callback_url = visitor.callback_for("someone@borealis.example", "lead-helix")
    assert "/accounts/oidc/sso-borealis/login/callback/" in callback_url

    answer = visitor.finish(callback_url)

    assert answer.status_code == 403
    assert shows(answer, "No invited account of Borealis matches lead@helix.example")
    assert not visitor.signed_in()
    assert not SocialAccount.objects.exists()
    (refused,) = refusals()
    assert refused.object_pk == str(world.lead_a.pk)
    assert "not a member of Borealis" in refused.reason


def test_a_callback_with_a_wrong_state_is_refused_and_audited(world, visitor):
    callback_url = visitor.callback_for("lead@helix.example", "lead-helix")

    answer = visitor.finish(with_query(callback_url, state="forged-state-0123456789"))

    assert answer.status_code == 400
    assert shows(answer, services.PROVIDER_FAILED)
    assert not visitor.signed_in()
    assert not SocialAccount.objects.exists()
    (refused,) = refusals()
    assert "single sign-on through sso-helix failed" in refused.reason


@pytest.mark.parametrize("pkce", [True, False], ids=["with PKCE", "without PKCE"])
def test_a_code_from_another_sign_in_attempt_is_refused(world, visitor, pkce):
    """A code injected into another attempt's callback: PKCE refuses it at the token endpoint;
    without PKCE the ID token's nonce is the other attempt's, and the portal refuses it."""
    app = SocialApp.objects.get(provider_id="sso-helix")
    app.settings = {**app.settings, "oauth_pkce_enabled": pkce}
    app.save()
    first = visitor.callback_for("lead@helix.example", "lead-helix")
    second = visitor.callback_for("lead@helix.example", "lead-helix")

    answer = visitor.finish(with_query(second, code=query_of(first)["code"]))

    assert answer.status_code == 400
    assert not visitor.signed_in()
    assert not SocialAccount.objects.exists()
    (refused,) = refusals()
    if pkce:
        assert "failed" in refused.reason
    else:
        assert shows(answer, services.NOT_STARTED_HERE)
        assert "nonce does not match" in refused.reason


def test_a_deactivated_user_is_refused(world, visitor):
    User.objects.filter(pk=world.viewer_a.pk).update(is_active=False)

    answer = visitor.sign_in("viewer@helix.example", "viewer-helix")

    assert answer.status_code == 403
    assert shows(answer, "the account is deactivated")
    assert not visitor.signed_in()
    assert not SocialAccount.objects.exists()
    (refused,) = refusals()
    assert "the account is deactivated" in refused.reason


def test_a_user_whose_access_has_ended_is_refused(world, visitor):
    Membership.objects.filter(user=world.viewer_a).update(access_ends_on="2020-01-31")

    answer = visitor.sign_in("viewer@helix.example", "viewer-helix")

    assert answer.status_code == 403
    assert shows(answer, "access ended on 31 January 2020")
    assert not visitor.signed_in()


def test_an_email_the_provider_has_not_verified_is_refused(world, visitor):
    member(world.sponsor_a, Membership.Role.SPONSOR_VIEWER, email="unconfirmed@helix.example")

    answer = visitor.sign_in("unconfirmed@helix.example", "unconfirmed-helix")

    assert answer.status_code == 403
    assert shows(answer, services.EMAIL_NOT_VERIFIED)
    assert not SocialAccount.objects.exists()


def test_an_email_at_a_domain_without_single_sign_on_is_told_to_use_a_password(world, visitor):
    answer = visitor.start("pm@nb.example")

    assert answer.status_code == 200
    assert shows(answer, NO_SSO)


def test_removing_a_provider_stops_its_sign_in(world, visitor):
    services.organisation_sso_remove(
        actor=world.leader, organisation=world.sponsor_a, reason="Contract ended"
    )

    callback_url = f"{visitor.portal}/accounts/oidc/sso-helix/login/callback/?state=x&code=y"

    assert visitor.finish(callback_url).status_code == 404
    assert not OrganisationSso.objects.filter(organisation=world.sponsor_a).exists()
