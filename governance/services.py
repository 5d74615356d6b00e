"""Writes for governance: the kick-off, cadence schedules and their meetings, minutes and
action items, the risk register and calendar feeds.

Each service checks permission (portal.policy), validates, saves, writes audit rows and appends
an event to the program's stream in one transaction; invites go out by a task after commit.
"""

from __future__ import annotations

import datetime
import math
import secrets
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone

from governance.agenda import agenda_snapshot, meeting_local_date
from governance.models import ActionItem, CadenceSchedule, CalendarFeed, Kickoff, Meeting, Risk
from governance.selectors import kickoff_checklist, program_people
from portal import audit, policy
from portal.errors import ServiceError
from portal.models import AuditEntry, Membership, User
from portal.queue import enqueue_on_commit
from programs.models import Audience, Event, Program
from programs.services import event_append

NOT_PROGRAM_TEAM = "Only the program's CDMO team can do that."
NOT_KICKOFF_OWNER = "Only the program's dedicated PM or CDMO leadership can do that."
KICKOFF_LOCKED = "The kick-off is complete; its record can no longer be changed."
KICKOFF_ALREADY_COMPLETE = "The kick-off is already complete."
KICKOFF_INCOMPLETE = "The kick-off cannot be completed yet. Still missing: {missing}."
KICKOFF_RECORD_MISSING = "the kick-off date and attendees from both sides"
KICKOFF_IN_FUTURE = "The kick-off date cannot be in the future."
UNKNOWN_CONFIRMATION = "Unknown kick-off confirmation."
NOT_ON_PROGRAM = "{name} is not on this program."
CADENCE_ENDED = "This cadence has already ended."
MEETING_CANCELLED = "This meeting was cancelled; minutes cannot be recorded for it."
MEETING_NOT_STARTED = "A meeting can be written up once it has started."
MEETING_ALREADY_CANCELLED = "This meeting is already cancelled."
MEETING_ALREADY_HELD = "This meeting has been held; it can no longer be moved or cancelled."
MINUTES_REQUIRED = "Minutes are required."
TIME_IN_PAST = "Choose a time in the future."
TIME_UNCHANGED = "The meeting is already at that time."
SLOT_TAKEN = "Another meeting of this cadence is already at that time."
TITLE_REQUIRED = "A title is required."
DUE_BEFORE_MEETING = "The due date cannot be before the meeting."
ACTION_NOT_OPEN = "This action item is already closed."
NOT_OWNER_OR_TEAM = "Only the action item's owner or the program's CDMO team can mark it done."
NOT_A_MEMBER = "Only people of a sponsor or of the CDMO have calendar feeds."

INVITE_TASK = "governance.tasks.send_meeting_invites"
HIGH_RISK_SCORE = 15
CONFIRMATIONS = {
    "baseline": ("baseline_agreed_at", "baseline_agreed_by", "Baseline timeline agreed"),
    "kpi_targets": ("kpi_targets_agreed_at", "kpi_targets_agreed_by", "KPI targets agreed"),
}


# --- helpers ---------------------------------------------------------------------------------


def _require_team(actor: User, program: Program) -> None:
    if not policy.can_edit_program(actor, program):
        raise ServiceError(NOT_PROGRAM_TEAM)


def _participants(program: Program, users: Iterable[User], field: str) -> list[User]:
    """The given people, each checked to be someone who takes part in this program."""
    wanted = {user.pk: user for user in users}
    if not wanted:
        return []
    allowed = set(program_people(program).filter(pk__in=wanted).values_list("pk", flat=True))
    for pk, user in wanted.items():
        if pk not in allowed:
            raise ServiceError(NOT_ON_PROGRAM.format(name=user.display_name), field=field)
    return list(wanted.values())


def _ids(users: Iterable[User]) -> list[int]:
    return sorted(user.pk for user in users)


