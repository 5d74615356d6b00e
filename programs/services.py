"""Writes for programs: each service checks permission, changes rows, audits and logs events
in one transaction, and wakes live pages after commit."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal import audit, live, policy
from portal.errors import ServiceError
from portal.models import Organisation, User
from portal.queue import enqueue_on_commit
from programs.models import (
    Audience,
    Budget,
    ChangeOrder,
    CostLine,
    Event,
    Invoice,
    Milestone,
    Program,
    ProgramMember,
    Workstream,
)
from programs.money import format_money

REASON_REQUIRED = "A reason is required."
NOT_ALLOWED = "You are not allowed to do that."
ANNOUNCE_TASK = "comms.tasks.announce_event"
HEALTH_TASK = "comms.tasks.refresh_health"
UNKNOWN_HEALTH = "Health is green, amber or red."
HEALTHY = "No slips beyond threshold, long-open questions, high risks or overdue actions."
HEALTH_FIELDS = [
    "health",
    "health_reason",
    "health_rule",
    "health_override",
    "health_override_by",
    "health_override_at",
]


def event_append(
    *,
    program: Program,
    kind: str,
    verb: str,
    summary: str,
    audience: str,
    actor: User | None,
    url: str = "",
    detail: str = "",
    significance: str = "info",
    announce: bool = False,
    refresh_health: bool = True,
) -> Event:
    """Add to the program's activity stream; live streams hear of it once committed.

    `announce=True` asks comms to post it as a program update too (and so notify the sponsor):
    a task reacts after commit, and comms' sweep catches any announcement a lost enqueue missed.
    """
    event = Event.objects.create(
        program=program,
        kind=kind,
        verb=verb,
        summary=summary[:300],
        detail=detail,
        significance=significance,
        announce=announce and audience == Audience.SPONSOR,
        audience=audience,
        actor=actor,
        url=url,
    )
    message = {
        "id": event.id,
        "program": program.code,
        "sponsor": program.sponsor_id,
        "audience": audience,
        "kind": kind,
        "significance": event.significance,
        "summary": event.summary,
    }
    transaction.on_commit(lambda: live.publish(message))
    if event.announce:
        enqueue_on_commit(ANNOUNCE_TASK, event.id)
    if refresh_health:
        # Whatever happened may move the program's health; comms re-evaluates the rule.
        enqueue_on_commit(HEALTH_TASK, program.pk)
    return event


def program_create(
    *,
    actor: User | None,
    sponsor: Organisation,
    code: str,
    name: str,
    phase: str,
    **fields: object,
) -> Program:
    if sponsor.kind != Organisation.Kind.SPONSOR:
        raise ServiceError("A program belongs to a sponsor organisation.", field="sponsor")
    with transaction.atomic():
        program = Program(sponsor=sponsor, code=code, name=name, phase=phase, **fields)
        program.full_clean()
        program.save()
        audit.record_create(actor=actor, instance=program, program_id=program.pk)
        event_append(
            program=program,
            kind=Event.Kind.PROGRAM,
            verb="program.created",
            summary=f"Program {program.code} created",
            audience=Audience.SPONSOR,
            actor=actor,
        )
    return program


def program_member_assign(
    *, actor: User | None, program: Program, user: User, role: str, rank: str = ""
) -> ProgramMember:
    """Put a person on the program. A new dedicated PM ends the previous one's tenure and the
    stream records the handover, so the history reads continuously across staff changes."""
    with transaction.atomic():
        predecessors = []
        if role == ProgramMember.Role.DEDICATED_PM:
            for previous in program.members.active().filter(role=role).exclude(user=user):
                before = audit.snapshot(previous, ["ended_at"])
                previous.ended_at = timezone.now()
                previous.save(update_fields=["ended_at"])
                audit.record_update(
                    actor=actor, instance=previous, before=before, program_id=program.pk
                )
                predecessors.append(previous.user.display_name)
        member, created = ProgramMember.objects.get_or_create(
            program=program, user=user, role=role, ended_at=None, defaults={"rank": rank}
        )
        if created:
            audit.record_create(actor=actor, instance=member, program_id=program.pk)
            summary = (
                f"Dedicated PM handed over from {', '.join(predecessors)} to {user.display_name}"
                if predecessors
                else f"{user.display_name} joined as {member.get_role_display().lower()}"
            )
            event_append(
                program=program,
                kind=Event.Kind.MEMBER,
                verb="member.handover" if predecessors else "member.assigned",
                summary=summary,
                audience=Audience.SPONSOR,
                actor=actor,
                significance="notable" if predecessors else "info",
            )
        program.forget_members()
    return member


def program_override_health(*, actor: User, program: Program, health: str, reason: str) -> Program:
    """The PM overrides the rule's verdict (or, with `health=""`, returns to it). Either way
    the reason is required and audited: sponsors read it next to the health badge."""
    if not policy.is_program_team(actor, program):
        raise ServiceError(NOT_ALLOWED)
    reason = reason.strip()
    if not reason:
        raise ServiceError(REASON_REQUIRED, field="reason")
    if health and health not in Program.Health.values:
        raise ServiceError(UNKNOWN_HEALTH, field="health")
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program.pk)
        before = audit.snapshot(program, HEALTH_FIELDS)
        program.health_override = health
        program.health_override_by = actor if health else None
        program.health_override_at = timezone.now() if health else None
        program.health = health or program.health_rule
        program.health_reason = reason
        program.save(update_fields=HEALTH_FIELDS)
        audit.record_update(
            actor=actor, instance=program, before=before, program_id=program.pk, reason=reason
        )
        verdict = program.get_health_display().lower()
        event_append(
            program=program,
            kind=Event.Kind.PROGRAM,
            verb="program.health",
            summary=(
                f"Health set to {verdict} by the PM: {reason}"
                if health
                else f"Health back to the rule ({verdict}): {reason}"
            ),
            audience=Audience.SPONSOR,
            actor=actor,
        )
    return program


def program_health_apply_rule(*, program_id: int, health: str, reasons: list[str]) -> bool:
    """Store the rule's verdict (computed by comms, which sees every input). Sponsors see it
    unless the PM has overridden it. Returns whether anything changed."""
    with transaction.atomic():
        program = Program.objects.select_for_update().get(pk=program_id)
        reason = "; ".join(reasons) if reasons else HEALTHY
        effective = program.health_override or health
        shown_reason = program.health_reason if program.health_override else reason
        if (program.health_rule, program.health, program.health_reason) == (
            health,
            effective,
            shown_reason,
        ):
            return False
        before = audit.snapshot(program, HEALTH_FIELDS)
        changed_verdict = program.health != effective
        program.health_rule = health
        program.health = effective
        program.health_reason = shown_reason
        program.save(update_fields=HEALTH_FIELDS)
        audit.record_update(
            actor=None,
            instance=program,
            before=before,
            program_id=program.pk,
            reason="Health rule re-evaluated.",
        )
        if changed_verdict:
            event_append(
                program=program,
                kind=Event.Kind.PROGRAM,
                verb="program.health",
                summary=f"Health is now {program.get_health_display().lower()}: {reason}",
                audience=Audience.SPONSOR,
                actor=None,
                significance="notable" if effective == Program.Health.RED else "info",
                refresh_health=False,
            )
    return True


# --- Workstreams, milestones and the timeline (issue 3) -------------------------------------

WORKSTREAM_DATES_ORDER = "The end date must be on or after the start date."
WORKSTREAM_NAME_TAKEN = "This program already has a workstream with that name."
CDMO_OWNER_INVALID = "The CDMO owner must be an active CDMO user."
SPONSOR_OWNER_INVALID = "The sponsor owner must be an active user of this program's sponsor."
WORKSTREAM_OTHER_PROGRAM = "That workstream belongs to another program."
FORECAST_IN_PAST = "The forecast of an unfinished milestone cannot be in the past."
FORECAST_UNCHANGED = "The forecast is already on that date."
MILESTONE_COMPLETE = "This milestone is complete: its forecast no longer moves."
MILESTONE_ALREADY_COMPLETE = "This milestone is already complete."
ACTUAL_IN_FUTURE = "The actual date cannot be in the future."
BASELINE_FROZEN = "The baseline was frozen at the kick-off: give a reason for changing it."
BASELINE_UNCHANGED = "The baseline is already on that date."


def _require_editor(actor: User, program: Program) -> None:
    if not policy.can_edit_program(actor, program):
        raise ServiceError(NOT_ALLOWED)


def _day(value: datetime.date) -> str:
    return f"{value.day} {value:%b %Y}"


def _slip_phrase(days: int) -> str:
    if days == 0:
        return "on baseline"
    unit = "day" if abs(days) == 1 else "days"
    return f"{days} {unit} behind baseline" if days > 0 else f"{-days} {unit} ahead of baseline"


def _timeline_url(program: Program) -> str:
    return reverse("program-timeline", args=[program.code])


def _check_workstream(
    *,
    program: Program,
    name: str,
    cdmo_owner: User | None,
    sponsor_owner: User | None,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
    exclude_pk: int | None = None,
) -> None:
    if start_date and end_date and end_date < start_date:
        raise ServiceError(WORKSTREAM_DATES_ORDER, field="end_date")
    if cdmo_owner is not None and not (cdmo_owner.is_active and policy.is_cdmo(cdmo_owner)):
        raise ServiceError(CDMO_OWNER_INVALID, field="cdmo_owner")
    if sponsor_owner is not None:
        owner_membership = policy.membership(sponsor_owner)
        if not (
            sponsor_owner.is_active
            and owner_membership is not None
            and owner_membership.is_sponsor
            and owner_membership.organisation_id == program.sponsor_id
        ):
            raise ServiceError(SPONSOR_OWNER_INVALID, field="sponsor_owner")
    same_name = Workstream.objects.filter(program=program, name__iexact=name.strip())
    if same_name.exclude(pk=exclude_pk).exists():
        raise ServiceError(WORKSTREAM_NAME_TAKEN, field="name")


def _put_owners_on_program(*, actor: User, workstream: Workstream) -> None:
    """An owner on either side is one of the program's people (and so in its history)."""
    for owner in (workstream.cdmo_owner, workstream.sponsor_owner):
        if owner is not None:
            program_member_assign(
                actor=actor,
                program=workstream.program,
                user=owner,
                role=ProgramMember.Role.WORKSTREAM_OWNER,
            )


