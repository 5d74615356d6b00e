"""Money: the contract value, change orders (proposed by the CDMO team, decided once by a lead
of the program's own sponsor), committed cost lines and invoices.

Budget, change orders and invoices exist only to be shared: their events are the sponsor's.
A cost line carries an audience (see `CostLine` for which of its figures a sponsor sees);
sharing an internal line is its own audited step, `cost_line_share`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from portal import access, bounds, clock
from portal.access import Audience
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Budget, ChangeOrder, CostLine, Invoice, Milestone, Program
from programs.money import format_money

RATIONALE_REQUIRED = "Explain why the change is needed."
CO_NOT_DECIDER = (
    "Only a lead of the program's sponsor, or a colleague holding a lead's delegation, can "
    "approve or reject a change order."
)
CO_ON_BEHALF_OF = "{delegate} on behalf of {lead}"
CO_ALREADY_DECIDED = "This change order has already been decided."
CO_DECISION_INVALID = "Choose to approve or to reject."
CO_COMMENT_REQUIRED = "Add a comment to go with the decision."
CO_OTHER_PROGRAM = "That change order belongs to another program."
MILESTONE_OTHER_PROGRAM = "That milestone belongs to another program."
AMOUNT_NOT_POSITIVE = "The amount must be more than zero."
CONTRACT_VALUE_NEGATIVE = "The contract value cannot be negative."
CONTRACT_VALUE_REASON = "Changing the contract value needs a reason (change orders move it)."
INVOICE_IN_FUTURE = "An invoice cannot be dated in the future."
INVOICE_NUMBER_TAKEN = "An invoice with this number already exists."
AUDIENCE_UNKNOWN = "Choose who sees it: the sponsor and the CDMO, or the CDMO only."
COST_LINE_ALREADY_SHARED = "This cost line is already shared with the sponsor."
CO_REFERENCE_FORMAT = "CO-{:03d}"


def _costs_url(program: Program) -> str:
    return reverse("program-costs", args=[program.code])


def _shared_note(program: Program, verb: str, summary: str, **fields: object) -> changes.Note:
    return changes.Note(
        verb=verb,
        summary=summary,
        audience=Audience.SPONSOR,
        url=_costs_url(program),
        **fields,  # type: ignore[arg-type]
    )


def _next_change_order_reference(program: Program) -> str:
    """CO-001, CO-002 … per program. The caller holds the program's row lock, so two
    proposals at once cannot take the same number."""
    references = ChangeOrder.objects.filter(program=program).values_list("reference", flat=True)
    numbers = [int(ref[3:]) for ref in references if ref[3:].isdigit()]
    return CO_REFERENCE_FORMAT.format(max(numbers, default=0) + 1)


@atomic_service
def change_order_propose(
    *, actor: User, program: Program, title: str, rationale: str, amount: Decimal
) -> ChangeOrder:
    """The CDMO team proposes a change to the contract value; the sponsor is told at once."""
    access.require(actor, access.Action.EDIT_PROGRAM, program)
    bounds.check(amount=amount)
    if not rationale.strip():
        raise Invalid(RATIONALE_REQUIRED, field="rationale")
    locked = changes.lock_program(program.pk)
    change_order = ChangeOrder(
        program=locked,
        reference=_next_change_order_reference(locked),
        title=title.strip(),
        rationale=rationale.strip(),
        amount=amount,
        proposed_by=actor,
    )
    money = format_money(amount, locked.currency)
    sponsor = program.sponsor.name
    return changes.create(
        change_order,
        actor=actor,
        program=locked,
        note=_shared_note(
            locked,
            "change_order.proposed",
            f"Change order {change_order.reference} proposed: {change_order.title} "
            f"({money}), awaiting {sponsor}",
            detail=f"{change_order.rationale}\n\nAmount: {money}. A lead of {sponsor} "
            "approves or rejects it on the program's cost page.",
            significance="notable",
            announce=True,
        ),
    )


@atomic_service
def change_order_decide(
    *, actor: User, change_order: ChangeOrder, decision: str, comment: str
) -> ChangeOrder:
    """Approve or reject, once, by a lead of the program's own sponsor, or by a colleague
    holding a lead's delegation (`portal.models.Delegation`): the decision then records "by the
    colleague on behalf of the lead". Approving adds the amount to the effective budget (which
    is derived, never stored)."""
    on_behalf_of = None
    if not access.may(actor, access.Action.DECIDE_CHANGE_ORDER, change_order.program):
        on_behalf_of = access.delegator_for(actor, change_order.program)
        if on_behalf_of is None:
            raise NotAllowed(CO_NOT_DECIDER)
    if decision not in (ChangeOrder.Status.APPROVED, ChangeOrder.Status.REJECTED):
        raise Invalid(CO_DECISION_INVALID, field="decision")
    comment = comment.strip()
    if not comment:
        raise Invalid(CO_COMMENT_REQUIRED, field="comment")
    program = changes.lock_program(change_order.program_id)
    change_order = ChangeOrder.objects.select_for_update().get(pk=change_order.pk)
    change_order.program = program
    if change_order.status != ChangeOrder.Status.PROPOSED:
        raise Conflict(CO_ALREADY_DECIDED)
    verb = ChangeOrder.Status(decision).label.lower()
    by = actor.display_name
    if on_behalf_of is not None:
        by = CO_ON_BEHALF_OF.format(delegate=actor.display_name, lead=on_behalf_of.display_name)
    changes.update(
        change_order,
        actor=actor,
        program=program,
        values={
            "status": decision,
            "decided_by": actor,
            "decided_at": timezone.now(),
            "decision_comment": comment,
            "decided_on_behalf_of": on_behalf_of,
        },
        reason=comment if on_behalf_of is None else f"Decided by {by}. {comment}",
        note=_shared_note(
            program,
            f"change_order.{decision}",
            f"Change order {change_order.reference} {verb} by {by}: "
            f"{change_order.title} ({format_money(change_order.amount, program.currency)})",
            detail=comment,
            significance="notable",
        ),
    )
    return change_order


@atomic_service
def budget_set(
    *, actor: User, program: Program, contract_value: Decimal, notes: str = "", reason: str = ""
) -> Budget:
    """Set the contract value. Once set, it moves through change orders; correcting it
    directly needs a reason."""
    access.require(actor, access.Action.EDIT_PROGRAM, program)
    bounds.check(contract_value=contract_value)
    if contract_value < 0:
        raise Invalid(CONTRACT_VALUE_NEGATIVE, field="contract_value")
    reason = reason.strip()
    locked = changes.lock_program(program.pk)
    note = _shared_note(
        locked,
        "budget.set",
        f"Contract value set to {format_money(contract_value, locked.currency)}",
        detail=reason,
    )
    budget = Budget.objects.select_for_update().filter(program=locked).first()
    if budget is None:
        budget = Budget(program=locked, contract_value=contract_value, notes=notes.strip())
        return changes.create(budget, actor=actor, program=locked, reason=reason, note=note)
    if budget.contract_value != contract_value and not reason:
        raise Invalid(CONTRACT_VALUE_REASON, field="reason")
    changes.update(
        budget,
        actor=actor,
        program=locked,
        values={"contract_value": contract_value, "notes": notes.strip()},
        reason=reason,
        note=note,
    )
    return budget


def _check_cost_links(
    program: Program, milestone: Milestone | None, change_order: ChangeOrder | None = None
) -> None:
    if milestone is not None and milestone.program_id != program.pk:
        raise Invalid(MILESTONE_OTHER_PROGRAM, field="milestone")
    if change_order is not None and change_order.program_id != program.pk:
        raise Invalid(CO_OTHER_PROGRAM, field="change_order")


def _cost_line_summary(line: CostLine, currency: str) -> str:
    return (
        f"{line.get_driver_display()} cost committed: {line.description} "
        f"({format_money(line.amount, currency)})"
    )


@atomic_service
def cost_line_add(
    *,
    actor: User,
    program: Program,
    driver: str,
    description: str,
    amount: Decimal,
    milestone: Milestone | None = None,
    change_order: ChangeOrder | None = None,
    audience: str = Audience.INTERNAL,
) -> CostLine:
    """Record cost the CDMO has committed to, by driver. The line's event has the line's
    audience: an internal line's description and amount stay in the CDMO's stream."""
    access.require(actor, access.Action.EDIT_PROGRAM, program)
    bounds.check(amount=amount)
    if amount <= 0:
        raise Invalid(AMOUNT_NOT_POSITIVE, field="amount")
    if audience not in Audience.values:
        raise Invalid(AUDIENCE_UNKNOWN, field="audience")
    _check_cost_links(program, milestone, change_order)
    locked = changes.lock_program(program.pk)
    line = CostLine(
        program=locked,
        driver=driver,
        description=description.strip(),
        amount=amount,
        milestone=milestone,
        change_order=change_order,
        audience=audience,
    )
    return changes.create(
        line,
        actor=actor,
        program=locked,
        note=changes.Note(
            verb="cost.committed",
            summary=_cost_line_summary(line, locked.currency),
            url=_costs_url(locked),
        ),
    )


@atomic_service
def cost_line_share(*, actor: User, cost_line: CostLine) -> CostLine:
    """Show an internal cost line to the sponsor: an audited step whose event reaches the
    sponsor's stream (and so their live cost page)."""
    access.require(actor, access.Action.SHARE, cost_line.program)
    program = changes.lock_program(cost_line.program_id)
    line = CostLine.objects.select_for_update().get(pk=cost_line.pk)
    line.program = program
    if line.audience == Audience.SPONSOR:
        raise Conflict(COST_LINE_ALREADY_SHARED)
    changes.update(
        line,
        actor=actor,
        program=program,
        values={"audience": Audience.SPONSOR},
        reason="Shared with the sponsor.",
        note=_shared_note(program, "cost.shared", _cost_line_summary(line, program.currency)),
    )
    return line