def _audit(
    *,
    actor: User | None,
    instance: Model,
    program: Program,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    reason: str = "",
) -> None:
    """One audit row for a create (`before` None) or for the fields that changed."""
    if before is None:
        changes = {name: [None, value] for name, value in after.items()}
        action = AuditEntry.Action.CREATE
    else:
        changes = audit.diff(before, after)
        action = AuditEntry.Action.UPDATE
    if changes:
        audit.record(
            actor=actor,
            action=action,
            instance=instance,
            changes=changes,
            program_id=program.pk,
            reason=reason,
        )


def local_start(meeting: Meeting) -> datetime.datetime:
    return meeting.starts_at.astimezone(zoneinfo.ZoneInfo(meeting.time_zone))


def _when(meeting: Meeting) -> str:
    return f"{local_start(meeting):%a %d %b %Y, %H:%M} ({meeting.time_zone})"


def _meeting_url(meeting: Meeting) -> str:
    return reverse("meeting-detail", args=[meeting.program.code, meeting.pk])


def _enqueue_invites(meeting: Meeting) -> None:
    """Invites, updates and cancellations leave after commit, carrying the sequence they
    describe: a task that finds the meeting changed again since leaves it to the newer one."""
    enqueue_on_commit(INVITE_TASK, meeting.pk, meeting.sequence)


# --- kick-off --------------------------------------------------------------------------------


def _locked_kickoff(program: Program) -> tuple[Kickoff, bool]:
    return Kickoff.objects.select_for_update().get_or_create(program=program)


def _kickoff_state(kickoff: Kickoff) -> dict[str, Any]:
    state = audit.snapshot(
        kickoff,
        [
            "held_on",
            "agenda",
            "decisions",
            "baseline_agreed_at",
            "baseline_agreed_by_id",
            "kpi_targets_agreed_at",
            "kpi_targets_agreed_by_id",
            "completed_at",
            "completed_by_id",
        ],
    )
    state["attendees"] = sorted(kickoff.attendees.values_list("pk", flat=True))
    return state


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
    _require_team(actor, program)
    if held_on is not None and held_on > timezone.localdate():
        raise ServiceError(KICKOFF_IN_FUTURE, field="held_on")
    people = _participants(program, attendees, "attendees")
    with transaction.atomic():
        kickoff, created = _locked_kickoff(program)
        if kickoff.is_complete:
            raise ServiceError(KICKOFF_LOCKED)
        before = None if created else _kickoff_state(kickoff)
        kickoff.held_on = held_on
        kickoff.agenda = agenda.strip()
        kickoff.decisions = decisions.strip()
        kickoff.full_clean()
        kickoff.save()
        kickoff.attendees.set(people)
        _audit(
            actor=actor,
            instance=kickoff,
            program=program,
            before=before,
            after=_kickoff_state(kickoff),
        )
        event_append(
            program=program,
            kind=Event.Kind.KICKOFF,
            verb="kickoff.recorded",
            summary="Kick-off record updated",
            audience=Audience.SPONSOR,
            actor=actor,
            url=reverse("kickoff", args=[program.code]),
        )
    return kickoff


def kickoff_confirm(*, actor: User, program: Program, item: str, agreed: bool = True) -> Kickoff:
    """The PM confirms (or withdraws) one of the two agreements the data cannot show: the
    baseline timeline and the KPI targets. Who and when are stored with it."""
    if not policy.can_confirm_kickoff(actor, program):
        raise ServiceError(NOT_KICKOFF_OWNER)
    if item not in CONFIRMATIONS:
        raise ServiceError(UNKNOWN_CONFIRMATION, field="item")
    at_field, by_field, label = CONFIRMATIONS[item]
    with transaction.atomic():
        kickoff, created = _locked_kickoff(program)
        if kickoff.is_complete:
            raise ServiceError(KICKOFF_LOCKED)
        if bool(getattr(kickoff, at_field)) == agreed:
            return kickoff
        before = None if created else _kickoff_state(kickoff)
        setattr(kickoff, at_field, timezone.now() if agreed else None)
        setattr(kickoff, by_field, actor if agreed else None)
        kickoff.save()
        _audit(
            actor=actor,
            instance=kickoff,
            program=program,
            before=before,
            after=_kickoff_state(kickoff),
        )
        event_append(
            program=program,
            kind=Event.Kind.KICKOFF,
            verb="kickoff.confirmed" if agreed else "kickoff.withdrawn",
            summary=f"{label}" if agreed else f"{label}: confirmation withdrawn",
            audience=Audience.SPONSOR,
            actor=actor,
            url=reverse("kickoff", args=[program.code]),
        )
    return kickoff