def workstream_create(
    *,
    actor: User,
    program: Program,
    name: str,
    kind: str = Workstream.Kind.OTHER,
    cdmo_owner: User | None = None,
    sponsor_owner: User | None = None,
    status: str = Workstream.Status.NOT_STARTED,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
) -> Workstream:
    _require_editor(actor, program)
    _check_workstream(
        program=program,
        name=name,
        cdmo_owner=cdmo_owner,
        sponsor_owner=sponsor_owner,
        start_date=start_date,
        end_date=end_date,
    )
    with transaction.atomic():
        position = Workstream.objects.filter(program=program).count()
        workstream = Workstream(
            program=program,
            name=name.strip(),
            kind=kind,
            cdmo_owner=cdmo_owner,
            sponsor_owner=sponsor_owner,
            status=status,
            start_date=start_date,
            end_date=end_date,
            position=position,
        )
        workstream.full_clean()
        workstream.save()
        audit.record_create(actor=actor, instance=workstream, program_id=program.pk)
        _put_owners_on_program(actor=actor, workstream=workstream)
        event_append(
            program=program,
            kind=Event.Kind.WORKSTREAM,
            verb="workstream.created",
            summary=f"Workstream {workstream.name} added",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_timeline_url(program),
        )
    return workstream


WORKSTREAM_FIELD_LABELS = {
    "name": "name",
    "kind": "kind",
    "cdmo_owner_id": "CDMO owner",
    "sponsor_owner_id": "sponsor owner",
    "status": "status",
    "start_date": "start date",
    "end_date": "end date",
}


