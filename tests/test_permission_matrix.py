"""Every page and form against every persona, on sponsor A's objects (DESIGN §7).

Another sponsor's object is a 404, never a 403. Anonymous users are sent to sign in. The API
has its own matrix in tests/api/test_api_permission_matrix.py.
"""

import pytest

from comms.models import Update
from tests.conftest import PERSONAS, client_for
from tests.factories import UpdateFactory

LOGIN = 302  # anonymous: redirect to the sign-in page
OK, FORBIDDEN, NOT_FOUND, CREATED = 200, 403, 404, 302

UPDATE_FORM = {
    "title": "Matrix",
    "body": "Row",
    "category": "general",
    "significance": "info",
    "audience": "sponsor",
}

# (method, url, data, expected status per persona in PERSONAS order:
#  anonymous, lead_a, viewer_a, lead_b, staff, pm, leader)
MATRIX = [
    ("get", "/", None, [LOGIN, 302, 302, 302, 302, 302, 302]),
    ("get", "/programs/", None, [LOGIN, OK, OK, OK, OK, OK, OK]),
    ("get", "/programs/HLX-101/", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", "/programs/HLX-101/?fragment=feed", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    (
        "post",
        "/programs/HLX-101/updates/",
        UPDATE_FORM,
        [LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, CREATED, CREATED],
    ),
    (
        "post",
        "/programs/HLX-101/updates/{draft}/publish/",
        {},
        [LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, 302, 302],
    ),
    ("get", "/programs/HLX-101/?fragment=overview", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    (
        "post",
        "/programs/HLX-101/health/",
        {"health": "red", "reason": "Matrix"},
        [LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, CREATED, CREATED],
    ),
    ("get", "/programs/HLX-101/history/", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", "/programs/HLX-101/history/?export=csv", None, [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]),
    ("get", "/workspace/", None, [LOGIN, 302, 302, 302, OK, OK, OK]),
    ("get", "/notifications/", None, [LOGIN, OK, OK, OK, OK, OK, OK]),
    ("get", "/settings/tokens/", None, [LOGIN, OK, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN]),
    (
        "post",
        "/settings/tokens/{token}/revoke/",
        {},
        [LOGIN, 302, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND],
    ),
    ("get", "/accounts/password/", None, [LOGIN, OK, OK, OK, OK, OK, OK]),
    ("get", "/accounts/login/", None, [OK, 302, 302, 302, 302, 302, 302]),
    ("get", "/events/", None, [204, 204, 204, 204, 204, 204, 204]),
    ("get", "/healthz", None, [OK] * 7),
    ("get", "/readyz", None, [OK] * 7),
    ("post", "/accounts/logout/", {}, [302] * 7),
    # The calendar feed's secret is its only credential (calendar clients send no cookie).
    ("get", "/calendar/{feed}.ics", None, [OK] * 7),
    ("get", "/calendar/not-the-secret.ics", None, [NOT_FOUND] * 7),
    ("get", "/admin/", None, [LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN]),
]


@pytest.mark.parametrize(
    ("method", "url", "data", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _, _ in MATRIX]
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(world, persona, method, url, data, expected):
    from governance.services import calendar_feed_rotate
    from portal.services import api_token_create

    draft = UpdateFactory(
        program=world.program, audience="internal", published_at=None, author=world.pm
    )
    token, _ = api_token_create(actor=world.lead_a, user=world.lead_a, name="LIMS")
    feed = calendar_feed_rotate(user=world.lead_a)
    url = url.format(draft=draft.pk, token=token.pk, feed=feed.secret)

    response = getattr(client_for(world, persona), method)(url, data)

    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:300]
    if response.status_code in (FORBIDDEN, NOT_FOUND) and method == "post":
        assert Update.objects.filter(title="Matrix").count() == 0
        assert Update.objects.get(pk=draft.pk).audience == "internal"
        token.refresh_from_db()
        assert token.revoked_at is None
        world.program.refresh_from_db()
        assert world.program.health == "green"
