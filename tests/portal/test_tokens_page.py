"""A sponsor lead creates and revokes their organisation's API tokens."""

import datetime

import pytest

from portal import clock
from portal.models import ApiToken, AuditEntry
from portal.services import api_token_create
from tests.support.api import token_client
from tests.support.world import client_for


@pytest.mark.clause("EU GMP Annex 11 §12.3")
def test_a_lead_creates_a_token_and_sees_the_key_once(world):
    client = client_for(world, "lead_a")
    response = client.post("/settings/tokens/", {"name": "LIMS sync", "scope": "read"})
    assert response.status_code == 200
    token = ApiToken.objects.get()
    body = response.content.decode()
    key = body.split('<pre class="secret"><code>')[1].split("</code>")[0]
    assert token.key_hash == ApiToken.hash_key(key)
    assert key not in token.key_hash
    assert key not in client.get("/settings/tokens/").content.decode()
    assert AuditEntry.objects.filter(model="portal.apitoken", action="create").exists()


def test_a_token_without_a_name_is_refused_inline(world):
    response = client_for(world, "lead_a").post("/settings/tokens/", {"name": "  "})
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_lead_revokes_a_token_and_another_sponsor_cannot(world):
    client_for(world, "lead_a").post("/settings/tokens/", {"name": "LIMS", "scope": "read"})
    token = ApiToken.objects.get()

    assert (
        client_for(world, "lead_b").post(f"/settings/tokens/{token.pk}/revoke/").status_code == 404
    )
    token.refresh_from_db()
    assert token.revoked_at is None

    assert (
        client_for(world, "lead_a").post(f"/settings/tokens/{token.pk}/revoke/").status_code == 302
    )
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.revoked_by == world.lead_a


def test_other_sponsors_tokens_are_not_listed(world):
    client_for(world, "lead_b").post("/settings/tokens/", {"name": "Borealis ERP", "scope": "read"})
    assert (
        "Borealis ERP" not in client_for(world, "lead_a").get("/settings/tokens/").content.decode()
    )


def test_a_lead_creates_a_read_only_token_for_one_program_with_an_expiry(world):
    day = clock.site_today() + datetime.timedelta(days=30)
    data = {
        "name": "LIMS",
        "scope": "read",
        "expires_on": day.isoformat(),
        "programs": [world.program.pk],
    }

    response = client_for(world, "lead_a").post("/settings/tokens/", data)

    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert (token.scope, token.expires_at) == ("read", clock.day_end(day))
    assert list(token.programs.all()) == [world.program]
    page = client_for(world, "lead_a").get("/settings/tokens/").content.decode()
    assert "Read only" in page
    assert "HLX-101" in page


def test_an_expiry_in_the_past_is_refused_inline_and_nothing_is_created(world):
    yesterday = clock.site_today() - datetime.timedelta(days=1)
    data = {"name": "LIMS", "scope": "read", "expires_on": yesterday.isoformat()}

    response = client_for(world, "lead_a").post("/settings/tokens/", data)

    assert response.status_code == 422
    assert "is in the past" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_another_sponsors_program_is_not_a_choice(world):
    data = {"name": "LIMS", "scope": "read", "programs": [world.program_b.pk]}

    response = client_for(world, "lead_a").post("/settings/tokens/", data)

    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_the_lead_sees_every_token_of_the_organisation_with_its_last_use(world):
    _, key = api_token_create(actor=None, user=world.viewer_a, name="Viewer's ERP")
    token_client(key).get("/api/v1/programs/", REMOTE_ADDR="192.0.2.44")

    page = client_for(world, "lead_a").get("/settings/tokens/").content.decode()

    assert "Viewer&#x27;s ERP" in page
    assert "192.0.2.44" in page
    token = ApiToken.objects.get()
    assert (
        client_for(world, "lead_a").post(f"/settings/tokens/{token.pk}/revoke/").status_code == 302
    )
    token.refresh_from_db()
    assert token.revoked_by == world.lead_a


@pytest.mark.clause("EU GMP Annex 11 §12.3")
def test_a_cdmo_administrator_sees_and_revokes_the_cdmos_tokens_only(world):
    api_token_create(actor=None, user=world.pm, name="PM dashboard")
    api_token_create(actor=None, user=world.lead_a, name="Helix LIMS")
    pm_token, helix_token = ApiToken.objects.order_by("pk")

    page = client_for(world, "leader").get("/settings/tokens/").content.decode()

    assert "PM dashboard" in page
    assert "Helix LIMS" not in page
    leader = client_for(world, "leader")
    assert leader.post(f"/settings/tokens/{helix_token.pk}/revoke/").status_code == 404
    assert leader.post(f"/settings/tokens/{pm_token.pk}/revoke/").status_code == 302
    pm_token.refresh_from_db()
    helix_token.refresh_from_db()
    assert pm_token.revoked_by == world.leader
    assert helix_token.revoked_at is None
    revoked = AuditEntry.objects.filter(model="portal.apitoken", action="update").get()
    assert revoked.object_pk == str(pm_token.pk)
