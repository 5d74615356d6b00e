"""The agreed timeline: workstreams (an owner on each side) and milestones (a baseline frozen
at kick-off, a forecast whose every move is audited with a reason). It exists only to be
shared with the sponsor, so its records carry no audience and its events are the sponsor's.

"Today" is the site's today (`clock.site_today`): a forecast in the past is judged on the
CDMO site's calendar, never on the server's or the viewer's.
"""

from __future__ import annotations

import datetime

from django.urls import reverse
from django.utils import timezone

from portal import access, bounds, clock
from portal.access import Audience
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Milestone, Program, ProgramMember, Workstream
from programs.services.common import REASON_REQUIRED, day_label
from programs.services.members import program_member_assign

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

WORKSTREAM_FIELD_LABELS = {
    "name": "name",
    "kind": "kind",
    "cdmo_owner": "CDMO owner",
    "sponsor_owner": "sponsor owner",
    "status": "status",
    "start_date": "start date",
    "end_date": "end date",
}
WORKSTREAM_ATTNAMES = {
    field: Workstream._meta.get_field(field).attname  # type: ignore[union-attr]
    for field in WORKSTREAM_FIELD_LABELS
}


def _slip_phrase(days: int) -> str:
    if days == 0:
        return "on baseline"
    unit = "day" if abs(days) == 1 else "days"
    return f"{days} {unit} behind baseline" if days > 0 else f"{-days} {unit} ahead of baseline"


def _timeline_url(program: Program) -> str:
    return reverse("program-timeline", args=[program.code])


def _note(program: Program, verb: str, summary: str, **fields: object) -> changes.Note:
    return changes.Note(
        verb=verb,
        summary=summary,
        audience=Audience.SPONSOR,
        url=_timeline_url(program),
        **fields,  # type: ignore[arg-type]
    )


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
    bounds.check(start_date=start_date, end_date=end_date)
    if start_date and end_date and end_date < start_date:
        raise Invalid(WORKSTREAM_DATES_ORDER, field="end_date")
    if cdmo_owner is not None and not (cdmo_owner.is_active and access.is_cdmo(cdmo_owner)):
        raise Invalid(CDMO_OWNER_INVALID, field="cdmo_owner")
    if sponsor_owner is not None:
        owner = access.viewer(sponsor_owner)
        if not (
            sponsor_owner.is_active
            and owner is not None
            and access.may_see(owner, sponsor_id=program.sponsor_id, program_id=program.pk)
            and owner.is_sponsor
        ):
            raise Invalid(SPONSOR_OWNER_INVALID, field="sponsor_owner")
    same_name = Workstream.objects.filter(program=program, name__iexact=name.strip())
    if same_name.exclude(pk=exclude_pk).exists():
        raise Invalid(WORKSTREAM_NAME_TAKEN, field="name")


def _put_owners_on_program(*, actor: User, program: Program, workstream: Workstream) -> None:
    """An owner on either side is one of the program's people (and so in its history)."""
    for owner in (workstream.cdmo_owner, workstream.sponsor_owner):
        if owner is not None:
            program_member_assign(
                actor=actor, program=program, user=owner, role=ProgramMember.Role.WORKSTREAM_OWNER
            )


@atomic_service
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
    access.require(actor, access.Action.EDIT_PROGRAM, program)
    locked = changes.lock_program(program.pk)
    _check_workstream(
        program=locked,
        name=name,
        cdmo_owner=cdmo_owner,
        sponsor_owner=sponsor_owner,
        start_date=start_date,
        end_date=end_date,
    )
    workstream = Workstream(
        program=locked,
        name=name.strip(),
        kind=kind,
        cdmo_owner=cdmo_owner,
        sponsor_owner=sponsor_owner,
        status=status,
        start_date=start_date,
        end_date=end_date,
        position=Workstream.objects.filter(program=locked).count(),
    )
    changes.create(
        workstream,
        actor=actor,
        program=locked,
        note=_note(locked, "workstream.created", f"Workstream {workstream.name} added"),
    )
    _put_owners_on_program(actor=actor, program=program, workstream=workstream)
    return workstream


@atomic_service
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
    access.require(actor, access.Action.EDIT_PROGRAM, program)
    locked = changes.lock_program(program.pk)
    _check_workstream(
        program=locked,
        name=name,
        cdmo_owner=cdmo_owner,
        sponsor_owner=sponsor_owner,
        start_date=start_date,
        end_date=end_date,
        exclude_pk=workstream.pk,
    )
    workstream = Workstream.objects.select_for_update().get(pk=workstream.pk)
    workstream.program = locked
    values: dict[str, object] = {
        "name": name.strip(),
        "kind": kind,
        "cdmo_owner": cdmo_owner,
        "sponsor_owner": sponsor_owner,
        "status": status,
        "start_date": start_date,
        "end_date": end_date,
    }
    current = {
        field: getattr(workstream, WORKSTREAM_ATTNAMES[field]) for field in WORKSTREAM_FIELD_LABELS
    }
    wanted = {
        field: value.pk if isinstance(value, User) else value for field, value in values.items()
    }
    changed = [label for f, label in WORKSTREAM_FIELD_LABELS.items() if current[f] != wanted[f]]
    if not changed:
        return workstream
    changes.update(
        workstream,
        actor=actor,
        program=locked,
        values=values,
        note=_note(
            locked,
            "workstream.updated",
            f"Workstream {values['name']} updated: {', '.join(changed)}",
        ),
    )
    _put_owners_on_program(actor=actor, program=program, workstream=workstream)
    return workstream


