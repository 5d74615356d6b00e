"""Change orders: proposed by the program's CDMO team and numbered per program, decided once by
a lead of the program's own sponsor with a comment, in the services, the page and the API."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from portal.errors import ServiceError
from portal.models import AuditEntry
from programs import services
from programs.models import ChangeOrder, Event, Program
from programs.selectors import cost_summary
from tests.api.conftest import _fresh_throttles, new_token, post_json, token_client  # noqa: F401
from tests.conftest import client_for
from tests.programs.builders import budget, change_order

HTMX = {"HX-Request": "true"}


def _propose(world, program=None, amount="25000.00", actor=None):
    return services.change_order_propose(
        actor=actor or world.pm,
        program=program or world.program,
        title="Extra engineering run",
        rationale="The sponsor asked for a second run at 2,000 L.",
        amount=Decimal(amount),
    )


def _decide(world, co, actor=None, decision="approved", comment="Agreed in the weekly call."):
    return services.change_order_decide(
        actor=actor or world.lead_a, change_order=co, decision=decision, comment=comment
    )


# --- Services -------------------------------------------------------------------------------


def test_change_orders_are_numbered_per_program(world):
    first, second = _propose(world), _propose(world)
    other = _propose(world, program=world.program_b)

    assert [first.reference, second.reference, other.reference] == ["CO-001", "CO-002", "CO-001"]


def test_numbering_continues_after_the_highest_reference(world):
    change_order(world.program, world.pm, reference="CO-009")

    assert _propose(world).reference == "CO-010"


def test_a_proposal_is_audited_and_announced_to_the_sponsor(world):
    co = _propose(world)

    assert AuditEntry.objects.filter(model="programs.changeorder", object_pk=str(co.pk)).exists()
    event = Event.objects.get(verb="change_order.proposed")
    assert (event.significance, event.announce, event.audience) == ("notable", True, "sponsor")
    assert "USD 25,000.00" in event.summary
    assert "awaiting Helix" in event.summary


def test_a_proposal_needs_a_rationale(world):
    with pytest.raises(ServiceError) as exc:
        services.change_order_propose(
            actor=world.pm,
            program=world.program,
            title="No why",
            rationale="  ",
            amount=Decimal(1),
        )

    assert (exc.value.message, exc.value.field) == (services.RATIONALE_REQUIRED, "rationale")
    assert not ChangeOrder.objects.exists()


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_proposes(world, persona):
    with pytest.raises(ServiceError) as exc:
        _propose(world, actor=getattr(world, persona))

    assert exc.value.message == services.NOT_ALLOWED
    assert not ChangeOrder.objects.exists()


def test_a_sponsor_lead_approves_with_a_comment_and_the_budget_grows(world):
    budget(world.program, "1000000.00")
    co = _propose(world)

    decided = _decide(world, co)

    assert decided.status == ChangeOrder.Status.APPROVED
    assert (decided.decided_by, decided.decision_comment) == (
        world.lead_a,
        "Agreed in the weekly call.",
    )
    assert decided.decided_at is not None
    entry = AuditEntry.objects.filter(model="programs.changeorder", action="update").get()
    assert entry.reason == "Agreed in the weekly call."
    assert Event.objects.filter(verb="change_order.approved").exists()
    assert cost_summary(world.lead_a, world.program).effective_budget == Decimal("1025000.00")


def test_a_rejected_change_order_leaves_the_budget_alone(world):
    budget(world.program, "1000000.00")

    _decide(world, _propose(world), decision="rejected", comment="Not this year.")

    summary = cost_summary(world.lead_a, world.program)
    assert summary.effective_budget == Decimal("1000000.00")
    assert summary.pending_change_orders == 0


def test_a_change_order_is_decided_once(world):
    co = _decide(world, _propose(world))

    with pytest.raises(ServiceError) as exc:
        _decide(world, co, decision="rejected", comment="Changed my mind")

    assert exc.value.message == services.CO_ALREADY_DECIDED
    co.refresh_from_db()
    assert (co.status, co.decision_comment) == ("approved", "Agreed in the weekly call.")


def test_a_second_decision_from_a_stale_copy_is_refused_too(world):
    co = _propose(world)
    stale = ChangeOrder.objects.get(pk=co.pk)
    _decide(world, co)

    with pytest.raises(ServiceError) as exc:
        _decide(world, stale, decision="rejected")

    assert exc.value.message == services.CO_ALREADY_DECIDED


@pytest.mark.parametrize("persona", ["viewer_a", "lead_b", "pm", "leader", "staff"])
def test_nobody_but_a_lead_of_the_programs_sponsor_decides(world, persona):
    co = _propose(world)

    with pytest.raises(ServiceError) as exc:
        _decide(world, co, actor=getattr(world, persona))

    assert exc.value.message == services.CO_NOT_DECIDER
    co.refresh_from_db()
    assert co.status == ChangeOrder.Status.PROPOSED


def test_a_decision_needs_a_comment(world):
    co = _propose(world)

    with pytest.raises(ServiceError) as exc:
        _decide(world, co, comment=" ")

    assert (exc.value.message, exc.value.field) == (services.CO_COMMENT_REQUIRED, "comment")


def test_a_decision_is_approve_or_reject(world):
    with pytest.raises(ServiceError) as exc:
        _decide(world, _propose(world), decision="proposed")

    assert exc.value.message == services.CO_DECISION_INVALID


@pytest.mark.services  # real concurrency needs PostgreSQL: in-memory SQLite locks whole tables
@pytest.mark.django_db(transaction=True)
def test_two_proposals_at_the_same_moment_get_different_numbers(world):
    program = Program.objects.get(pk=world.program.pk)
    barrier = threading.Barrier(2)
    references, errors = [], []

    def propose() -> None:
        try:
            barrier.wait(timeout=10)
            references.append(_propose(world, program=program).reference)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=propose) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(references) == ["CO-001", "CO-002"]


# --- Pages ----------------------------------------------------------------------------------


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
    assert services.CO_COMMENT_REQUIRED in response.content.decode()
    co.refresh_from_db()
    assert co.status == "proposed"


def test_a_second_decision_on_the_page_answers_422_with_the_rule(world):
    co = _decide(world, _propose(world))

    response = client_for(world, "lead_a").post(
        _decision_url(co), {"decision": "rejected", "comment": "Again"}, headers=HTMX
    )

    assert response.status_code == 422
    assert services.CO_ALREADY_DECIDED in response.content.decode()


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
    assert services.RATIONALE_REQUIRED in response.content.decode()
    assert not ChangeOrder.objects.exists()


# --- API ------------------------------------------------------------------------------------

API = "/api/v1/programs/HLX-101/change-orders/"


def _api(world, persona):
    return token_client(new_token(getattr(world, persona)))


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
        "message": services.CO_ALREADY_DECIDED,
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