def _record_is_missing(kickoff: Kickoff) -> bool:
    if kickoff.held_on is None:
        return True
    sides = {
        attendee.membership.is_cdmo
        for attendee in kickoff.attendees.select_related("membership")
        if hasattr(attendee, "membership")
    }
    return sides != {True, False}


def kickoff_complete(*, actor: User, program: Program) -> Kickoff:
    """Complete the kick-off once every checklist item is done. This freezes the baselines:
    from now on a milestone's baseline changes only with a reason."""
    if not policy.can_confirm_kickoff(actor, program):
        raise ServiceError(NOT_KICKOFF_OWNER)
    with transaction.atomic():
        locked = Program.objects.select_for_update().get(pk=program.pk)
        kickoff, _ = _locked_kickoff(program)
        if kickoff.is_complete:
            raise ServiceError(KICKOFF_ALREADY_COMPLETE)
        missing = [
            item.label.lower() for item in kickoff_checklist(program, kickoff) if not item.done
        ]
        if _record_is_missing(kickoff):
            missing.insert(0, KICKOFF_RECORD_MISSING)
        if missing:
            raise ServiceError(KICKOFF_INCOMPLETE.format(missing="; ".join(missing)))
        now = timezone.now()
        before = _kickoff_state(kickoff)
        kickoff.completed_at = now
        kickoff.completed_by = actor
        kickoff.save(update_fields=["completed_at", "completed_by"])
        _audit(
            actor=actor,
            instance=kickoff,
            program=program,
            before=before,
            after=_kickoff_state(kickoff),
        )
        frozen_before = audit.snapshot(locked, ["baseline_frozen_at"])
        locked.baseline_frozen_at = now
        locked.save(update_fields=["baseline_frozen_at"])
        audit.record_update(
            actor=actor,
            instance=locked,
            before=frozen_before,
            program_id=program.pk,
            reason="Kick-off complete: the baseline timeline is frozen.",
        )
        program.baseline_frozen_at = now
        event_append(
            program=program,
            kind=Event.Kind.KICKOFF,
            verb="kickoff.completed",
            summary=f"Kick-off of {program.code} complete: the baseline timeline is frozen",
            detail=(
                "Both sides agreed the baseline timeline, the workstream owners, the meeting "
                "cadence, the escalation contacts and the KPI targets. From now on a change to "
                "a baseline date needs a reason and is recorded in the audit trail."
            ),
            significance="notable",
            announce=True,
            audience=Audience.SPONSOR,
            actor=actor,
            url=reverse("kickoff", args=[program.code]),
        )
    return kickoff


# --- cadence ---------------------------------------------------------------------------------


def cadence_occurrences(
    schedule: CadenceSchedule, start: datetime.date, end: datetime.date
) -> list[datetime.date]:
    """The cadence's local dates from `start` to `end` (both included). Bi-weekly counts from
    the first occurrence on or after `starts_on`, so the rhythm never drifts."""
    first = schedule.starts_on + datetime.timedelta(
        days=(schedule.weekday - schedule.starts_on.weekday()) % 7
    )
    step = 7 if schedule.frequency == CadenceSchedule.Frequency.WEEKLY else 14
    skip = max(0, math.ceil((start - first).days / step))
    day = first + datetime.timedelta(days=skip * step)
    days = []
    while day <= end:
        days.append(day)
        day += datetime.timedelta(days=step)
    return days


def occurrence_start(schedule: CadenceSchedule, day: datetime.date) -> datetime.datetime:
    """The UTC instant of the cadence's local time on that local date. A local time that a
    daylight-saving change skips resolves to the instant an hour later in local terms."""
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    local = datetime.datetime.combine(day, schedule.local_time, tzinfo=zone)
    return local.astimezone(datetime.UTC)


