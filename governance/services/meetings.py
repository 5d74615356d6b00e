"""Meetings: a one-off call, moving and cancelling one (same calendar UID, higher SEQUENCE),
the write-up (attendance, minutes, decisions, new action items) and sharing a write-up's
sections with the sponsor.

The meeting itself is shared: both sides are invited. Its minutes and decisions each carry an
audience; the PM chooses it when writing up and can share an internal section later.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from governance.agenda import agenda_snapshot, meeting_local_date
from governance.models import Meeting
from governance.services.actions import DUE_BEFORE_MEETING, MEETING_CANCELLED, action_item_add
from governance.services.common import (
    NOT_PROGRAM_TEAM,
    TITLE_REQUIRED,
    UNKNOWN_AUDIENCE,
    check_audience,
    enqueue_invites,
    participants,
    require,
    set_people,
)
from portal import bounds
from portal.access import Action, Audience
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

MEETING_NOT_STARTED = "A meeting can be written up once it has started."
MEETING_ALREADY_CANCELLED = "This meeting is already cancelled."
MEETING_ALREADY_HELD = "This meeting has been held; it can no longer be moved or cancelled."
MINUTES_REQUIRED = "Minutes are required."
TIME_IN_PAST = "Choose a time in the future."
TIME_UNCHANGED = "The meeting is already at that time."
SLOT_TAKEN = "Another meeting of this cadence is already at that time."
NOT_WRITTEN_UP = "This meeting has no write-up to share yet."
SECTION_ALREADY_SHARED = "The {section} of this meeting are already shared with the sponsor."
UNKNOWN_SECTION = "Choose the minutes or the decisions."


def meeting_url(meeting: Meeting) -> str:
    return reverse("meeting-detail", args=[meeting.program.code, meeting.pk])


def _shared_note(meeting: Meeting, verb: str, summary: str, detail: str = "") -> changes.Note:
    return changes.Note(
        verb=verb,
        summary=summary,
        detail=detail,
        audience=Audience.SPONSOR,
        url=meeting_url(meeting),
    )


@atomic_service
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
    require(actor, Action.EDIT_PROGRAM, program, NOT_PROGRAM_TEAM)
    bounds.check(starts_at=starts_at)
    title = title.strip()
    if not title:
        raise Invalid(TITLE_REQUIRED, field="title")
    if starts_at <= timezone.now():
        raise Invalid(TIME_IN_PAST, field="starts_at")
    people = participants(program, attendees, "attendees")
    locked = changes.lock_program(program.pk)
    meeting = Meeting(
        program=locked,
        title=title,
        starts_at=starts_at,
        time_zone=time_zone,
        duration_minutes=duration_minutes,
    )
    changes.create(meeting, actor=actor, program=locked)  # the event's link needs its id
    set_people(meeting, "attendees", people, actor=actor, program=locked)
    changes.log(
        program=locked,
        actor=actor,
        subject=meeting,
        note=_shared_note(meeting, "meeting.scheduled", f"{title} scheduled for {meeting.when}"),
    )
    enqueue_invites(meeting)
    return meeting


def lock_meeting(meeting: Meeting) -> Meeting:
    """The meeting's row, under the program's lock (which the caller holds)."""
    return (
        Meeting.objects.select_for_update(of=("self",)).select_related("program").get(pk=meeting.pk)
    )


def _refuse_if_closed(meeting: Meeting) -> None:
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(MEETING_ALREADY_CANCELLED)
    if meeting.status == Meeting.Status.HELD or meeting.written_up_at is not None:
        raise Conflict(MEETING_ALREADY_HELD)


@atomic_service
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
    require(actor, Action.EDIT_PROGRAM, meeting.program, NOT_PROGRAM_TEAM)
    bounds.check(starts_at=starts_at)
    locked = changes.lock_program(meeting.program_id)
    meeting = lock_meeting(meeting)
    _refuse_if_closed(meeting)
    duration = duration_minutes or meeting.duration_minutes
    if starts_at <= timezone.now():
        raise Invalid(TIME_IN_PAST, field="starts_at")
    if starts_at == meeting.starts_at and duration == meeting.duration_minutes:
        raise Invalid(TIME_UNCHANGED, field="starts_at")
    if (
        meeting.schedule_id is not None
        and Meeting.objects.filter(schedule_id=meeting.schedule_id, starts_at=starts_at)
        .exclude(pk=meeting.pk)
        .exists()
    ):
        raise Invalid(SLOT_TAKEN, field="starts_at")
    reason = reason.strip()
    changes.update(
        meeting,
        actor=actor,
        program=locked,
        values={
            "starts_at": starts_at,
            "duration_minutes": duration,
            "sequence": meeting.sequence + 1,
        },
        reason=reason,
    )
    changes.log(
        program=locked,
        actor=actor,
        subject=meeting,
        note=_shared_note(
            meeting, "meeting.rescheduled", f"{meeting.title} moved to {meeting.when}", reason
        ),
    )
    enqueue_invites(meeting)
    return meeting


@atomic_service
def meeting_cancel(*, actor: User, meeting: Meeting, reason: str = "") -> Meeting:
    """Cancel a meeting; attendees' calendars get a CANCEL for the same UID."""
    require(actor, Action.EDIT_PROGRAM, meeting.program, NOT_PROGRAM_TEAM)
    locked = changes.lock_program(meeting.program_id)
    meeting = lock_meeting(meeting)
    _refuse_if_closed(meeting)
    reason = reason.strip()
    changes.update(
        meeting,
        actor=actor,
        program=locked,
        values={"status": Meeting.Status.CANCELLED, "sequence": meeting.sequence + 1},
        reason=reason,
        note=_shared_note(
            meeting, "meeting.cancelled", f"{meeting.title} on {meeting.when} cancelled", reason
        ),
    )
    enqueue_invites(meeting)
    return meeting