@atomic_service
def invoice_add(
    *,
    actor: User,
    program: Program,
    number: str,
    driver: str,
    amount: Decimal,
    issued_on: datetime.date,
    milestone: Milestone | None = None,
) -> Invoice:
    access.require(actor, access.Action.EDIT_PROGRAM, program)
    number = number.strip()
    bounds.check(amount=amount, issued_on=issued_on)
    if amount <= 0:
        raise Invalid(AMOUNT_NOT_POSITIVE, field="amount")
    if issued_on > clock.site_today():
        raise Invalid(INVOICE_IN_FUTURE, field="issued_on")
    _check_cost_links(program, milestone)
    locked = changes.lock_program(program.pk)
    if Invoice.objects.filter(number__iexact=number).exists():
        raise Invalid(INVOICE_NUMBER_TAKEN, field="number")
    invoice = Invoice(
        program=locked,
        number=number,
        driver=driver,
        amount=amount,
        issued_on=issued_on,
        milestone=milestone,
    )
    against = f" for {milestone.name}" if milestone is not None else ""
    return changes.create(
        invoice,
        actor=actor,
        program=locked,
        note=_shared_note(
            locked,
            "invoice.issued",
            f"Invoice {invoice.number} issued{against} ({format_money(amount, locked.currency)})",
        ),
    )