def cadence_create(
    *,
    actor: User,
    program: Program,
    frequency: str,
    weekday: int,
    local_time: datetime.time,
    time_zone: str,
    starts_on: datetime.date,
    attendees: Sequence[User] = (),
    duration_minutes: int = 60,
    title: str = "Program cadence call",
) -> CadenceSchedule:
    """Agree the rhythm of calls and generate its meetings ahead."""
    _require_team(actor, program)
    people = _participants(program, attendees, "attendees")
    schedule = CadenceSchedule(
        program=program,
        title=title.strip() or "Program cadence call",
        frequency=frequency,
        weekday=weekday,
        local_time=local_time,
        time_zone=time_zone,
        starts_on=starts_on,
        duration_minutes=duration_minutes,
    )
    schedule.full_clean()
    with transaction.atomic():
        schedule.save()
        schedule.attendees.set(people)
        after = audit.snapshot(schedule)
        after["attendees"] = _ids(people)
        _audit(actor=actor, instance=schedule, program=program, before=None, after=after)
        event_append(
            program=program,
            kind=Event.Kind.MEETING,
            verb="cadence.created",
            summary=(
                f"{schedule.get_frequency_display()} call agreed: "
                f"{schedule.get_weekday_display()}s at {schedule.local_time:%H:%M} "
                f"({schedule.time_zone})"
            ),
            audience=Audience.SPONSOR,
            actor=actor,
            url=reverse("meeting-list", args=[program.code]),
        )
        cadence_generate_meetings(schedule, actor=actor)
    return schedule


def cadence_generate_meetings(
    schedule: CadenceSchedule,
    horizon_weeks: int = 8,
    *,
    actor: User | None = None,
    now: datetime.datetime | None = None,
) -> list[Meeting]:
    """Create the cadence's meetings for the coming `horizon_weeks`, at the same local time
    whatever the daylight-saving offset (stored in UTC). Safe to run any number of times: a
    slot already filled (even by a meeting since moved or cancelled) is left alone."""
    now = now or timezone.now()
    with transaction.atomic():
        schedule = (
            CadenceSchedule.objects.select_for_update(of=("self",))
            .select_related("program")
            .get(pk=schedule.pk)
        )
        if not schedule.active:
            return []
        today = now.astimezone(zoneinfo.ZoneInfo(schedule.time_zone)).date()
        end = today + datetime.timedelta(weeks=horizon_weeks)
        taken = set(schedule.meetings.values_list("occurrence_on", flat=True))
        attendee_ids = list(schedule.attendees.values_list("pk", flat=True))
        created: list[Meeting] = []
        for day in cadence_occurrences(schedule, today, end):
            starts_at = occurrence_start(schedule, day)
            if day in taken or starts_at <= now:
                continue
            meeting = Meeting(
                program=schedule.program,
                schedule=schedule,
                title=schedule.title,
                occurrence_on=day,
                starts_at=starts_at,
                duration_minutes=schedule.duration_minutes,
                time_zone=schedule.time_zone,
            )
            try:
                with transaction.atomic():
                    meeting.save(force_insert=True)
            except IntegrityError:
                continue  # another generator filled the slot first
            meeting.attendees.set(attendee_ids)
            after = audit.snapshot(meeting)
            after["attendees"] = sorted(attendee_ids)
            _audit(
                actor=actor, instance=meeting, program=schedule.program, before=None, after=after
            )
            created.append(meeting)
        if created:
            event_append(
                program=schedule.program,
                kind=Event.Kind.MEETING,
                verb="meeting.scheduled",
                summary=(
                    f"{len(created)} {schedule.title} meeting{'s' if len(created) > 1 else ''} "
                    f"scheduled, next {_when(created[0])}"
                ),
                audience=Audience.SPONSOR,
                actor=actor,
                url=reverse("meeting-list", args=[schedule.program.code]),
            )
            for meeting in created:
                _enqueue_invites(meeting)
    return created


