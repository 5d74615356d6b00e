"""Costs and change orders over REST."""

from decimal import Decimal

import pytest

from programs.models import CostLine
from programs.services import costs
from tests.support.api import new_token, post_json, token_client
from tests.support.world import client_for


def _propose(world, program=None, amount="25000.00", actor=None):
    return costs.change_order_propose(
        actor=actor or world.pm,
        program=program or world.program,
        title="Extra engineering run",
        rationale="The sponsor asked for a second run at 2,000 L.",
        amount=Decimal(amount),
    )


API = "/api/v1/programs/HLX-101/change-orders/"


def _api(world, persona):
    return token_client(new_token(getattr(world, persona)))


def test_the_cost_api_answers_in_decimal_strings(world, ledger):
    body = token_client(new_token(world.viewer_a)).get("/api/v1/programs/HLX-101/costs/").json()

    assert body["currency"] == "USD"
    assert body["effective_budget"] == "4936500.00"
    assert body["committed"] == "1270000.00"
    assert body["pending_change_orders"] == 1
    labour = next(row for row in body["by_driver"] if row["driver"] == "labour")
    assert labour == {
        "driver": "labour",
        "label": "Labour",
        "committed": "960000.00",
        "invoiced": "420000.00",
    }


def test_the_api_lists_change_orders_by_reference(world):
    _propose(world)

    body = _api(world, "viewer_a").get(API).json()

    assert body["count"] == 1
    co = body["results"][0]
    assert (co["reference"], co["amount"], co["currency"], co["status"]) == (
        "CO-001",
        "25000.00",
        "USD",
        "proposed",
    )
    assert co["proposed_by"]["email"] == world.pm.email
    assert "id" not in co


def test_the_pm_proposes_through_the_api(world):
    response = post_json(
        _api(world, "pm"), API, {"title": "Run", "rationale": "Needed", "amount": "12.50"}
    )

    assert response.status_code == 201
    assert response.json()["reference"] == "CO-001"


def test_the_api_refuses_an_amount_sent_as_a_number(world):
    response = post_json(
        _api(world, "pm"), API, {"title": "Run", "rationale": "Needed", "amount": 12.5}
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"amount"}


def test_the_lead_decides_through_the_api_once(world):
    co = _propose(world)
    client = _api(world, "lead_a")
    url = f"{API}{co.reference}/decision/"

    first = post_json(client, url, {"decision": "approved", "comment": "Yes"})
    second = post_json(client, url, {"decision": "rejected", "comment": "No"})

    assert first.status_code == 200
    assert first.json()["status"] == "approved"
    assert second.status_code == 409
    assert second.json()["error"] == {
        "code": "conflict",
        "message": costs.CO_ALREADY_DECIDED,
        "fields": {},
    }


@pytest.mark.parametrize(("persona", "status"), [("viewer_a", 403), ("pm", 403), ("lead_b", 404)])
def test_the_api_refuses_other_deciders(world, persona, status):
    co = _propose(world)

    response = post_json(
        _api(world, persona),
        f"{API}{co.reference}/decision/",
        {"decision": "approved", "comment": "x"},
    )

    assert response.status_code == status
    assert "error" in response.json()
    co.refresh_from_db()
    assert co.status == "proposed"


def test_the_cost_api_counts_internal_lines_in_the_sponsors_totals(world, ledger):
    CostLine.objects.create(
        program=world.program, driver="testing", description="Quote", amount=Decimal("5000")
    )

    sponsor = token_client(new_token(world.viewer_a)).get("/api/v1/programs/HLX-101/costs/")
    team = token_client(new_token(world.pm)).get("/api/v1/programs/HLX-101/costs/")

    assert sponsor.json()["committed"] == team.json()["committed"] == "1275000.00"
    testing = {d["driver"]: d["committed"] for d in sponsor.json()["by_driver"]}["testing"]
    assert testing == "5000.00"
    assert b"Quote" not in sponsor.content


def test_a_second_decision_is_a_conflict_and_a_missing_comment_is_invalid_input(world):
    co = _propose(world)
    url = f"{API}{co.reference}/decision/"
    lead = _api(world, "lead_a")

    missing = post_json(lead, url, {"decision": "approved", "comment": "  "})
    post_json(lead, url, {"decision": "approved", "comment": "Agreed."})
    again = post_json(lead, url, {"decision": "rejected", "comment": "Changed my mind."})

    assert missing.status_code == 400
    assert "comment" in missing.json()["error"]["fields"]
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


LARGEST_AMOUNT = "999999999999.99"  # the most an amount may hold (12 integer digits)


def test_totals_beyond_one_amounts_digits_still_answer(world):
    """Many change orders at the largest amount sum past an amount's 14 digits: the totals
    keep every digit, and the costs, status and page answers stay up."""
    for _ in range(3):
        _propose(world, amount=LARGEST_AMOUNT)

    cost_body = _api(world, "lead_a").get("/api/v1/programs/HLX-101/costs/")
    status_body = _api(world, "lead_a").get("/api/v1/programs/HLX-101/status/")
    page = client_for(world, "lead_a").get("/programs/HLX-101/costs/")

    assert cost_body.status_code == 200
    assert cost_body.json()["pending_change_orders_value"] == "2999999999999.97"
    assert status_body.status_code == 200
    assert page.status_code == 200
