"""Change orders on the pages: proposed by the team, decided by the sponsor's lead."""

from decimal import Decimal

import pytest

from programs.models import ChangeOrder
from programs.services import costs
from tests.support.world import client_for

HTMX = {"HX-Request": "true"}


def _propose(world, program=None, amount="25000.00", actor=None):
    return costs.change_order_propose(
        actor=actor or world.pm,
        program=program or world.program,
        title="Extra engineering run",
        rationale="The sponsor asked for a second run at 2,000 L.",
        amount=Decimal(amount),
    )


def _decide(world, co, actor=None, decision="approved", comment="Agreed in the weekly call."):
    return costs.change_order_decide(
        actor=actor or world.lead_a, change_order=co, decision=decision, comment=comment
    )


def _decision_url(co):
    return f"/programs/HLX-101/change-orders/{co.reference}/decision/"


def test_the_lead_decides_on_the_cost_page_through_htmx(world):
    co = _propose(world)

    response = client_for(world, "lead_a").post(
        _decision_url(co), {"decision": "approved", "comment": "Go ahead"}, headers=HTMX
    )

    assert response.status_code == 200
    assert "costs-changed" in response["HX-Trigger"]
    assert "Change order CO-001 approved." in response.content.decode()
    co.refresh_from_db()
    assert co.status == "approved"


def test_a_decision_without_a_comment_answers_422_inline(world):
    co = _propose(world)

    response = client_for(world, "lead_a").post(
        _decision_url(co), {"decision": "rejected", "comment": ""}, headers=HTMX
    )

    assert response.status_code == 422
    assert costs.CO_COMMENT_REQUIRED in response.content.decode()
    co.refresh_from_db()
    assert co.status == "proposed"


def test_a_second_decision_on_the_page_answers_422_with_the_rule(world):
    co = _decide(world, _propose(world))

    response = client_for(world, "lead_a").post(
        _decision_url(co), {"decision": "rejected", "comment": "Again"}, headers=HTMX
    )

    assert response.status_code == 422
    assert costs.CO_ALREADY_DECIDED in response.content.decode()


@pytest.mark.parametrize(("persona", "status"), [("viewer_a", 403), ("pm", 403), ("lead_b", 404)])
def test_the_page_refuses_other_deciders(world, persona, status):
    co = _propose(world)

    response = client_for(world, persona).post(
        _decision_url(co), {"decision": "approved", "comment": "Me too"}, headers=HTMX
    )

    assert response.status_code == status
    co.refresh_from_db()
    assert co.status == "proposed"


def test_the_decision_form_is_shown_only_to_the_lead_while_open(world):
    co = _propose(world)
    url = f"/programs/HLX-101/change-orders/{co.reference}/?fragment=decision"

    assert "Record decision" in client_for(world, "lead_a").get(url, headers=HTMX).content.decode()
    assert "Record decision" not in client_for(world, "pm").get(url, headers=HTMX).content.decode()
    _decide(world, co)
    assert (
        "Record decision" not in client_for(world, "lead_a").get(url, headers=HTMX).content.decode()
    )


def test_a_reference_that_cannot_exist_is_a_404(world):
    assert (
        client_for(world, "lead_a").get("/programs/HLX-101/change-orders/X%00/").status_code == 404
    )


def test_the_pm_proposes_on_the_cost_page(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/change-orders/",
        {"title": "Extra run", "rationale": "Needed", "amount": "-1500.50"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert ChangeOrder.objects.get().amount == Decimal("-1500.50")


def test_a_proposal_without_a_rationale_answers_422(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/change-orders/",
        {"title": "Extra run", "rationale": "", "amount": "100"},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert costs.RATIONALE_REQUIRED in response.content.decode()
    assert not ChangeOrder.objects.exists()