def cadence_end(*, actor: User, schedule: CadenceSchedule) -> CadenceSchedule:
    """Stop a cadence: no more meetings are generated and its future ones are cancelled."""
    _require_team(actor, schedule.program)
    with transaction.atomic():
        schedule = (
            CadenceSchedule.objects.select_for_update(of=("self",))
            .select_related("program")
            .get(pk=schedule.pk)
        )
        if not schedule.active:
            raise ServiceError(CADENCE_ENDED)
        before = audit.snapshot(schedule, ["active"])
        schedule.active = False
        schedule.save(update_fields=["active"])
        audit.record_update(
            actor=actor, instance=schedule, before=before, program_id=schedule.program_id
        )
        event_append(
            program=schedule.program,
            kind=Event.Kind.MEETING,
            verb="cadence.ended",
            summary=f"{schedule.title} cadence ended",
            audience=Audience.SPONSOR,
            actor=actor,
            url=reverse("meeting-list", args=[schedule.program.code]),
        )
        upcoming = schedule.meetings.filter(
            status=Meeting.Status.SCHEDULED, starts_at__gt=timezone.now()
        ).select_related("program")
        for meeting in upcoming:
            meeting_cancel(actor=actor, meeting=meeting, reason="The cadence ended.")
    return schedule


# --- meetings --------------------------------------------------------------------------------


def meeting_schedule(
    *,
    actor: User,
    program: Program,
    title: str,
    starts_at: datetime.datetime,
    time_zone: str,
    attendees: Sequence[User] = (),
    duration_minutes: int = 60,
) -> Meeting:
    """A one-off meeting outside any cadence (a steering committee, a deep dive)."""
    _require_team(actor, program)
    if not title.strip():
        raise ServiceError(TITLE_REQUIRED, field="title")
    if starts_at <= timezone.now():
        raise ServiceError(TIME_IN_PAST, field="starts_at")
    people = _participants(program, attendees, "attendees")
    meeting = Meeting(
        program=program,
        title=title.strip(),
        starts_at=starts_at,
        time_zone=time_zone,
        duration_minutes=duration_minutes,
    )
    meeting.full_clean()
    with transaction.atomic():
        meeting.save()
        meeting.attendees.set(people)
        after = audit.snapshot(meeting)
        after["attendees"] = _ids(people)
        _audit(actor=actor, instance=meeting, program=program, before=None, after=after)
        event_append(
            program=program,
            kind=Event.Kind.MEETING,
            verb="meeting.scheduled",
            summary=f"{meeting.title} scheduled for {_when(meeting)}",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_meeting_url(meeting),
        )
        _enqueue_invites(meeting)
    return meeting


def _lock_meeting(meeting: Meeting) -> Meeting:
    return (
        Meeting.objects.select_for_update(of=("self",)).select_related("program").get(pk=meeting.pk)
    )