@dataclass(frozen=True)
class ActionItemDraft:
    """An action item as typed into a meeting write-up."""

    title: str
    owner: User
    due_date: datetime.date
    audience: str = Audience.INTERNAL


def _validate_drafts(program: Program, meeting: Meeting, drafts: Sequence[ActionItemDraft]) -> None:
    day = meeting_local_date(meeting)
    for index, draft in enumerate(drafts):
        if not draft.title.strip():
            raise Invalid(TITLE_REQUIRED, field=f"action_items.{index}.title")
        bounds.check_lines(**{f"action_items.{index}.title": draft.title})
        bounds.check(**{f"action_items.{index}.due_date": draft.due_date})
        if draft.due_date < day:
            raise Invalid(DUE_BEFORE_MEETING, field=f"action_items.{index}.due_date")
        participants(program, [draft.owner], f"action_items.{index}.owner")
        check_audience(draft.audience, draft.owner, field=f"action_items.{index}.audience")


@atomic_service
def meeting_write_up(
    *,
    actor: User,
    meeting: Meeting,
    present: Sequence[User],
    minutes: str,
    decisions: str = "",
    minutes_audience: str = Audience.INTERNAL,
    decisions_audience: str = Audience.INTERNAL,
    action_items: Sequence[ActionItemDraft] = (),
) -> Meeting:
    """Record what happened: attendance, minutes, decisions (each with its audience) and new
    action items. The first write-up marks the meeting held and keeps the agenda as it stood;
    later ones amend it."""
    program = meeting.program
    require(actor, Action.EDIT_PROGRAM, program, NOT_PROGRAM_TEAM)
    if not minutes.strip():
        raise Invalid(MINUTES_REQUIRED, field="minutes")
    for field, audience in (
        ("minutes_audience", minutes_audience),
        ("decisions_audience", decisions_audience),
    ):
        if audience not in Audience.values:
            raise Invalid(UNKNOWN_AUDIENCE, field=field)
    people = participants(program, present, "present")
    locked = changes.lock_program(program.pk)
    meeting = lock_meeting(meeting)
    if meeting.status == Meeting.Status.CANCELLED:
        raise Conflict(MEETING_CANCELLED)
    if meeting.starts_at > timezone.now():
        raise Conflict(MEETING_NOT_STARTED)
    _validate_drafts(program, meeting, action_items)
    first = meeting.written_up_at is None
    values: dict[str, object] = {
        "status": Meeting.Status.HELD,
        "minutes": minutes.strip(),
        "minutes_audience": minutes_audience,
        "decisions": decisions.strip(),
        "decisions_audience": decisions_audience,
    }
    if first:
        values |= {
            "agenda": agenda_snapshot(program, meeting),
            "written_up_at": timezone.now(),
            "written_up_by": actor,
        }
    changed = changes.update(meeting, actor=actor, program=locked, values=values) is not None
    changed |= set_people(meeting, "present", people, actor=actor, program=locked)
    if changed:
        changes.log(
            program=locked,
            actor=actor,
            subject=meeting,
            note=changes.Note(
                verb="meeting.written_up" if first else "meeting.amended",
                summary=(
                    f"Minutes of {meeting.title} on {meeting.local_start:%d %b %Y}"
                    + ("" if first else " amended")
                ),
                # The stream says minutes exist only where the minutes may be read.
                audience=minutes_audience,
                url=meeting_url(meeting),
            ),
        )
    for draft in action_items:
        action_item_add(
            actor=actor,
            program=locked,
            meeting=meeting,
            title=draft.title,
            owner=draft.owner,
            due_date=draft.due_date,
            audience=draft.audience,
        )
    return meeting


SECTION_LABELS = {"minutes": "Minutes", "decisions": "Decisions"}


@atomic_service
def meeting_share(*, actor: User, meeting: Meeting, section: str) -> Meeting:
    """Share an internal section of the write-up (`minutes` or `decisions`) with the sponsor:
    an audited step that the sponsor's open pages then receive."""
    require(actor, Action.SHARE, meeting.program, NOT_PROGRAM_TEAM)
    if section not in Meeting.SECTIONS:
        raise Invalid(UNKNOWN_SECTION, field="section")
    locked = changes.lock_program(meeting.program_id)
    meeting = lock_meeting(meeting)
    if meeting.written_up_at is None:
        raise Conflict(NOT_WRITTEN_UP)
    field = f"{section}_audience"
    if getattr(meeting, field) == Audience.SPONSOR:
        raise Conflict(SECTION_ALREADY_SHARED.format(section=section))
    changes.update(
        meeting,
        actor=actor,
        program=locked,
        values={field: Audience.SPONSOR},
        note=_shared_note(
            meeting,
            "meeting.shared",
            f"{SECTION_LABELS[section]} of {meeting.title} on {meeting.local_start:%d %b %Y} "
            "shared with the sponsor",
        ),
    )
    return meeting
