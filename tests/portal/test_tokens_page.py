"""A sponsor lead creates and revokes their organisation's API tokens."""

from portal.models import ApiToken, AuditEntry
from tests.support.world import client_for


def test_a_lead_creates_a_token_and_sees_the_key_once(world):
    client = client_for(world, "lead_a")
    response = client.post("/settings/tokens/", {"name": "LIMS sync"})
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
    client_for(world, "lead_a").post("/settings/tokens/", {"name": "LIMS"})
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
    client_for(world, "lead_b").post("/settings/tokens/", {"name": "Borealis ERP"})
    assert (
        "Borealis ERP" not in client_for(world, "lead_a").get("/settings/tokens/").content.decode()
    )
