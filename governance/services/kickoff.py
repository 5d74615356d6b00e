"""The kick-off: its record, the PM's confirmation of the baseline, and completing it (which
freezes the program's baselines). The kick-off is agreed by both sides, so its events are
shared. The KPI targets it agrees are `programs.services.targets`."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Sequence

from django.urls import reverse
from django.utils import timezone

from governance.models import Kickoff
from governance.selectors import kickoff_checklist
from governance.services.common import NOT_PROGRAM_TEAM, participants, require, set_people
from portal import access, bounds, clock
from portal.access import Action, Audience
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

NOT_KICKOFF_OWNER = "Only the program's dedicated PM or CDMO leadership can do that."
KICKOFF_LOCKED = "The kick-off is complete; its record can no longer be changed."
KICKOFF_ALREADY_COMPLETE = "The kick-off is already complete."
KICKOFF_INCOMPLETE = "The kick-off cannot be completed yet. Still missing: {missing}."
KICKOFF_RECORD_MISSING = "the kick-off date and attendees from both sides"
KICKOFF_IN_FUTURE = "The kick-off date cannot be in the future."
UNKNOWN_CONFIRMATION = "Unknown kick-off confirmation."
BASELINE_FROZEN = "Kick-off complete: the baseline timeline is frozen."

CONFIRMATIONS = {
    "baseline": ("baseline_agreed_at", "baseline_agreed_by", "Baseline timeline agreed"),
}


def _note(program: Program, verb: str, summary: str) -> changes.Note:
    return changes.Note(
        verb=verb,
        summary=summary,
        audience=Audience.SPONSOR,
        url=reverse("kickoff", args=[program.code]),
    )


def _locked_kickoff(program: Program) -> Kickoff | None:
    return Kickoff.objects.select_for_update().filter(program_id=program.pk).first()


@atomic_service
def kickoff_record(
    *,
    actor: User,
    program: Program,
    held_on: datetime.date | None,
    attendees: Sequence[User],
    agenda: str = "",
    decisions: str = "",
) -> Kickoff:
    """Write the kick-off record: when it was held, who came from both sides, the agenda and
    the decisions. Locked once the kick-off is complete."""
    require(actor, Action.EDIT_PROGRAM, program, NOT_PROGRAM_TEAM)
    bounds.check(held_on=held_on)
    if held_on is not None and held_on > clock.site_today():
        raise Invalid(KICKOFF_IN_FUTURE, field="held_on")
    people = participants(program, attendees, "attendees")
    locked = changes.lock_program(program.pk)
    kickoff = _locked_kickoff(locked)
    if kickoff is not None and kickoff.is_complete:
        raise Conflict(KICKOFF_LOCKED)
    values = {"held_on": held_on, "agenda": agenda.strip(), "decisions": decisions.strip()}
    if kickoff is None:
        kickoff = changes.create(Kickoff(program=locked, **values), actor=actor, program=locked)
        changed = True
    else:
        changed = changes.update(kickoff, actor=actor, program=locked, values=values) is not None
    changed |= set_people(kickoff, "attendees", people, actor=actor, program=locked)
    if changed:
        changes.log(
            program=locked,
            actor=actor,
            subject=kickoff,
            note=_note(program, "kickoff.recorded", "Kick-off record updated"),
        )
    return kickoff


@atomic_service
def kickoff_confirm(*, actor: User, program: Program, item: str, agreed: bool = True) -> Kickoff:
    """The PM confirms (or withdraws) the agreement the data cannot show: the baseline
    timeline. Who and when are stored with it. (The KPI targets are data: `kpi_targets_set`.)"""
    require(actor, Action.CONFIRM_KICKOFF, program, NOT_KICKOFF_OWNER)
    if item not in CONFIRMATIONS:
        raise Invalid(UNKNOWN_CONFIRMATION, field="item")
    at_field, by_field, label = CONFIRMATIONS[item]
    locked = changes.lock_program(program.pk)
    kickoff = _locked_kickoff(locked)
    if kickoff is not None and kickoff.is_complete:
        raise Conflict(KICKOFF_LOCKED)
    if bool(getattr(kickoff, at_field, None)) == agreed:
        return kickoff or Kickoff(program=locked)
    values = {at_field: timezone.now() if agreed else None, by_field: actor if agreed else None}
    note = _note(
        program,
        "kickoff.confirmed" if agreed else "kickoff.withdrawn",
        label if agreed else f"{label}: confirmation withdrawn",
    )
    if kickoff is None:
        kickoff = changes.create(
            Kickoff(program=locked, **values), actor=actor, program=locked, note=note
        )
    else:
        changes.update(kickoff, actor=actor, program=locked, values=values, note=note)
    return kickoff


def _record_is_missing(kickoff: Kickoff) -> bool:
    """No date, or attendees from one side only."""
    if kickoff.held_on is None:
        return True
    viewers = (access.viewer(a) for a in kickoff.attendees.select_related("membership"))
    sides = {who.is_cdmo for who in viewers if who is not None}
    return sides != {True, False}


@atomic_service
def kickoff_complete(*, actor: User, program: Program) -> Kickoff:
    """Complete the kick-off once every checklist item is done. This freezes the baselines:
    from now on a milestone's baseline changes only with a reason."""
    require(actor, Action.CONFIRM_KICKOFF, program, NOT_KICKOFF_OWNER)
    locked = changes.lock_program(program.pk)
    kickoff = _locked_kickoff(locked) or Kickoff(program=locked)
    if kickoff.is_complete:
        raise Conflict(KICKOFF_ALREADY_COMPLETE)
    missing = [item.label.lower() for item in kickoff_checklist(program, kickoff) if not item.done]
    if kickoff.pk is None or _record_is_missing(kickoff):
        missing.insert(0, KICKOFF_RECORD_MISSING)
    if missing:
        raise Conflict(KICKOFF_INCOMPLETE.format(missing="; ".join(missing)))
    now = timezone.now()
    changes.update(
        kickoff, actor=actor, program=locked, values={"completed_at": now, "completed_by": actor}
    )
    changes.update(
        locked,
        actor=actor,
        program=locked,
        values={"baseline_frozen_at": now},
        reason=BASELINE_FROZEN,
        validate=False,  # a timestamp the portal sets, not input
    )
    program.baseline_frozen_at = now
    changes.log(
        program=locked,
        actor=actor,
        subject=kickoff,
        note=dataclasses.replace(
            _note(
                program,
                "kickoff.completed",
                f"Kick-off of {program.code} complete: the baseline timeline is frozen",
            ),
            detail=(
                "Both sides agreed the baseline timeline, the workstream owners, the meeting "
                "cadence, the escalation contacts and the KPI targets. From now on a change to "
                "a baseline date needs a reason and is recorded in the audit trail."
            ),
            significance="notable",
            announce=True,
        ),
    )
    return kickoff