def workstream_update(
    *,
    actor: User,
    workstream: Workstream,
    name: str,
    kind: str,
    cdmo_owner: User | None,
    sponsor_owner: User | None,
    status: str,
    start_date: datetime.date | None,
    end_date: datetime.date | None,
) -> Workstream:
    program = workstream.program
    _require_editor(actor, program)
    _check_workstream(
        program=program,
        name=name,
        cdmo_owner=cdmo_owner,
        sponsor_owner=sponsor_owner,
        start_date=start_date,
        end_date=end_date,
        exclude_pk=workstream.pk,
    )
    with transaction.atomic():
        workstream = Workstream.objects.select_for_update().get(pk=workstream.pk)
        workstream.program = program
        before = audit.snapshot(workstream, WORKSTREAM_FIELD_LABELS.keys())
        workstream.name = name.strip()
        workstream.kind = kind
        workstream.cdmo_owner = cdmo_owner
        workstream.sponsor_owner = sponsor_owner
        workstream.status = status
        workstream.start_date = start_date
        workstream.end_date = end_date
        workstream.full_clean()
        workstream.save()
        entry = audit.record_update(
            actor=actor, instance=workstream, before=before, program_id=program.pk
        )
        if entry is not None:
            _put_owners_on_program(actor=actor, workstream=workstream)
            changed = ", ".join(WORKSTREAM_FIELD_LABELS[name] for name in entry.changes)
            event_append(
                program=program,
                kind=Event.Kind.WORKSTREAM,
                verb="workstream.updated",
                summary=f"Workstream {workstream.name} updated: {changed}",
                audience=Audience.SPONSOR,
                actor=actor,
                url=_timeline_url(program),
            )
    return workstream


