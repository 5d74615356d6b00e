"""Deviations over REST (their permission rows are in permission_rows.py): filters, the lifecycle
with the same rules as the pages, a token that cannot sign, and the audit trail."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from deviations.models import Deviation
from deviations.services import capa, common, lifecycle, reporting
from tests.deviations.conftest import log_deviation, move
from tests.deviations.test_query_budgets import _grow
from tests.support.api import assert_error, new_token, post_json
from tests.support.queries import count_queries
from tests.support.world import client_for


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


def test_a_token_cannot_make_a_signing_move(world, password):
    deviation = log_deviation(world)
    client = Client(headers={"Authorization": f"Token {new_token(world.qa)}"})
    response = post_json(
        client,
        f"/api/v1/deviations/{deviation.reference}/transition/",
        {"to": "cancelled", "expected_version": 1, "reason": "dup", "password": password},
    )
    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == common.TOKEN_CANNOT_SIGN
    deviation.refresh_from_db()
    assert deviation.status == "open"


def test_a_signed_in_qa_closes_over_the_api_with_a_password(world, password):
    deviation = move(world, log_deviation(world), "investigating", "pending_capa")
    response = post_json(
        client_for(world, "qa"),
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
    ("persona", "body", "status", "code", "message"),
    [
        ("qa", {"to": "investigating", "expected_version": 9}, 409, "conflict", common.STALE),
        (
            "qa",
            {"to": "closed", "expected_version": 1},
            409,
            "conflict",
            lifecycle.TRANSITION_NOT_ALLOWED.format(current="Open", target="Closed"),
        ),
        (
            "qa",
            {"to": "cancelled", "expected_version": 1},
            400,
            "invalid",
            common.REASON_REQUIRED,
        ),
        (
            "pm",
            {"to": "cancelled", "expected_version": 1, "reason": "Duplicate"},
            403,
            "permission_denied",
            lifecycle.ROLE_NOT_ALLOWED.format(current="Open", target="Cancelled"),
        ),
    ],
    ids=["stale", "not-from-here", "no-reason", "not-your-role"],
)
def test_refusals_say_what_kind_they_are_and_change_nothing(
    world, persona, body, status, code, message
):
    """409 for the deviation's current state, 400 for the input, 403 for the user."""
    deviation = log_deviation(world)
    response = post_json(
        client_for(world, persona), f"/api/v1/deviations/{deviation.reference}/transition/", body
    )
    assert assert_error(response, status, code)["message"] == message
    deviation.refresh_from_db()
    assert (deviation.status, deviation.version) == ("open", 1)


def test_acknowledging_twice_is_a_conflict(world):
    deviation = log_deviation(world)
    client = client_for(world, "lead_a")
    url = f"/api/v1/deviations/{deviation.reference}/acknowledge/"
    assert post_json(client, url, {}).status_code == 200
    error = assert_error(post_json(client, url, {}), 409, "conflict")
    assert error["message"] == reporting.ALREADY_ACKNOWLEDGED


def test_unknown_fields_and_awareness_before_occurrence_are_invalid_input(world):
    client = client_for(world, "pm")
    assert_error(
        post_json(client, "/api/v1/deviations/", {**_new(), "severity": "x"}),
        400,
        "invalid",
        {"severity"},
    )
    body = {**_new(), "aware_at": (timezone.now() - datetime.timedelta(hours=5)).isoformat()}
    error = assert_error(
        post_json(client, "/api/v1/deviations/", body), 400, "invalid", {"aware_at"}
    )
    assert error["message"] == reporting.AWARE_BEFORE_OCCURRED
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
    client = client_for(world, "qa")

    _grow(world, 3, deviation)
    small = count_queries(client, "/api/v1/deviations/")
    _grow(world, 297, deviation)
    assert count_queries(client, "/api/v1/deviations/") == small


