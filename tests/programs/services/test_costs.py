"""Money through its services: contract value, change orders, cost lines and invoices."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from portal.errors import Conflict, NotAllowed, ServiceError
from portal.models import AuditEntry
from programs.models import Budget, ChangeOrder, CostLine, Event, Program
from programs.selectors import cost_summary
from programs.services import common, costs
from tests.programs.builders import budget, change_order, day, milestone


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


def test_the_contract_value_is_set_audited_and_in_the_stream(world):
    costs.budget_set(actor=world.pm, program=world.program, contract_value=Decimal("2400000"))

    assert Budget.objects.get().contract_value == Decimal("2400000")
    assert AuditEntry.objects.filter(model="programs.budget").exists()
    assert "USD 2,400,000.00" in Event.objects.get(verb="budget.set").summary


def test_changing_a_contract_value_needs_a_reason(world):
    budget(world.program, "1000.00")

    with pytest.raises(ServiceError) as exc:
        costs.budget_set(actor=world.pm, program=world.program, contract_value=Decimal("2000"))

    assert (exc.value.message, exc.value.field) == (costs.CONTRACT_VALUE_REASON, "reason")
    assert Budget.objects.get().contract_value == Decimal("1000.00")
    costs.budget_set(
        actor=world.pm,
        program=world.program,
        contract_value=Decimal("2000"),
        reason="Contract amendment 2 signed",
    )
    assert AuditEntry.objects.get(model="programs.budget", action="update").reason == (
        "Contract amendment 2 signed"
    )


def test_a_contract_value_cannot_be_negative(world):
    with pytest.raises(ServiceError) as exc:
        costs.budget_set(actor=world.pm, program=world.program, contract_value=Decimal("-1"))

    assert exc.value.message == costs.CONTRACT_VALUE_NEGATIVE


def test_a_cost_line_is_committed_by_driver_and_linked_to_its_change_order(world):
    co = change_order(world.program, world.pm, status="approved")

    line = costs.cost_line_add(
        actor=world.pm,
        program=world.program,
        driver="testing",
        description="Stability pulls",
        amount=Decimal("86500"),
        change_order=co,
        audience="sponsor",
    )

    assert line.change_order == co
    assert Event.objects.get(verb="cost.committed").audience == "sponsor"


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_a_cost_line_needs_a_positive_amount(world, amount):
    with pytest.raises(ServiceError) as exc:
        costs.cost_line_add(
            actor=world.pm,
            program=world.program,
            driver="labour",
            description="Nothing",
            amount=Decimal(amount),
        )

    assert exc.value.message == costs.AMOUNT_NOT_POSITIVE
    assert not CostLine.objects.exists()


def test_a_cost_line_cannot_point_at_another_programs_milestone(world):
    other = milestone(world.program_b)

    with pytest.raises(ServiceError) as exc:
        costs.cost_line_add(
            actor=world.pm,
            program=world.program,
            driver="labour",
            description="Wrong",
            amount=Decimal(1),
            milestone=other,
        )

    assert exc.value.message == costs.MILESTONE_OTHER_PROGRAM


def test_an_invoice_is_recorded_against_its_milestone(world):
    run = milestone(world.program, baseline=-5, actual=-5)

    invoice = costs.invoice_add(
        actor=world.pm,
        program=world.program,
        number="NB-INV-1",
        driver="labour",
        amount=Decimal("1000.00"),
        issued_on=day(0),
        milestone=run,
    )

    assert invoice.milestone == run
    assert "for Engineering run" in Event.objects.get(verb="invoice.issued").summary


def test_an_invoice_cannot_be_dated_in_the_future(world):
    with pytest.raises(ServiceError) as exc:
        costs.invoice_add(
            actor=world.pm,
            program=world.program,
            number="NB-INV-2",
            driver="labour",
            amount=Decimal(1),
            issued_on=day(1),
        )

    assert (exc.value.message, exc.value.field) == (costs.INVOICE_IN_FUTURE, "issued_on")


def test_an_invoice_number_is_used_once(world, ledger):
    with pytest.raises(ServiceError) as exc:
        costs.invoice_add(
            actor=world.pm,
            program=world.program,
            number="nb-1",
            driver="labour",
            amount=Decimal(1),
            issued_on=day(0),
        )

    assert exc.value.message == costs.INVOICE_NUMBER_TAKEN


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_records_costs(world, persona):
    with pytest.raises(ServiceError):
        costs.cost_line_add(
            actor=getattr(world, persona),
            program=world.program,
            driver="labour",
            description="Sneaky",
            amount=Decimal(1),
        )
    assert not CostLine.objects.exists()


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
        costs.change_order_propose(
            actor=world.pm,
            program=world.program,
            title="No why",
            rationale="  ",
            amount=Decimal(1),
        )

    assert (exc.value.message, exc.value.field) == (costs.RATIONALE_REQUIRED, "rationale")
    assert not ChangeOrder.objects.exists()


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_proposes(world, persona):
    with pytest.raises(ServiceError) as exc:
        _propose(world, actor=getattr(world, persona))

    assert exc.value.message == common.NOT_ALLOWED
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

    assert exc.value.message == costs.CO_ALREADY_DECIDED
    co.refresh_from_db()
    assert (co.status, co.decision_comment) == ("approved", "Agreed in the weekly call.")


def test_a_second_decision_from_a_stale_copy_is_refused_too(world):
    co = _propose(world)
    stale = ChangeOrder.objects.get(pk=co.pk)
    _decide(world, co)

    with pytest.raises(ServiceError) as exc:
        _decide(world, stale, decision="rejected")

    assert exc.value.message == costs.CO_ALREADY_DECIDED


@pytest.mark.parametrize("persona", ["viewer_a", "lead_b", "pm", "leader", "staff"])
def test_nobody_but_a_lead_of_the_programs_sponsor_decides(world, persona):
    co = _propose(world)

    with pytest.raises(ServiceError) as exc:
        _decide(world, co, actor=getattr(world, persona))

    assert exc.value.message == costs.CO_NOT_DECIDER
    co.refresh_from_db()
    assert co.status == ChangeOrder.Status.PROPOSED


def test_a_decision_needs_a_comment(world):
    co = _propose(world)

    with pytest.raises(ServiceError) as exc:
        _decide(world, co, comment=" ")

    assert (exc.value.message, exc.value.field) == (costs.CO_COMMENT_REQUIRED, "comment")


def test_a_decision_is_approve_or_reject(world):
    with pytest.raises(ServiceError) as exc:
        _decide(world, _propose(world), decision="proposed")

    assert exc.value.message == costs.CO_DECISION_INVALID


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


def _line(world, **fields):
    return costs.cost_line_add(
        actor=world.pm,
        program=world.program,
        driver="materials",
        description="Resin from the alternate distributor",
        amount=Decimal("142000"),
        **fields,
    )


def test_a_cost_line_is_internal_by_default_and_so_is_its_event(world):
    line = _line(world)

    assert line.audience == "internal"
    assert Event.objects.get(verb="cost.committed").audience == "internal"


def test_sharing_a_cost_line_is_audited_and_told_to_the_sponsor(world):
    line = _line(world)

    costs.cost_line_share(actor=world.pm, cost_line=line)

    line.refresh_from_db()
    assert line.audience == "sponsor"
    entry = AuditEntry.objects.filter(model="programs.costline", object_pk=str(line.pk)).last()
    assert entry.changes == {"audience": ["internal", "sponsor"]}
    assert entry.reason == "Shared with the sponsor."
    shared = Event.objects.get(verb="cost.shared")
    assert shared.audience == "sponsor"
    assert (shared.subject_type, shared.subject_id) == ("programs.costline", str(line.pk))
    assert "Resin from the alternate distributor" in shared.summary


def test_a_shared_cost_line_is_not_shared_twice(world):
    line = _line(world, audience="sponsor")

    with pytest.raises(Conflict) as exc:
        costs.cost_line_share(actor=world.pm, cost_line=line)

    assert exc.value.message == costs.COST_LINE_ALREADY_SHARED
    assert not Event.objects.filter(verb="cost.shared").exists()


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_shares_a_cost_line(world, persona):
    line = _line(world)

    with pytest.raises(NotAllowed):
        costs.cost_line_share(actor=getattr(world, persona), cost_line=line)

    line.refresh_from_db()
    assert line.audience == "internal"


def test_a_cost_line_with_an_unknown_audience_is_invalid_input(world):
    with pytest.raises(ServiceError) as exc:
        _line(world, audience="everyone")

    assert exc.value.status_code == 400
    assert exc.value.field == "audience"


def test_a_change_order_decided_twice_is_a_conflict_and_bad_input_is_not(world):
    co = costs.change_order_propose(
        actor=world.pm, program=world.program, title="More", rationale="Scope.", amount=Decimal(5)
    )
    with pytest.raises(ServiceError) as bad:
        costs.change_order_decide(
            actor=world.lead_a, change_order=co, decision="approved", comment=""
        )
    costs.change_order_decide(
        actor=world.lead_a, change_order=co, decision="approved", comment="Ok"
    )
    with pytest.raises(ServiceError) as again:
        costs.change_order_decide(
            actor=world.lead_a, change_order=co, decision="rejected", comment="No"
        )

    assert (bad.value.status_code, bad.value.field) == (400, "comment")
    assert again.value.status_code == 409
