"""Every governance page, form and endpoint against every persona, on sponsor A's objects.

Another sponsor's object is a 404, never a 403; anonymous users are sent to sign in (pages) or
get a 401 (API). A refused write changes nothing: no audit entry is written.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from governance import services
from governance.models import CadenceSchedule
from portal.models import AuditEntry
from tests.api.conftest import new_token, post_json
from tests.conftest import PERSONAS, client_for
from tests.governance.builders import action_item, meeting, past_meeting, risk

LOGIN = 302
OK, REDIRECT, CREATED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = 200, 302, 201, 401, 403, 404
READ = [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]
TEAM_WRITE = [LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, REDIRECT, REDIRECT]
IN_A_WEEK = (timezone.localdate() + datetime.timedelta(days=7)).isoformat()
LATER = (timezone.localtime() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT10:00")


def _objects(world):
    held = past_meeting(world.program, attendees=[world.pm, world.lead_a])
    upcoming = meeting(world.program, attendees=[world.pm, world.lead_a])
    meeting(world.program_b, title="Borealis call")
    cadence = CadenceSchedule.objects.create(
        program=world.program,
        frequency="weekly",
        weekday=2,
        local_time=datetime.time(9),
        time_zone="Europe/London",
        starts_on=timezone.localdate(),
    )
    feed = services.calendar_feed_rotate(user=world.lead_a)
    return {
        "held": held.pk,
        "meeting": upcoming.pk,
        "uid": upcoming.uid,
        "cadence": cadence.pk,
        "action": action_item(world.program, world.viewer_a).pk,
        "risk": risk(world.program, world.pm).pk,
        "secret": feed.secret,
    }


def _people(world):
    return {"pm": world.pm.pk, "lead_a": world.lead_a.pk}


CADENCE = {
    "title": "Monthly steering",
    "frequency": "biweekly",
    "weekday": "3",
    "local_time": "16:00",
    "time_zone": "America/New_York",
    "duration_minutes": "45",
    "starts_on": "{today}",
}
WRITE_UP = {
    "present": "{pm}",
    "minutes": "Matrix minutes",
    "actions-TOTAL_FORMS": "1",
    "actions-INITIAL_FORMS": "0",
    "actions-0-title": "",
}
RISK = {
    "title": "Matrix risk",
    "likelihood": "2",
    "impact": "2",
    "owner": "{pm}",
    "status": "open",
    "review_date": IN_A_WEEK,
}

# (method, url, data, expected per persona: anonymous, lead_a, viewer_a, lead_b, staff, pm, leader)
PAGES = [
    ("get", "/programs/HLX-101/kickoff/", None, READ),
    ("get", "/programs/HLX-101/kickoff/?fragment=progress", None, READ),
    ("get", "/programs/HLX-101/meetings/", None, READ),
    ("get", "/programs/HLX-101/meetings/{meeting}/", None, READ),
    ("get", "/programs/HLX-101/meetings/{held}/?fragment=record", None, READ),
    ("get", "/programs/HLX-101/meetings/{meeting}/invite.ics", None, READ),
    ("get", "/programs/HLX-101/actions/?state=overdue", None, READ),
    ("get", "/programs/HLX-101/risks/", None, READ),
    (
        "get",
        "/programs/HLX-101/risks/{risk}/",
        None,
        [LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, OK, OK],
    ),
    ("get", "/settings/calendar/", None, [LOGIN, OK, OK, OK, OK, OK, OK]),
    ("get", "/calendar/{secret}.ics", None, [OK] * 7),
    ("get", "/calendar/wrong-secret-0123456789abcdef.ics", None, [NOT_FOUND] * 7),
    ("post", "/programs/HLX-101/kickoff/record/", {"held_on": "", "agenda": "x"}, TEAM_WRITE),
    (
        "post",
        "/programs/HLX-101/kickoff/confirm/",
        {"item": "baseline", "agreed": "1"},
        TEAM_WRITE,
    ),
    ("post", "/programs/HLX-101/kickoff/complete/", {}, TEAM_WRITE),
    ("post", "/programs/HLX-101/cadence/", CADENCE, TEAM_WRITE),
    ("post", "/programs/HLX-101/cadence/{cadence}/end/", {}, TEAM_WRITE),
    (
        "post",
        "/programs/HLX-101/meetings/new/",
        {"title": "Deep dive", "starts_at": LATER, "time_zone": "UTC", "duration_minutes": "30"},
        TEAM_WRITE,
    ),
    ("post", "/programs/HLX-101/meetings/{held}/write-up/", WRITE_UP, TEAM_WRITE),
    (
        "post",
        "/programs/HLX-101/meetings/{meeting}/reschedule/",
        {"starts_at": LATER, "duration_minutes": "60"},
        TEAM_WRITE,
    ),
    ("post", "/programs/HLX-101/meetings/{meeting}/cancel/", {}, TEAM_WRITE),
    (
        "post",
        "/programs/HLX-101/actions/new/",
        {"title": "Matrix action", "owner": "{lead_a}", "due_date": IN_A_WEEK},
        TEAM_WRITE,
    ),
    (
        "post",
        "/programs/HLX-101/actions/{action}/done/",
        {},
        [LOGIN, FORBIDDEN, REDIRECT, NOT_FOUND, FORBIDDEN, REDIRECT, REDIRECT],
    ),
    ("post", "/programs/HLX-101/risks/new/", RISK, TEAM_WRITE),
    ("post", "/programs/HLX-101/risks/{risk}/", RISK, TEAM_WRITE),
    ("post", "/settings/calendar/", {}, [LOGIN] + [REDIRECT] * 6),
]


def _fill(value, names):
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    return value.format(**names) if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("method", "url", "data", "expected"), PAGES, ids=[f"{m} {u}" for m, u, _, _ in PAGES]
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_permission_matrix(world, persona, method, url, data, expected):
    names = {**_objects(world), **_people(world), "today": timezone.localdate().isoformat()}
    client = client_for(world, persona)
    audited = AuditEntry.objects.count()

    response = getattr(client, method)(_fill(url, names), _fill(data, names))

    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:400]
    refused = response.status_code in (FORBIDDEN, NOT_FOUND) or persona == "anonymous"
    if method == "post" and refused:
        assert AuditEntry.objects.count() == audited
    if persona == "anonymous" and response.status_code == LOGIN:
        assert "/accounts/login/" in response["Location"]
    if response.status_code == OK and persona in ("lead_a", "viewer_a"):
        assert b"Borealis call" not in response.content


API_READ = [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]
API = [
    ("get", "/api/v1/meetings/", None, [UNAUTHENTICATED] + [OK] * 6),
    ("get", "/api/v1/meetings/{uid}/", None, API_READ),
    ("get", "/api/v1/action-items/", None, [UNAUTHENTICATED] + [OK] * 6),
    (
        "post",
        "/api/v1/action-items/",
        {
            "program": "HLX-101",
            "title": "Matrix action",
            "owner": "lead@helix.example",
            "due_date": IN_A_WEEK,
        },
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, CREATED, CREATED],
    ),
    (
        "post",
        "/api/v1/action-items/{action}/complete/",
        None,
        [UNAUTHENTICATED, FORBIDDEN, OK, NOT_FOUND, FORBIDDEN, OK, OK],
    ),
    ("get", "/api/v1/programs/HLX-101/risks/", None, API_READ),
    (
        "post",
        "/api/v1/programs/HLX-101/risks/",
        {"title": "Matrix risk", "likelihood": 2, "impact": 3, "review_date": IN_A_WEEK},
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, CREATED, CREATED],
    ),
    ("get", "/api/v1/programs/HLX-101/kickoff/", None, API_READ),
]


def _api_client(world, persona: str, auth: str) -> Client:
    if auth == "session":
        return client_for(world, persona)
    if persona == "anonymous":
        return Client()
    return Client(headers={"Authorization": f"Token {new_token(getattr(world, persona))}"})


@pytest.mark.parametrize(
    ("method", "url", "data", "expected"), API, ids=[f"{m} {u}" for m, u, _, _ in API]
)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("auth", ["session", "token"])
def test_api_permission_matrix(world, auth, persona, method, url, data, expected):
    names = _objects(world)
    client = _api_client(world, persona, auth)
    audited = AuditEntry.objects.count()

    if method == "post":
        response = post_json(client, _fill(url, names), data or {})
    else:
        response = client.get(_fill(url, names))

    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:400]
    if response.status_code >= 400:
        assert "error" in response.json()
        assert AuditEntry.objects.count() == audited
    if response.status_code == OK and persona in ("lead_a", "viewer_a"):
        assert "BOR-017" not in response.content.decode()
    if response.status_code == OK and persona == "lead_b":
        assert "HLX-101" not in response.content.decode()
