"""Cadence schedules generate their meetings ahead, at the same local time across daylight-saving
changes, and never twice for the same slot."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from governance.models import CadenceSchedule, Meeting
from governance.services.cadence import (
    CADENCE_ENDED,
    cadence_create,
    cadence_end,
    cadence_generate_meetings,
)
from governance.services.common import NOT_PROGRAM_TEAM
from governance.services.meetings import meeting_reschedule
from governance.tasks import generate_cadence_meetings
from portal.errors import ServiceError
from programs.models import Event
from tests.governance.builders import weekly_cadence

UTC = datetime.UTC


def _schedule(world, **fields):
    defaults = {
        "frequency": "weekly",
        "weekday": 1,
        "local_time": datetime.time(15, 0),
        "time_zone": "Europe/London",
        "starts_on": datetime.date(2026, 1, 1),
    }
    defaults.update(fields)
    return CadenceSchedule.objects.create(program=world.program, **defaults)


def _starts(meetings):
    return [m.starts_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") for m in meetings]


def _local_times(meetings, zone):
    return {m.starts_at.astimezone(zoneinfo.ZoneInfo(zone)).time() for m in meetings}


@pytest.mark.parametrize(
    ("zone", "local", "now", "expected_utc"),
    [
        (  # London, clocks forward on Sunday 29 March 2026
            "Europe/London",
            datetime.time(15, 0),
            datetime.datetime(2026, 3, 16, 12, tzinfo=UTC),
            ["2026-03-17 15:00", "2026-03-24 15:00", "2026-03-31 14:00", "2026-04-07 14:00"],
        ),
        (  # London, clocks back on Sunday 25 October 2026
            "Europe/London",
            datetime.time(15, 0),
            datetime.datetime(2026, 10, 12, 12, tzinfo=UTC),
            ["2026-10-13 14:00", "2026-10-20 14:00", "2026-10-27 15:00", "2026-11-03 15:00"],
        ),
        (  # New York, clocks forward on Sunday 8 March 2026
            "America/New_York",
            datetime.time(10, 0),
            datetime.datetime(2026, 2, 23, 12, tzinfo=UTC),
            ["2026-02-24 15:00", "2026-03-03 15:00", "2026-03-10 14:00", "2026-03-17 14:00"],
        ),
        (  # New York, clocks back on Sunday 1 November 2026
            "America/New_York",
            datetime.time(10, 0),
            datetime.datetime(2026, 10, 19, 12, tzinfo=UTC),
            ["2026-10-20 14:00", "2026-10-27 14:00", "2026-11-03 15:00", "2026-11-10 15:00"],
        ),
    ],
    ids=["london-march", "london-october", "new-york-march", "new-york-november"],
)
def test_meetings_keep_their_local_time_across_daylight_saving_changes(
    world, zone, local, now, expected_utc
):
    schedule = _schedule(world, time_zone=zone, local_time=local)

    created = cadence_generate_meetings(schedule, horizon_weeks=4, now=now)

    assert _starts(created) == expected_utc
    assert _local_times(created, zone) == {local}
    assert {m.time_zone for m in created} == {zone}


def test_generating_again_creates_nothing_new(world):
    schedule = _schedule(world)
    now = datetime.datetime(2026, 3, 16, 12, tzinfo=UTC)
    cadence_generate_meetings(schedule, horizon_weeks=8, now=now)

    again = cadence_generate_meetings(schedule, horizon_weeks=8, now=now)

    assert again == []
    assert Meeting.objects.filter(schedule=schedule).count() == 8


def test_a_later_run_only_adds_the_weeks_that_came_into_the_horizon(world):
    schedule = _schedule(world)
    cadence_generate_meetings(
        schedule, horizon_weeks=4, now=datetime.datetime(2026, 3, 16, 12, tzinfo=UTC)
    )

    later = cadence_generate_meetings(
        schedule, horizon_weeks=4, now=datetime.datetime(2026, 3, 30, 12, tzinfo=UTC)
    )

    assert _starts(later) == ["2026-04-14 14:00", "2026-04-21 14:00"]


def test_a_biweekly_cadence_keeps_its_rhythm_from_the_first_meeting(world):
    schedule = _schedule(
        world, frequency="biweekly", weekday=3, starts_on=datetime.date(2026, 1, 7)
    )

    created = cadence_generate_meetings(
        schedule, horizon_weeks=5, now=datetime.datetime(2026, 2, 1, 12, tzinfo=UTC)
    )

    assert [m.occurrence_on for m in created] == [
        datetime.date(2026, 2, 5),
        datetime.date(2026, 2, 19),
        datetime.date(2026, 3, 5),
    ]


def test_a_moved_meeting_keeps_its_slot_so_generation_does_not_refill_it(world):
    schedule = weekly_cadence(world)
    first = Meeting.objects.filter(schedule=schedule).order_by("starts_at").first()
    meeting_reschedule(
        actor=world.pm, meeting=first, starts_at=first.starts_at + datetime.timedelta(days=1)
    )
    count = Meeting.objects.filter(schedule=schedule).count()

    cadence_generate_meetings(schedule)

    assert Meeting.objects.filter(schedule=schedule).count() == count


def test_creating_a_cadence_schedules_eight_weeks_with_its_attendees(world):
    schedule = weekly_cadence(world)

    meetings = Meeting.objects.filter(schedule=schedule)
    assert meetings.count() in (8, 9)  # today's slot counts if it is still ahead
    assert set(meetings.first().attendees.all()) == {world.pm, world.lead_a}
    assert Event.objects.filter(verb="cadence.created").exists()
    assert Event.objects.filter(verb="meeting.scheduled").exists()


def test_the_daily_task_keeps_every_active_cadence_generated(world):
    schedule = _schedule(world, starts_on=timezone.localdate())
    ended = _schedule(world, starts_on=timezone.localdate(), active=False)

    created = generate_cadence_meetings()

    assert created >= 8
    assert generate_cadence_meetings() == 0
    assert not Meeting.objects.filter(schedule=ended).exists()
    assert Meeting.objects.filter(schedule=schedule).count() == created


def test_ending_a_cadence_cancels_its_upcoming_meetings(world):
    schedule = weekly_cadence(world)

    cadence_end(actor=world.pm, schedule=schedule)

    upcoming = Meeting.objects.filter(schedule=schedule)
    assert set(upcoming.values_list("status", flat=True)) == {Meeting.Status.CANCELLED}
    assert set(upcoming.values_list("sequence", flat=True)) == {1}
    assert cadence_generate_meetings(schedule) == []
    with pytest.raises(ServiceError) as exc:
        cadence_end(actor=world.pm, schedule=schedule)
    assert exc.value.message == CADENCE_ENDED


def test_only_the_program_team_agrees_a_cadence(world):
    with pytest.raises(ServiceError) as exc:
        cadence_create(
            actor=world.lead_a,
            program=world.program,
            frequency="weekly",
            weekday=1,
            local_time=datetime.time(15),
            time_zone="Europe/London",
            starts_on=timezone.localdate(),
        )

    assert exc.value.message == NOT_PROGRAM_TEAM
    assert not CadenceSchedule.objects.exists()