def _refuse_if_closed(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise ServiceError(MEETING_ALREADY_CANCELLED)
    if meeting.status == Meeting.Status.HELD or meeting.written_up_at is not None:
        raise ServiceError(MEETING_ALREADY_HELD)


def meeting_reschedule(
    *,
    actor: User,
    meeting: Meeting,
    starts_at: datetime.datetime,
    duration_minutes: int | None = None,
    reason: str = "",
) -> Meeting:
    """Move a meeting. Its calendar UID stays; the SEQUENCE goes up, so calendars move the one
    event instead of adding a second."""
    _require_team(actor, meeting.program)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _refuse_if_closed(meeting)
        duration = duration_minutes or meeting.duration_minutes
        if starts_at <= timezone.now():
            raise ServiceError(TIME_IN_PAST, field="starts_at")
        if starts_at == meeting.starts_at and duration == meeting.duration_minutes:
            raise ServiceError(TIME_UNCHANGED, field="starts_at")
        if (
            meeting.schedule_id is not None
            and Meeting.objects.filter(schedule_id=meeting.schedule_id, starts_at=starts_at)
            .exclude(pk=meeting.pk)
            .exists()
        ):
            raise ServiceError(SLOT_TAKEN, field="starts_at")
        before = audit.snapshot(meeting, ["starts_at", "duration_minutes", "sequence"])
        meeting.starts_at = starts_at
        meeting.duration_minutes = duration
        meeting.sequence += 1
        meeting.full_clean(validate_constraints=False)
        meeting.save(update_fields=["starts_at", "duration_minutes", "sequence"])
        audit.record_update(
            actor=actor,
            instance=meeting,
            before=before,
            program_id=meeting.program_id,
            reason=reason.strip(),
        )
        event_append(
            program=meeting.program,
            kind=Event.Kind.MEETING,
            verb="meeting.rescheduled",
            summary=f"{meeting.title} moved to {_when(meeting)}",
            detail=reason.strip(),
            audience=Audience.SPONSOR,
            actor=actor,
            url=_meeting_url(meeting),
        )
        _enqueue_invites(meeting)
    return meeting


def meeting_cancel(*, actor: User, meeting: Meeting, reason: str = "") -> Meeting:
    """Cancel a meeting; attendees' calendars get a CANCEL for the same UID."""
    _require_team(actor, meeting.program)
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        _refuse_if_closed(meeting)
        before = audit.snapshot(meeting, ["status", "sequence"])
        meeting.status = Meeting.Status.CANCELLED
        meeting.sequence += 1
        meeting.save(update_fields=["status", "sequence"])
        audit.record_update(
            actor=actor,
            instance=meeting,
            before=before,
            program_id=meeting.program_id,
            reason=reason.strip(),
        )
        event_append(
            program=meeting.program,
            kind=Event.Kind.MEETING,
            verb="meeting.cancelled",
            summary=f"{meeting.title} on {_when(meeting)} cancelled",
            detail=reason.strip(),
            audience=Audience.SPONSOR,
            actor=actor,
            url=_meeting_url(meeting),
        )
        _enqueue_invites(meeting)
    return meeting


@dataclass(frozen=True)
class ActionItemDraft:
    """An action item as typed into a meeting write-up."""

    title: str
    owner: User
    due_date: datetime.date


def _validate_drafts(program: Program, meeting: Meeting, drafts: Sequence[ActionItemDraft]) -> None:
    day = meeting_local_date(meeting)
    for index, draft in enumerate(drafts):
        if not draft.title.strip():
            raise ServiceError(TITLE_REQUIRED, field=f"action_items.{index}.title")
        if draft.due_date < day:
            raise ServiceError(DUE_BEFORE_MEETING, field=f"action_items.{index}.due_date")
        _participants(program, [draft.owner], f"action_items.{index}.owner")


def _meeting_state(meeting: Meeting) -> dict[str, Any]:
    state = audit.snapshot(
        meeting, ["status", "minutes", "decisions", "written_up_at", "written_up_by_id"]
    )
    state["present"] = sorted(meeting.present.values_list("pk", flat=True))
    return state


def meeting_write_up(
    *,
    actor: User,
    meeting: Meeting,
    present: Sequence[User],
    minutes: str,
    decisions: str = "",
    action_items: Sequence[ActionItemDraft] = (),
) -> Meeting:
    """Record what happened: attendance, minutes, decisions and new action items. The first
    write-up marks the meeting held and keeps the agenda as it stood; later ones amend it."""
    program = meeting.program
    _require_team(actor, program)
    if not minutes.strip():
        raise ServiceError(MINUTES_REQUIRED, field="minutes")
    people = _participants(program, present, "present")
    with transaction.atomic():
        meeting = _lock_meeting(meeting)
        if meeting.status == Meeting.Status.CANCELLED:
            raise ServiceError(MEETING_CANCELLED)
        if meeting.starts_at > timezone.now():
            raise ServiceError(MEETING_NOT_STARTED)
        _validate_drafts(program, meeting, action_items)
        first = meeting.written_up_at is None
        before = _meeting_state(meeting)
        if first:
            meeting.agenda = agenda_snapshot(program, meeting)
            meeting.written_up_at = timezone.now()
            meeting.written_up_by = actor
        meeting.status = Meeting.Status.HELD
        meeting.minutes = minutes.strip()
        meeting.decisions = decisions.strip()
        meeting.save()
        meeting.present.set(people)
        _audit(
            actor=actor,
            instance=meeting,
            program=program,
            before=before,
            after=_meeting_state(meeting),
        )
        event_append(
            program=program,
            kind=Event.Kind.MEETING,
            verb="meeting.written_up" if first else "meeting.amended",
            summary=(
                f"Minutes of {meeting.title} on {local_start(meeting):%d %b %Y}"
                + ("" if first else " amended")
            ),
            audience=Audience.SPONSOR,
            actor=actor,
            url=_meeting_url(meeting),
        )
        for draft in action_items:
            _action_item_save(
                actor=actor,
                program=program,
                meeting=meeting,
                title=draft.title,
                owner=draft.owner,
                due_date=draft.due_date,
            )
    return meeting


# --- action items ----------------------------------------------------------------------------


def _action_item_save(
    *,
    actor: User,
    program: Program,
    meeting: Meeting | None,
    title: str,
    owner: User,
    due_date: datetime.date,
) -> ActionItem:
    item = ActionItem(
        program=program, meeting=meeting, title=title.strip(), owner=owner, due_date=due_date
    )
    item.full_clean()
    item.save()
    audit.record_create(actor=actor, instance=item, program_id=program.pk)
    event_append(
        program=program,
        kind=Event.Kind.ACTION,
        verb="action.created",
        summary=f"Action for {owner.display_name}: {item.title} (due {due_date:%d %b %Y})",
        audience=Audience.SPONSOR,
        actor=actor,
        url=reverse("action-list", args=[program.code]) + f"#action-{item.pk}",
    )
    return item


def action_item_create(
    *,
    actor: User,
    program: Program,
    title: str,
    owner: User,
    due_date: datetime.date,
    meeting: Meeting | None = None,
) -> ActionItem:
    """An action item outside a write-up (or added to a meeting's after the fact)."""
    _require_team(actor, program)
    if not title.strip():
        raise ServiceError(TITLE_REQUIRED, field="title")
    _participants(program, [owner], "owner")
    if meeting is not None:
        if meeting.program_id != program.pk:
            raise ServiceError(NOT_PROGRAM_TEAM)
        if meeting.status == Meeting.Status.CANCELLED:
            raise ServiceError(MEETING_CANCELLED, field="meeting")
        if due_date < meeting_local_date(meeting):
            raise ServiceError(DUE_BEFORE_MEETING, field="due_date")
    with transaction.atomic():
        return _action_item_save(
            actor=actor,
            program=program,
            meeting=meeting,
            title=title,
            owner=owner,
            due_date=due_date,
        )


def action_item_complete(*, actor: User, item: ActionItem) -> ActionItem:
    """Mark an action item done: its owner (either side) or the program's CDMO team."""
    if not policy.can_complete_action_item(actor, item):
        raise ServiceError(NOT_OWNER_OR_TEAM)
    with transaction.atomic():
        item = (
            ActionItem.objects.select_for_update(of=("self",))
            .select_related("program", "owner")
            .get(pk=item.pk)
        )
        if item.status != ActionItem.Status.OPEN:
            raise ServiceError(ACTION_NOT_OPEN)
        before = audit.snapshot(item, ["status", "completed_at"])
        item.status = ActionItem.Status.DONE
        item.completed_at = timezone.now()
        item.save(update_fields=["status", "completed_at"])
        audit.record_update(actor=actor, instance=item, before=before, program_id=item.program_id)
        event_append(
            program=item.program,
            kind=Event.Kind.ACTION,
            verb="action.done",
            summary=f"Done: {item.title}",
            audience=Audience.SPONSOR,
            actor=actor,
            url=reverse("action-list", args=[item.program.code]) + f"#action-{item.pk}",
        )
    return item


# --- risks -----------------------------------------------------------------------------------

RISK_FIELDS = (
    "title",
    "description",
    "likelihood",
    "impact",
    "mitigation",
    "contingency",
    "owner",
    "status",
    "review_date",
)


def _risk_event(*, actor: User, risk: Risk, verb: str, summary: str, notable: bool) -> None:
    event_append(
        program=risk.program,
        kind=Event.Kind.RISK,
        verb=verb,
        summary=summary,
        significance="notable" if notable else "info",
        audience=Audience.SPONSOR,
        actor=actor,
        url=reverse("risk-list", args=[risk.program.code]) + f"#risk-{risk.pk}",
    )


def risk_create(
    *,
    actor: User,
    program: Program,
    title: str,
    likelihood: int,
    impact: int,
    owner: User,
    review_date: datetime.date,
    description: str = "",
    mitigation: str = "",
    contingency: str = "",
    status: str = Risk.Status.OPEN,
) -> Risk:
    """Add a risk to the register. A high one (score 15 or more) is a notable event."""
    _require_team(actor, program)
    if not title.strip():
        raise ServiceError(TITLE_REQUIRED, field="title")
    _participants(program, [owner], "owner")
    risk = Risk(
        program=program,
        title=title.strip(),
        description=description.strip(),
        likelihood=likelihood,
        impact=impact,
        mitigation=mitigation.strip(),
        contingency=contingency.strip(),
        owner=owner,
        status=status,
        review_date=review_date,
    )
    risk.full_clean()
    with transaction.atomic():
        risk.save()
        audit.record_create(actor=actor, instance=risk, program_id=program.pk)
        _risk_event(
            actor=actor,
            risk=risk,
            verb="risk.added",
            summary=f"Risk added: {risk.title} (score {risk.score})",
            notable=risk.score >= HIGH_RISK_SCORE,
        )
    return risk


def risk_update(*, actor: User, risk: Risk, **changes: Any) -> Risk:
    """Change a risk's fields (any of RISK_FIELDS). Rising to high is a notable event."""
    _require_team(actor, risk.program)
    unknown = set(changes) - set(RISK_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown risk field: {', '.join(sorted(unknown))}.")
    if "title" in changes and not str(changes["title"]).strip():
        raise ServiceError(TITLE_REQUIRED, field="title")
    if "owner" in changes:
        _participants(risk.program, [changes["owner"]], "owner")
    with transaction.atomic():
        risk = (
            Risk.objects.select_for_update(of=("self",)).select_related("program").get(pk=risk.pk)
        )
        names = [f.attname for f in Risk._meta.concrete_fields]
        before = audit.snapshot(risk, names)
        was_high = risk.score >= HIGH_RISK_SCORE
        for name, value in changes.items():
            setattr(risk, name, value.strip() if isinstance(value, str) else value)
        risk.full_clean()
        risk.save()
        entry = audit.record_update(
            actor=actor, instance=risk, before=before, program_id=risk.program_id
        )
        if entry is not None:
            is_high = risk.score >= HIGH_RISK_SCORE
            _risk_event(
                actor=actor,
                risk=risk,
                verb="risk.updated",
                summary=(
                    f"Risk updated: {risk.title} ({risk.get_status_display().lower()}, "
                    f"score {risk.score})"
                ),
                notable=is_high and not was_high,
            )
    return risk


# --- calendar feeds --------------------------------------------------------------------------


def calendar_feed_rotate(*, user: User) -> CalendarFeed:
    """Create the user's calendar feed, or give it a new secret (the old URL stops working at
    once). The secret itself never reaches the audit trail."""
    if not Membership.objects.filter(user_id=user.pk).exists():
        raise ServiceError(NOT_A_MEMBER)
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
        created = feed is None
        if feed is None:
            feed = CalendarFeed(user=user)
        feed.secret = secrets.token_urlsafe(32)
        feed.save()
        audit.record(
            actor=user,
            action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
            instance=feed,
            changes={"secret": [None if created else "(previous)", "(new secret issued)"]},
        )
    return feed