def _locked_milestone(milestone: Milestone) -> Milestone:
    """The milestone's current row, locked, with its program as the database has it now
    (the kick-off may have frozen the baselines since the caller loaded it)."""
    return (
        Milestone.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=milestone.pk)
    )


def milestone_create(
    *,
    actor: User,
    program: Program,
    name: str,
    baseline_date: datetime.date,
    workstream: Workstream | None = None,
    description: str = "",
    reason: str = "",
) -> Milestone:
    """A new dated commitment; its forecast starts on the baseline."""
    _require_editor(actor, program)
    if workstream is not None and workstream.program_id != program.pk:
        raise ServiceError(WORKSTREAM_OTHER_PROGRAM, field="workstream")
    with transaction.atomic():
        milestone = Milestone(
            program=program,
            workstream=workstream,
            name=name.strip(),
            description=description.strip(),
            baseline_date=baseline_date,
            forecast_date=baseline_date,
        )
        milestone.full_clean()
        milestone.save()
        audit.record_create(
            actor=actor, instance=milestone, program_id=program.pk, reason=reason.strip()
        )
        event_append(
            program=program,
            kind=Event.Kind.MILESTONE,
            verb="milestone.created",
            summary=f"Milestone {milestone.name} added for {_day(baseline_date)}",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_timeline_url(program),
        )
    return milestone


def milestone_reschedule(
    *, actor: User, milestone: Milestone, forecast_date: datetime.date, reason: str
) -> Milestone:
    """Move the forecast. Every move is audited with its reason; a slip beyond the program's
    threshold that got worse is announced to the sponsor as a notable update."""
    _require_editor(actor, milestone.program)
    reason = reason.strip()
    if not reason:
        raise ServiceError(REASON_REQUIRED, field="reason")
    with transaction.atomic():
        milestone = _locked_milestone(milestone)
        if milestone.is_done:
            raise ServiceError(MILESTONE_COMPLETE)
        if forecast_date < timezone.localdate():
            raise ServiceError(FORECAST_IN_PAST, field="forecast_date")
        if forecast_date == milestone.forecast_date:
            raise ServiceError(FORECAST_UNCHANGED, field="forecast_date")
        program = milestone.program
        previous_forecast, previous_slip = milestone.forecast_date, milestone.slip_days
        before = audit.snapshot(milestone, ["forecast_date", "forecast_changed_at"])
        milestone.forecast_date = forecast_date
        milestone.forecast_changed_at = timezone.now()
        milestone.full_clean()
        milestone.save(update_fields=["forecast_date", "forecast_changed_at"])
        audit.record_update(
            actor=actor, instance=milestone, before=before, program_id=program.pk, reason=reason
        )
        slip = milestone.slip_days
        notable = slip > program.slip_threshold_days and slip > previous_slip
        event_append(
            program=program,
            kind=Event.Kind.MILESTONE,
            verb="milestone.rescheduled",
            summary=f"{milestone.name}: forecast moved to {_day(forecast_date)}, "
            f"{_slip_phrase(slip)}",
            detail=(
                f"Forecast moved from {_day(previous_forecast)} to {_day(forecast_date)} "
                f"(baseline {_day(milestone.baseline_date)}, now {_slip_phrase(slip)}).\n\n"
                f"Reason: {reason}"
            ),
            significance="notable" if notable else "info",
            announce=notable,
            audience=Audience.SPONSOR,
            actor=actor,
            url=_timeline_url(program),
        )
    return milestone


