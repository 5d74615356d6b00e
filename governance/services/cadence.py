"""Cadence schedules: agreeing the rhythm of calls, generating its meetings ahead (at the same
local time across daylight-saving changes) and ending it."""

from __future__ import annotations

import datetime
import math
import zoneinfo
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from governance.models import CadenceSchedule, Meeting
from governance.services.common import (
    NOT_PROGRAM_TEAM,
    enqueue_invites,
    participants,
    require,
    set_people,
)
from governance.services.meetings import meeting_cancel
from portal import bounds
from portal.access import Action, Audience
from portal.errors import Conflict
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

CADENCE_ENDED = "This cadence has already ended."
DEFAULT_TITLE = "Program cadence call"
HORIZON_WEEKS = 8


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


def _list_url(program: Program) -> str:
    return reverse("meeting-list", args=[program.code])


@atomic_service
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
    title: str = DEFAULT_TITLE,
) -> CadenceSchedule:
    """Agree the rhythm of calls and generate its meetings ahead."""
    require(actor, Action.EDIT_PROGRAM, program, NOT_PROGRAM_TEAM)
    bounds.check(starts_on=starts_on)
    people = participants(program, attendees, "attendees")
    locked = changes.lock_program(program.pk)
    schedule = CadenceSchedule(
        program=locked,
        title=title.strip() or DEFAULT_TITLE,
        frequency=frequency,
        weekday=weekday,
        local_time=local_time,
        time_zone=time_zone,
        starts_on=starts_on,
        duration_minutes=duration_minutes,
    )
    changes.create(schedule, actor=actor, program=locked)
    set_people(schedule, "attendees", people, actor=actor, program=locked)
    changes.log(
        program=locked,
        actor=actor,
        subject=schedule,
        note=changes.Note(
            verb="cadence.created",
            summary=(
                f"{schedule.get_frequency_display()} call agreed: "
                f"{schedule.get_weekday_display()}s at {schedule.local_time:%H:%M} "
                f"({schedule.time_zone})"
            ),
            audience=Audience.SPONSOR,
            url=_list_url(program),
        ),
    )
    cadence_generate_meetings(schedule, actor=actor)
    return schedule


@atomic_service
def cadence_generate_meetings(
    schedule: CadenceSchedule,
    horizon_weeks: int = HORIZON_WEEKS,
    *,
    actor: User | None = None,
    now: datetime.datetime | None = None,
) -> list[Meeting]:
    """Create the cadence's meetings for the coming `horizon_weeks`, at the same local time
    whatever the daylight-saving offset (stored in UTC). Safe to run any number of times: a
    slot already filled (even by a meeting since moved or cancelled) is left alone."""
    now = now or timezone.now()
    locked = changes.lock_program(schedule.program_id)
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
    attendees = list(schedule.attendees.all())
    created: list[Meeting] = []
    for day in cadence_occurrences(schedule, today, end):
        starts_at = occurrence_start(schedule, day)
        if day in taken or starts_at <= now:
            continue
        meeting = Meeting(
            program=locked,
            schedule=schedule,
            title=schedule.title,
            occurrence_on=day,
            starts_at=starts_at,
            duration_minutes=schedule.duration_minutes,
            time_zone=schedule.time_zone,
        )
        try:
            with transaction.atomic():
                # The slot's unique constraints are the check: a row built from a validated
                # schedule has nothing else to validate.
                changes.create(meeting, actor=actor, program=locked, validate=False)
        except IntegrityError:
            continue  # another generator filled the slot first
        set_people(meeting, "attendees", attendees, actor=actor, program=locked)
        created.append(meeting)
    if created:
        count = len(created)
        changes.log(
            program=locked,
            actor=actor,
            subject=schedule,
            note=changes.Note(
                verb="meeting.scheduled",
                summary=(
                    f"{count} {schedule.title} meeting{'s' if count > 1 else ''} "
                    f"scheduled, next {created[0].when}"
                ),
                audience=Audience.SPONSOR,
                url=_list_url(locked),
            ),
        )
        for meeting in created:
            enqueue_invites(meeting)
    return created


@atomic_service
def cadence_end(*, actor: User, schedule: CadenceSchedule) -> CadenceSchedule:
    """Stop a cadence: no more meetings are generated and its future ones are cancelled."""
    require(actor, Action.EDIT_PROGRAM, schedule.program, NOT_PROGRAM_TEAM)
    locked = changes.lock_program(schedule.program_id)
    schedule = (
        CadenceSchedule.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=schedule.pk)
    )
    if not schedule.active:
        raise Conflict(CADENCE_ENDED)
    changes.update(
        schedule,
        actor=actor,
        program=locked,
        values={"active": False},
        note=changes.Note(
            verb="cadence.ended",
            summary=f"{schedule.title} cadence ended",
            audience=Audience.SPONSOR,
            url=_list_url(locked),
        ),
    )
    upcoming = schedule.meetings.filter(
        status=Meeting.Status.SCHEDULED, starts_at__gt=timezone.now()
    ).select_related("program")
    for meeting in upcoming:
        meeting_cancel(actor=actor, meeting=meeting, reason="The cadence ended.")
    return schedule