def _locked_milestone(milestone: Milestone) -> tuple[Program, Milestone]:
    """The program's row lock first, then the milestone's current row, with the program as
    the database has it now (the kick-off may have frozen the baselines since the caller
    loaded it)."""
    program = changes.lock_program(milestone.program_id)
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    locked.program = program
    return program, locked


@atomic_service
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
    access.require(actor, access.Action.EDIT_PROGRAM, program)
    bounds.check(baseline_date=baseline_date)
    if workstream is not None and workstream.program_id != program.pk:
        raise Invalid(WORKSTREAM_OTHER_PROGRAM, field="workstream")
    locked = changes.lock_program(program.pk)
    milestone = Milestone(
        program=locked,
        workstream=workstream,
        name=name.strip(),
        description=description.strip(),
        baseline_date=baseline_date,
        forecast_date=baseline_date,
    )
    return changes.create(
        milestone,
        actor=actor,
        program=locked,
        reason=reason.strip(),
        note=_note(
            locked,
            "milestone.created",
            f"Milestone {milestone.name} added for {day_label(baseline_date)}",
        ),
    )


@atomic_service
def milestone_reschedule(
    *, actor: User, milestone: Milestone, forecast_date: datetime.date, reason: str
) -> Milestone:
    """Move the forecast. Every move is audited with its reason; a slip beyond the program's
    threshold that got worse is announced to the sponsor as a notable update."""
    access.require(actor, access.Action.EDIT_PROGRAM, milestone.program)
    bounds.check(forecast_date=forecast_date)
    reason = reason.strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    program, milestone = _locked_milestone(milestone)
    if milestone.is_done:
        raise Conflict(MILESTONE_COMPLETE)
    if forecast_date < clock.site_today():
        raise Invalid(FORECAST_IN_PAST, field="forecast_date")
    if forecast_date == milestone.forecast_date:
        raise Invalid(FORECAST_UNCHANGED, field="forecast_date")
    previous_forecast, previous_slip = milestone.forecast_date, milestone.slip_days
    slip = (forecast_date - milestone.baseline_date).days
    notable = slip > program.slip_threshold_days and slip > previous_slip
    changes.update(
        milestone,
        actor=actor,
        program=program,
        values={"forecast_date": forecast_date, "forecast_changed_at": timezone.now()},
        reason=reason,
        note=_note(
            program,
            "milestone.rescheduled",
            f"{milestone.name}: forecast moved to {day_label(forecast_date)}, {_slip_phrase(slip)}",
            detail=(
                f"Forecast moved from {day_label(previous_forecast)} to "
                f"{day_label(forecast_date)} (baseline {day_label(milestone.baseline_date)}, "
                f"now {_slip_phrase(slip)}).\n\nReason: {reason}"
            ),
            significance="notable" if notable else "info",
            announce=notable,
        ),
    )
    return milestone


@atomic_service
def milestone_rebaseline(
    *, actor: User, milestone: Milestone, baseline_date: datetime.date, reason: str = ""
) -> Milestone:
    """Change the agreed date. Before the kick-off completes this is planning; afterwards the
    baseline is frozen and a change needs a reason. A forecast that sat on the old baseline
    follows it, so re-planning does not read as a slip."""
    access.require(actor, access.Action.EDIT_PROGRAM, milestone.program)
    bounds.check(baseline_date=baseline_date)
    reason = reason.strip()
    program, milestone = _locked_milestone(milestone)
    frozen = program.baseline_frozen_at is not None
    if frozen and not reason:
        raise Invalid(BASELINE_FROZEN, field="reason")
    if baseline_date == milestone.baseline_date:
        raise Invalid(BASELINE_UNCHANGED, field="baseline_date")
    previous = milestone.baseline_date
    values: dict[str, object] = {"baseline_date": baseline_date}
    if (
        not milestone.is_done
        and milestone.forecast_date == previous
        and baseline_date >= clock.site_today()
    ):
        values |= {"forecast_date": baseline_date, "forecast_changed_at": timezone.now()}
    changes.update(
        milestone,
        actor=actor,
        program=program,
        values=values,
        reason=reason,
        note=_note(
            program,
            "milestone.rebaselined",
            f"{milestone.name}: baseline moved from {day_label(previous)} "
            f"to {day_label(baseline_date)}",
            detail=f"Reason: {reason}" if reason else "",
            significance="notable" if frozen else "info",
        ),
    )
    return milestone


@atomic_service
def milestone_complete(
    *, actor: User, milestone: Milestone, actual_date: datetime.date, reason: str = ""
) -> Milestone:
    access.require(actor, access.Action.EDIT_PROGRAM, milestone.program)
    bounds.check(actual_date=actual_date)
    if actual_date > clock.site_today():
        raise Invalid(ACTUAL_IN_FUTURE, field="actual_date")
    reason = reason.strip()
    program, milestone = _locked_milestone(milestone)
    if milestone.is_done:
        raise Conflict(MILESTONE_ALREADY_COMPLETE)
    slip = (actual_date - milestone.baseline_date).days
    changes.update(
        milestone,
        actor=actor,
        program=program,
        values={"actual_date": actual_date},
        reason=reason,
        note=_note(
            program,
            "milestone.completed",
            f"{milestone.name} completed on {day_label(actual_date)}, {_slip_phrase(slip)}",
            detail=reason,
        ),
    )
    return milestone