def milestone_rebaseline(
    *, actor: User, milestone: Milestone, baseline_date: datetime.date, reason: str = ""
) -> Milestone:
    """Change the agreed date. Before the kick-off completes this is planning; afterwards the
    baseline is frozen and a change needs a reason. A forecast that sat on the old baseline
    follows it, so re-planning does not read as a slip."""
    _require_editor(actor, milestone.program)
    reason = reason.strip()
    with transaction.atomic():
        milestone = _locked_milestone(milestone)
        program = milestone.program
        frozen = program.baseline_frozen_at is not None
        if frozen and not reason:
            raise ServiceError(BASELINE_FROZEN, field="reason")
        if baseline_date == milestone.baseline_date:
            raise ServiceError(BASELINE_UNCHANGED, field="baseline_date")
        previous = milestone.baseline_date
        before = audit.snapshot(
            milestone, ["baseline_date", "forecast_date", "forecast_changed_at"]
        )
        if (
            not milestone.is_done
            and milestone.forecast_date == previous
            and baseline_date >= timezone.localdate()
        ):
            milestone.forecast_date = baseline_date
            milestone.forecast_changed_at = timezone.now()
        milestone.baseline_date = baseline_date
        milestone.full_clean()
        milestone.save(update_fields=["baseline_date", "forecast_date", "forecast_changed_at"])
        audit.record_update(
            actor=actor, instance=milestone, before=before, program_id=program.pk, reason=reason
        )
        event_append(
            program=program,
            kind=Event.Kind.MILESTONE,
            verb="milestone.rebaselined",
            summary=f"{milestone.name}: baseline moved from {_day(previous)} "
            f"to {_day(baseline_date)}",
            detail=f"Reason: {reason}" if reason else "",
            significance="notable" if frozen else "info",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_timeline_url(program),
        )
    return milestone


def milestone_complete(
    *, actor: User, milestone: Milestone, actual_date: datetime.date, reason: str = ""
) -> Milestone:
    _require_editor(actor, milestone.program)
    if actual_date > timezone.localdate():
        raise ServiceError(ACTUAL_IN_FUTURE, field="actual_date")
    reason = reason.strip()
    with transaction.atomic():
        milestone = _locked_milestone(milestone)
        if milestone.is_done:
            raise ServiceError(MILESTONE_ALREADY_COMPLETE)
        before = audit.snapshot(milestone, ["actual_date"])
        milestone.actual_date = actual_date
        milestone.full_clean()
        milestone.save(update_fields=["actual_date"])
        audit.record_update(
            actor=actor,
            instance=milestone,
            before=before,
            program_id=milestone.program_id,
            reason=reason,
        )
        event_append(
            program=milestone.program,
            kind=Event.Kind.MILESTONE,
            verb="milestone.completed",
            summary=f"{milestone.name} completed on {_day(actual_date)}, "
            f"{_slip_phrase(milestone.slip_days)}",
            detail=reason,
            audience=Audience.SPONSOR,
            actor=actor,
            url=_timeline_url(milestone.program),
        )
    return milestone


