"""Deviations over REST: the permission matrix by session and by token, filters, the lifecycle
with the same rules as the pages, a token that cannot sign, and the audit trail."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from deviations import services
from deviations.models import Deviation
from tests.api.conftest import assert_error, new_token, post_json
from tests.conftest import PERSONAS, client_for
from tests.deviations.conftest import log_deviation, move
from tests.deviations.test_query_budgets import _grow

OK, CREATED, UNAUTHENTICATED, FORBIDDEN, NOT_FOUND = 200, 201, 401, 403, 404


def _new() -> dict[str, str]:
    now = timezone.now()
    return {
        "program": "HLX-101",
        "title": "Matrix",
        "description": "Row",
        "classification": "minor",
        "occurred_at": (now - datetime.timedelta(hours=2)).isoformat(),
        "aware_at": (now - datetime.timedelta(hours=1)).isoformat(),
    }


MATRIX = [
    ("get", "/api/v1/deviations/", None, [UNAUTHENTICATED, OK, OK, OK, OK, OK, OK]),
    (
        "get",
        "/api/v1/deviations/?program=HLX-101&status=open&classification=major",
        None,
        [UNAUTHENTICATED, OK, OK, OK, OK, OK, OK],
    ),
    ("get", "/api/v1/deviations/{ref}/", None, [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK]),
    (
        "get",
        "/api/v1/deviations/{ref}/audit/",
        None,
        [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK],
    ),
    (
        "post",
        "/api/v1/deviations/",
        "NEW",
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, CREATED, CREATED, CREATED],
    ),
    (
        "post",
        "/api/v1/deviations/{ref}/acknowledge/",
        {},
        [UNAUTHENTICATED, OK, OK, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN],
    ),
    (
        "get",
        "/api/v1/deviations/{ref}/capas/",
        None,
        [UNAUTHENTICATED, OK, OK, NOT_FOUND, OK, OK, OK],
    ),
    (
        "post",
        "/api/v1/deviations/{ref}/capas/",
        {
            "kind": "corrective",
            "description": "Matrix",
            "owner": "pm@nb.example",
            "due_date": "2030-01-01",
        },
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, CREATED, CREATED, CREATED],
    ),
    (
        "post",
        "/api/v1/deviations/{ref}/capas/1/complete/",
        {"effectiveness_check": "Matrix"},
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, OK, OK, OK],
    ),
    (
        "post",
        "/api/v1/deviations/{ref}/root-causes/",
        {"category": "method", "description": "Matrix"},
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, CREATED, CREATED, CREATED],
    ),
    (
        "post",
        "/api/v1/deviations/{ref}/transition/",
        {"to": "investigating", "expected_version": 1},
        [UNAUTHENTICATED, FORBIDDEN, FORBIDDEN, NOT_FOUND, OK, OK, OK],
    ),
]


def _client(world, persona: str, auth: str) -> Client:
    if auth == "session":
        return client_for(world, persona)
    if persona == "anonymous":
        return Client()
    return Client(headers={"Authorization": f"Token {new_token(getattr(world, persona))}"})


@pytest.mark.parametrize(
    ("method", "url", "data", "expected"), MATRIX, ids=[f"{m} {u}" for m, u, _, _ in MATRIX]
)
@pytest.mark.parametrize("auth", ["session", "token"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_permission_matrix(world, persona, auth, method, url, data, expected):
    deviation = log_deviation(world)
    capa = services.capa_add(
        actor=world.staff,
        deviation=deviation,
        kind="preventive",
        description="Existing",
        owner=world.staff,
        due_date=datetime.date(2030, 1, 1),
    )
    deviation.refresh_from_db()
    client = _client(world, persona, auth)
    url = url.format(ref=deviation.reference)
    if method == "get":
        response = client.get(url)
    else:
        response = post_json(client, url, _new() if data == "NEW" else data)
    assert response.status_code == expected[PERSONAS.index(persona)], response.content[:300]
    if response.status_code >= 400:
        deviation.refresh_from_db()
        capa.refresh_from_db()
        assert capa.status == "open"
        assert not deviation.root_causes.exists()
        assert deviation.capas.count() == 1
        assert (deviation.status, deviation.version) == ("open", 1)
        assert deviation.sponsor_acknowledged_at is None
        assert not Deviation.objects.filter(title="Matrix").exists()


def test_a_token_cannot_make_a_signing_move(world, password):
    deviation = log_deviation(world)
    client = Client(headers={"Authorization": f"Token {new_token(world.staff)}"})
    response = post_json(
        client,
        f"/api/v1/deviations/{deviation.reference}/transition/",
        {"to": "cancelled", "expected_version": 1, "reason": "dup", "password": password},
    )
    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == services.TOKEN_CANNOT_SIGN
    deviation.refresh_from_db()
    assert deviation.status == "open"


def test_a_signed_in_qa_closes_over_the_api_with_a_password(world, password):
    deviation = move(world, log_deviation(world), "investigating", "pending_capa")
    response = post_json(
        client_for(world, "staff"),
        f"/api/v1/deviations/{deviation.reference}/transition/",
        {
            "to": "closed",
            "expected_version": deviation.version,
            "no_capa_rationale": "Isolated",
            "password": password,
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"to": "investigating", "expected_version": 9}, services.STALE),
        (
            {"to": "closed", "expected_version": 1},
            services.TRANSITION_NOT_ALLOWED.format(current="Open", target="Closed"),
        ),
    ],
)
def test_refusals_are_409_and_change_nothing(world, body, message):
    deviation = log_deviation(world)
    response = post_json(
        client_for(world, "staff"), f"/api/v1/deviations/{deviation.reference}/transition/", body
    )
    assert assert_error(response, 409, "conflict")["message"] == message
    deviation.refresh_from_db()
    assert (deviation.status, deviation.version) == ("open", 1)


def test_unknown_fields_and_awareness_before_occurrence_are_refused(world):
    client = client_for(world, "pm")
    assert_error(
        post_json(client, "/api/v1/deviations/", {**_new(), "severity": "x"}),
        400,
        "invalid",
        {"severity"},
    )
    body = {**_new(), "aware_at": (timezone.now() - datetime.timedelta(hours=5)).isoformat()}
    error = assert_error(
        post_json(client, "/api/v1/deviations/", body), 409, "conflict", {"aware_at"}
    )
    assert error["message"] == services.AWARE_BEFORE_OCCURRED
    assert not Deviation.objects.exists()


def test_the_list_filters_and_hides_other_sponsors(world):
    log_deviation(world, classification="critical")
    log_deviation(world, classification="minor")
    client = client_for(world, "viewer_a")
    rows = client.get("/api/v1/deviations/?classification=critical").json()["results"]
    assert [row["classification"] for row in rows] == ["critical"]
    assert client_for(world, "lead_b").get("/api/v1/deviations/").json()["results"] == []


def test_the_audit_trail_lists_the_logging_and_the_acknowledgement(world):
    deviation = log_deviation(world)
    client = client_for(world, "lead_a")
    post_json(client, f"/api/v1/deviations/{deviation.reference}/acknowledge/", {})
    rows = client.get(f"/api/v1/deviations/{deviation.reference}/audit/").json()
    assert [row["action"] for row in rows] == ["create", "update"]
    assert {change["field"] for change in rows[1]["changes"]} >= {"sponsor_acknowledged_at"}


def test_the_list_endpoint_costs_the_same_with_3_and_300(world):
    deviation = log_deviation(world)
    client = client_for(world, "staff")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/deviations/").status_code == 200
        return len(ctx.captured_queries)

    _grow(world, 3, deviation)
    small = count()
    _grow(world, 297, deviation)
    assert count() == small


def test_capa_over_the_api_numbers_actions_and_closes_them(world):
    deviation = log_deviation(world)
    client = client_for(world, "staff")
    base = f"/api/v1/deviations/{deviation.reference}/capas/"
    body = {
        "kind": "corrective",
        "description": "Fix",
        "owner": "qa@nb.example",
        "due_date": "2030-01-01",
    }
    assert post_json(client, base, body).json()["number"] == 1
    assert post_json(client, base, body).json()["number"] == 2
    unknown = post_json(client, base, {**body, "owner": "nobody@example.com"})
    assert_error(unknown, 400, "invalid", {"owner"})
    done = post_json(client, base + "2/complete/", {"effectiveness_check": "Verified"})
    assert done.json()["status"] == "done"
    again = post_json(client, base + "2/complete/", {})
    assert assert_error(again, 409, "conflict")["message"] == services.CAPA_ALREADY_DONE
    assert post_json(client, base + "9/complete/", {}).status_code == 404
    listed = client_for(world, "viewer_a").get(base).json()
    assert [(row["number"], row["status"]) for row in listed] == [(1, "open"), (2, "done")]