def test_capa_over_the_api_numbers_actions_and_closes_them(world):
    deviation = log_deviation(world)
    client = client_for(world, "qa")
    base = f"/api/v1/deviations/{deviation.reference}/capas/"
    body = {"kind": "corrective", "description": "Fix", "owner": "qa@nb.example"}
    first = post_json(client, base, body).json()
    window_end = capa.capa_window_end(deviation.program, timezone.now())
    assert (first["number"], first["due_date"]) == (1, window_end.isoformat())
    assert first["overdue"] is False
    assert post_json(client, base, body).json()["number"] == 2
    unknown = post_json(client, base, {**body, "owner": "nobody@example.com"})
    assert_error(unknown, 400, "invalid", {"owner"})
    late = {**body, "due_date": "2030-01-01"}
    assert_error(post_json(client, base, late), 400, "invalid", {"due_date"})
    done = post_json(client, base + "2/complete/", {"effectiveness_check": "Verified"})
    assert done.json()["status"] == "done"
    again = post_json(client, base + "2/complete/", {})
    assert assert_error(again, 409, "conflict")["message"] == capa.CAPA_ALREADY_DONE
    assert post_json(client, base + "9/complete/", {}).status_code == 404
    listed = client_for(world, "viewer_a").get(base).json()
    assert [(row["number"], row["status"]) for row in listed] == [(1, "open"), (2, "done")]


def test_the_sponsor_acknowledges_after_a_signed_closure_and_the_api_shows_it_current(world):
    deviation = move(world, log_deviation(world), "investigating", "pending_capa", "closed")
    client = client_for(world, "lead_a")

    response = post_json(client, f"/api/v1/deviations/{deviation.reference}/acknowledge/", {})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["sponsor_acknowledged_by"]["email"] == world.lead_a.email
    [signature] = body["signatures"]
    assert signature["current"] is True
    assert signature["meaning"] == "approved"
    assert signature["printed_name"] == world.qa.display_name
    assert signature["signed_at"].endswith("Z")
    assert signature["content_version"] == 2


def test_a_capa_or_root_cause_after_a_signed_closure_is_a_409_that_changes_nothing(world):
    deviation = move(world, log_deviation(world), "investigating", "pending_capa", "closed")
    client = client_for(world, "qa")
    url = f"/api/v1/deviations/{deviation.reference}"
    locked = common.LOCKED.format(reference=deviation.reference, status="closed")

    capa_added = post_json(
        client,
        f"{url}/capas/",
        {"kind": "corrective", "description": "Late", "owner": world.pm.email},
    )
    cause_added = post_json(
        client, f"{url}/root-causes/", {"category": "method", "description": "Late"}
    )

    assert assert_error(capa_added, 409, "conflict")["message"] == locked
    assert assert_error(cause_added, 409, "conflict")["message"] == locked
    body = client.get(f"{url}/").json()
    assert (body["capas"], body["root_causes"]) == ([], [])
    assert [signature["current"] for signature in body["signatures"]] == [True]


def test_qa_reopens_over_the_api_and_the_closure_shows_superseded(world, password):
    deviation = move(world, log_deviation(world), "investigating", "pending_capa", "closed")
    client = client_for(world, "qa")
    url = f"/api/v1/deviations/{deviation.reference}"
    assert client.get(f"{url}/").json()["allowed_transitions"] == ["investigating"]

    response = post_json(
        client,
        f"{url}/transition/",
        {
            "to": "investigating",
            "expected_version": deviation.version,
            "reason": "Second lot affected",
            "password": password,
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "investigating"
    assert [(s["meaning"], s["current"]) for s in body["signatures"]] == [
        ("approved", False),
        ("approved", True),
    ]
    audit = client.get(f"{url}/audit/").json()
    signed = [row["signature"] for row in audit if row["signature"] is not None]
    assert [(s["statement"], s["current"]) for s in signed] == [
        ("Closed", False),
        ("Reopened: Second lot affected", True),
    ]