# --- Costs and change orders (issue 3) ------------------------------------------------------

RATIONALE_REQUIRED = "Explain why the change is needed."
CO_NOT_DECIDER = "Only a lead of the program's sponsor can approve or reject a change order."
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
CO_REFERENCE_FORMAT = "CO-{:03d}"


def _costs_url(program: Program) -> str:
    return reverse("program-costs", args=[program.code])


def _next_change_order_reference(program: Program) -> str:
    """CO-001, CO-002 … per program. The caller holds the program's row lock, so two
    proposals at once cannot take the same number."""
    references = ChangeOrder.objects.filter(program=program).values_list("reference", flat=True)
    numbers = [int(ref[3:]) for ref in references if ref[3:].isdigit()]
    return CO_REFERENCE_FORMAT.format(max(numbers, default=0) + 1)


def change_order_propose(
    *, actor: User, program: Program, title: str, rationale: str, amount: Decimal
) -> ChangeOrder:
    """The CDMO team proposes a change to the contract value; the sponsor is told at once."""
    _require_editor(actor, program)
    if not rationale.strip():
        raise ServiceError(RATIONALE_REQUIRED, field="rationale")
    with transaction.atomic():
        Program.objects.select_for_update().only("pk").get(pk=program.pk)
        change_order = ChangeOrder(
            program=program,
            reference=_next_change_order_reference(program),
            title=title.strip(),
            rationale=rationale.strip(),
            amount=amount,
            proposed_by=actor,
        )
        change_order.full_clean()
        change_order.save()
        audit.record_create(actor=actor, instance=change_order, program_id=program.pk)
        money = format_money(amount, program.currency)
        event_append(
            program=program,
            kind=Event.Kind.COST,
            verb="change_order.proposed",
            summary=f"Change order {change_order.reference} proposed: {change_order.title} "
            f"({money}), awaiting {program.sponsor.name}",
            detail=f"{change_order.rationale}\n\nAmount: {money}. A lead of "
            f"{program.sponsor.name} approves or rejects it on the program's cost page.",
            significance="notable",
            announce=True,
            audience=Audience.SPONSOR,
            actor=actor,
            url=_costs_url(program),
        )
    return change_order


def change_order_decide(
    *, actor: User, change_order: ChangeOrder, decision: str, comment: str
) -> ChangeOrder:
    """Approve or reject, once, by a lead of the program's own sponsor, with a comment.
    Approving adds the amount to the effective budget (which is derived, never stored)."""
    program = change_order.program
    if not policy.can_decide_change_order(actor, program):
        raise ServiceError(CO_NOT_DECIDER)
    if decision not in (ChangeOrder.Status.APPROVED, ChangeOrder.Status.REJECTED):
        raise ServiceError(CO_DECISION_INVALID, field="decision")
    comment = comment.strip()
    if not comment:
        raise ServiceError(CO_COMMENT_REQUIRED, field="comment")
    with transaction.atomic():
        change_order = (
            ChangeOrder.objects.select_for_update(of=("self",))
            .select_related("program")
            .get(pk=change_order.pk)
        )
        if change_order.status != ChangeOrder.Status.PROPOSED:
            raise ServiceError(CO_ALREADY_DECIDED)
        before = audit.snapshot(
            change_order, ["status", "decided_by_id", "decided_at", "decision_comment"]
        )
        change_order.status = decision
        change_order.decided_by = actor
        change_order.decided_at = timezone.now()
        change_order.decision_comment = comment
        change_order.full_clean()
        change_order.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
        audit.record_update(
            actor=actor,
            instance=change_order,
            before=before,
            program_id=program.pk,
            reason=comment,
        )
        verb = change_order.get_status_display().lower()
        event_append(
            program=program,
            kind=Event.Kind.COST,
            verb=f"change_order.{decision}",
            summary=f"Change order {change_order.reference} {verb} by {actor.display_name}: "
            f"{change_order.title} ({format_money(change_order.amount, program.currency)})",
            detail=comment,
            significance="notable",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_costs_url(program),
        )
    return change_order


