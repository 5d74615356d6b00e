"""Every API endpoint against every persona, on sponsor A's objects (DESIGN §7), by session
and by token. Another sponsor's program is a 404, never a 403; no credentials is a 401."""

import pytest
from django.test import Client

from comms.models import Update
from tests.api.conftest import new_token, post_json
from tests.conftest import PERSONAS, client_for
from tests.factories import UpdateFactory

OK, CREATED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = 200, 201, 401, 403, 404
NEW_UPDATE = {"title": "Matrix", "body": "Row"}

# (method, url, expected status per persona in PERSONAS order:
#  anonymous, lead_a, viewer_a, lead_b, staff, pm, leader)
MATRIX = [
    ("get", "/api/v1/programs/", [UNAUTHENTICATED, OK, OK, OK, OK, OK, OK]),
    ("get", "/api/v1/programs/HLX-101/", [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", "/api/v1/programs/HLX-101/status/", [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", "/api/v1/programs/HLX-101/updates/", [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]),
    (
        "post",
        "/api/v1/programs/HLX-101/updates/",
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, CREATED, CREATED],
    ),
    # The schema and its docs are public: they describe the API, not anyone's data.
    ("get", "/api/v1/schema/", [OK] * 7),
    ("get", "/api/v1/docs/", [OK] * 7),
]


def _client(world, persona: str, auth: str) -> Client:
    if auth == "session":
        return client_for(world, persona)
    if persona == "anonymous":
        return Client()
    return Client(headers={"Authorization": f"Token {new_token(getattr(world, persona))}"})


@pytest.mark.parametrize(
    ("method", "url", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _ in MATRIX]
)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("auth", ["session", "token"])
def test_api_permission_matrix(world, auth, persona, method, url, expected):
    UpdateFactory(program=world.program, title="Shared", author=world.pm)
    UpdateFactory(
        program=world.program,
        title="Internal",
        author=world.pm,
        audience="internal",
        published_at=None,
    )
    client = _client(world, persona, auth)

    response = post_json(client, url, NEW_UPDATE) if method == "post" else client.get(url)

    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:300]
    if response.status_code in (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND):
        assert "error" in response.json()
        assert not Update.objects.filter(title="Matrix").exists()
    if response.status_code == OK and "/api/v1/programs/" in url:
        _assert_no_leak(world, persona, response.content.decode())


def _assert_no_leak(world, persona, content):
    """Nothing of sponsor B reaches sponsor A, nor of sponsor A's internal notes any sponsor."""
    sponsor = persona in {"lead_a", "viewer_a", "lead_b"}
    if persona in {"lead_a", "viewer_a"}:
        assert "BOR-017" not in content
    if persona == "lead_b":
        assert "HLX-101" not in content
    if sponsor:
        assert "Internal" not in content
