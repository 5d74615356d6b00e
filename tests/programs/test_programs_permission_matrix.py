"""Every timeline and cost page, form and endpoint against every persona, on sponsor A's
objects (DESIGN §7). Another sponsor's program is a 404, never a 403; anonymous users sign in
(pages) or get a 401 (API); a refused write changes nothing."""

import pytest
from django.test import Client

from portal.models import AuditEntry
from programs.models import Budget, ChangeOrder, CostLine, Invoice, Milestone, Workstream
from tests.api.conftest import _fresh_throttles, new_token, post_json  # noqa: F401
from tests.conftest import PERSONAS, client_for
from tests.programs.builders import change_order, day, milestone, workstream

LOGIN = 302
OK, CREATED, REDIRECT, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = 200, 201, 302, 401, 403, 404
HTMX = {"HX-Request": "true"}

SEE = [LOGIN, OK, OK, NOT_FOUND, OK, OK, OK]
TEAM_EDITS = [LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, REDIRECT, REDIRECT]
TEAM_GETS = [LOGIN, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, OK, OK]
LEAD_DECIDES = [LOGIN, REDIRECT, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN]

# (method, url, data, htmx, expected per persona in PERSONAS order:
#  anonymous, lead_a, viewer_a, lead_b, staff, pm, leader)
PAGES = [
    ("get", "/programs/HLX-101/timeline/", None, False, SEE),
    ("get", "/programs/HLX-101/timeline/?fragment=chart", None, True, SEE),
    ("get", "/programs/HLX-101/timeline/?fragment=milestones", None, True, SEE),
    ("get", "/programs/HLX-101/timeline/?fragment=workstreams", None, True, SEE),
    ("get", "/programs/HLX-101/milestones/{ms}/", None, False, SEE),
    ("get", "/programs/HLX-101/milestones/{ms}/?fragment=editor", None, True, SEE),
    ("get", "/programs/HLX-101/workstreams/{ws}/edit/", None, False, TEAM_GETS),
    ("get", "/programs/HLX-101/workstreams/{ws}/edit/?fragment=editor", None, True, TEAM_GETS),
    ("get", "/programs/HLX-101/costs/", None, False, SEE),
    ("get", "/programs/HLX-101/costs/?fragment=summary", None, True, SEE),
    ("get", "/programs/HLX-101/costs/?fragment=change-orders", None, True, SEE),
    ("get", "/programs/HLX-101/costs/?fragment=ledger", None, True, SEE),
    ("get", "/programs/HLX-101/change-orders/CO-001/", None, False, SEE),
    ("get", "/programs/HLX-101/change-orders/CO-001/?fragment=decision", None, True, SEE),
    (
        "post",
        "/programs/HLX-101/workstreams/",
        {"name": "Matrix", "kind": "other", "status": "not_started"},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/workstreams/{ws}/edit/",
        {"name": "Matrix", "kind": "other", "status": "in_progress"},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/milestones/",
        {"name": "Matrix", "baseline_date": day(40).isoformat()},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/milestones/{ms}/reschedule/",
        {"forecast_date": day(45).isoformat(), "reason": "Matrix"},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/milestones/{ms}/rebaseline/",
        {"baseline_date": day(41).isoformat(), "reason": "Matrix"},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/milestones/{ms}/complete/",
        {"actual_date": day(0).isoformat(), "reason": "Matrix"},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/costs/budget/",
        {"contract_value": "1000", "notes": "", "reason": ""},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/costs/lines/",
        {"driver": "labour", "description": "Matrix", "amount": "10"},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/costs/invoices/",
        {"number": "NB-MATRIX", "driver": "labour", "amount": "10", "issued_on": day(0)},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/change-orders/",
        {"title": "Matrix", "rationale": "Row", "amount": "10"},
        False,
        TEAM_EDITS,
    ),
    (
        "post",
        "/programs/HLX-101/change-orders/CO-001/decision/",
        {"decision": "approved", "comment": "Row"},
        False,
        LEAD_DECIDES,
    ),
]


@pytest.fixture
def objects(world):
    ws = workstream(world.program, "Tech transfer", cdmo_owner=world.pm)
    ms = milestone(world.program, "Engineering run", baseline=30, workstream=ws)
    change_order(world.program, world.pm, reference="CO-001")
    return {"ws": ws.pk, "ms": ms.pk}


def _state():
    """Everything a refused write must leave as it was."""
    ms = Milestone.objects.order_by("id").values_list(
        "name", "baseline_date", "forecast_date", "actual_date"
    )
    return (
        list(Workstream.objects.order_by("id").values_list("name", "status")),
        list(ms),
        list(ChangeOrder.objects.order_by("id").values_list("reference", "status")),
        CostLine.objects.count(),
        Invoice.objects.count(),
        Budget.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.parametrize(
    ("method", "url", "data", "htmx", "expected"),
    PAGES,
    ids=[f"{m} {u}" for m, u, *_ in PAGES],
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_page_permission_matrix(world, objects, persona, method, url, data, htmx, expected):
    url = url.format(**objects)
    before = _state()
    client = client_for(world, persona)

    response = getattr(client, method)(url, data, headers=HTMX if htmx else {})

    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:300]
    if response.status_code == LOGIN and persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if method == "post" and response.status_code != REDIRECT:
        assert _state() == before
    if response.status_code == OK:
        assert b"BOR-017" not in response.content


API = "/api/v1/programs/HLX-101"
SEE_API = [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]
TEAM_CREATES = [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, CREATED, CREATED]
TEAM_CHANGES = [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, FORBIDDEN, OK, OK]
LEAD_DECIDES_API = [UNAUTHENTICATED, OK, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN]

ENDPOINTS = [
    ("get", f"{API}/workstreams/", None, SEE_API),
    ("post", f"{API}/workstreams/", {"name": "Matrix"}, TEAM_CREATES),
    ("get", f"{API}/milestones/", None, SEE_API),
    (
        "post",
        f"{API}/milestones/",
        {"name": "Matrix", "baseline_date": day(40).isoformat()},
        TEAM_CREATES,
    ),
    (
        "post",
        f"{API}/milestones/{{ms}}/reschedule/",
        {"forecast_date": day(45).isoformat(), "reason": "Matrix"},
        TEAM_CHANGES,
    ),
    ("get", f"{API}/change-orders/", None, SEE_API),
    (
        "post",
        f"{API}/change-orders/",
        {"title": "Matrix", "rationale": "Row", "amount": "10.00"},
        TEAM_CREATES,
    ),
    (
        "post",
        f"{API}/change-orders/CO-001/decision/",
        {"decision": "approved", "comment": "Row"},
        LEAD_DECIDES_API,
    ),
    ("get", f"{API}/costs/", None, SEE_API),
]


def _api_client(world, persona: str, auth: str) -> Client:
    if auth == "session":
        return client_for(world, persona)
    if persona == "anonymous":
        return Client()
    return Client(headers={"Authorization": f"Token {new_token(getattr(world, persona))}"})


@pytest.mark.parametrize(
    ("method", "url", "data", "expected"),
    ENDPOINTS,
    ids=[f"{m} {u}" for m, u, _, _ in ENDPOINTS],
)
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("auth", ["session", "token"])
def test_api_permission_matrix(world, objects, auth, persona, method, url, data, expected):
    url = url.format(**objects)
    client = _api_client(world, persona, auth)
    before = _state()

    response = post_json(client, url, data) if method == "post" else client.get(url)

    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:300]
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"code", "message", "fields"}
        assert _state() == before
    if response.status_code == OK and persona in {"lead_a", "viewer_a"}:
        assert b"BOR-017" not in response.content
