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
from portal.queue import enqueue_on_commit
from portal.models import Organisation, User
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
    """Put a person on the program. A new dedicated PM ends the previous one's tenure, so the
    history shows a continuous handover."""
    with transaction.atomic():
        if role == ProgramMember.Role.DEDICATED_PM:
            for previous in program.members.active().filter(role=role).exclude(user=user):
                before = audit.snapshot(previous, ["ended_at"])
                previous.ended_at = timezone.now()
                previous.save(update_fields=["ended_at"])
                audit.record_update(
                    actor=actor, instance=previous, before=before, program_id=program.pk
                )
        member, created = ProgramMember.objects.get_or_create(
            program=program, user=user, role=role, ended_at=None, defaults={"rank": rank}
        )
        if created:
            audit.record_create(actor=actor, instance=member, program_id=program.pk)
            event_append(
                program=program,
                kind=Event.Kind.MEMBER,
                verb="member.assigned",
                summary=f"{user.display_name} joined as {member.get_role_display().lower()}",
                audience=Audience.SPONSOR,
                actor=actor,
            )
        program.__dict__.pop("active_members", None)
    return member


def program_override_health(
    *, actor: User, program: Program, health: str, reason: str
) -> Program:
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
            actor=None, instance=program, before=before, program_id=program.pk,
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
