"""A program's health: the rule's verdict (computed by comms, which sees every input) and the
PM's override, which needs a reason that sponsors read next to the badge."""

from __future__ import annotations

from django.utils import timezone

from portal import access
from portal.access import Audience
from portal.errors import Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program
from programs.services.common import REASON_REQUIRED

UNKNOWN_HEALTH = "Health is green, amber or red."
HEALTHY = "No slips beyond threshold, long-open questions, high risks or overdue actions."
RULE_REASON = "Health rule re-evaluated."


@atomic_service
def program_override_health(*, actor: User, program: Program, health: str, reason: str) -> Program:
    """The PM overrides the rule's verdict (or, with `health=""`, returns to it). Either way
    the reason is required and audited: sponsors read it next to the health badge."""
    access.require(actor, access.Action.OVERRIDE_HEALTH, program)
    reason = reason.strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    if health and health not in Program.Health.values:
        raise Invalid(UNKNOWN_HEALTH, field="health")
    locked = changes.lock_program(program.pk)
    shown = health or locked.health_rule
    verdict = Program.Health(shown).label.lower()
    changes.update(
        locked,
        actor=actor,
        program=locked,
        values={
            "health_override": health,
            "health_override_by": actor if health else None,
            "health_override_at": timezone.now() if health else None,
            "health": shown,
            "health_reason": reason,
        },
        reason=reason,
        note=changes.Note(
            verb="program.health",
            summary=(
                f"Health set to {verdict} by the PM: {reason}"
                if health
                else f"Health back to the rule ({verdict}): {reason}"
            ),
            audience=Audience.SPONSOR,
        ),
    )
    return locked


@atomic_service
def program_health_apply_rule(*, program_id: int, health: str, reasons: list[str]) -> bool:
    """Store the rule's verdict. Sponsors see it unless the PM has overridden it. Returns
    whether anything changed. It never asks for another evaluation (no reaction loop)."""
    program = changes.lock_program(program_id)
    reason = "; ".join(reasons) if reasons else HEALTHY
    effective = program.health_override or health
    shown_reason = program.health_reason if program.health_override else reason
    if (program.health_rule, program.health, program.health_reason) == (
        health,
        effective,
        shown_reason,
    ):
        return False
    verdict_changes = program.health != effective
    label = Program.Health(effective).label.lower()
    changes.update(
        program,
        actor=None,
        program=program,
        values={"health_rule": health, "health": effective, "health_reason": shown_reason},
        reason=RULE_REASON,
        react=False,
        note=changes.Note(
            verb="program.health",
            summary=f"Health is now {label}: {reason}",
            audience=Audience.SPONSOR,
            significance="notable" if effective == Program.Health.RED else "info",
        )
        if verdict_changes
        else None,
    )
    return True