def budget_set(
    *, actor: User, program: Program, contract_value: Decimal, notes: str = "", reason: str = ""
) -> Budget:
    """Set the contract value. Once set, it moves through change orders; correcting it
    directly needs a reason."""
    _require_editor(actor, program)
    if contract_value < 0:
        raise ServiceError(CONTRACT_VALUE_NEGATIVE, field="contract_value")
    reason = reason.strip()
    with transaction.atomic():
        budget = Budget.objects.select_for_update().filter(program=program).first()
        if budget is None:
            budget = Budget(program=program, contract_value=contract_value, notes=notes.strip())
            budget.full_clean()
            budget.save()
            audit.record_create(actor=actor, instance=budget, program_id=program.pk, reason=reason)
        else:
            if budget.contract_value != contract_value and not reason:
                raise ServiceError(CONTRACT_VALUE_REASON, field="reason")
            before = audit.snapshot(budget, ["contract_value", "notes"])
            budget.contract_value = contract_value
            budget.notes = notes.strip()
            budget.full_clean()
            budget.save(update_fields=["contract_value", "notes"])
            audit.record_update(
                actor=actor, instance=budget, before=before, program_id=program.pk, reason=reason
            )
        event_append(
            program=program,
            kind=Event.Kind.COST,
            verb="budget.set",
            summary=f"Contract value set to {format_money(contract_value, program.currency)}",
            detail=reason,
            audience=Audience.SPONSOR,
            actor=actor,
            url=_costs_url(program),
        )
    return budget


def _check_cost_links(
    program: Program, milestone: Milestone | None, change_order: ChangeOrder | None = None
) -> None:
    if milestone is not None and milestone.program_id != program.pk:
        raise ServiceError(MILESTONE_OTHER_PROGRAM, field="milestone")
    if change_order is not None and change_order.program_id != program.pk:
        raise ServiceError(CO_OTHER_PROGRAM, field="change_order")


def cost_line_add(
    *,
    actor: User,
    program: Program,
    driver: str,
    description: str,
    amount: Decimal,
    milestone: Milestone | None = None,
    change_order: ChangeOrder | None = None,
) -> CostLine:
    """Record cost the CDMO has committed to, by driver."""
    _require_editor(actor, program)
    if amount <= 0:
        raise ServiceError(AMOUNT_NOT_POSITIVE, field="amount")
    _check_cost_links(program, milestone, change_order)
    with transaction.atomic():
        line = CostLine(
            program=program,
            driver=driver,
            description=description.strip(),
            amount=amount,
            milestone=milestone,
            change_order=change_order,
        )
        line.full_clean()
        line.save()
        audit.record_create(actor=actor, instance=line, program_id=program.pk)
        event_append(
            program=program,
            kind=Event.Kind.COST,
            verb="cost.committed",
            summary=f"{line.get_driver_display()} cost committed: {line.description} "
            f"({format_money(amount, program.currency)})",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_costs_url(program),
        )
    return line


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
    _require_editor(actor, program)
    number = number.strip()
    if amount <= 0:
        raise ServiceError(AMOUNT_NOT_POSITIVE, field="amount")
    if issued_on > timezone.localdate():
        raise ServiceError(INVOICE_IN_FUTURE, field="issued_on")
    _check_cost_links(program, milestone)
    if Invoice.objects.filter(number__iexact=number).exists():
        raise ServiceError(INVOICE_NUMBER_TAKEN, field="number")
    with transaction.atomic():
        invoice = Invoice(
            program=program,
            number=number,
            driver=driver,
            amount=amount,
            issued_on=issued_on,
            milestone=milestone,
        )
        invoice.full_clean()
        invoice.save()
        audit.record_create(actor=actor, instance=invoice, program_id=program.pk)
        against = f" for {milestone.name}" if milestone is not None else ""
        event_append(
            program=program,
            kind=Event.Kind.COST,
            verb="invoice.issued",
            summary=f"Invoice {invoice.number} issued{against} "
            f"({format_money(amount, program.currency)})",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_costs_url(program),
        )
    return invoice
