"""The site clock: hours are elapsed time, days keep the local wall time, business days skip
weekends and site holidays, and the day of awareness is not counted."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.test import override_settings

from portal import clock

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = datetime.UTC


def london(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


def test_hours_are_elapsed_time_across_the_spring_change():
    # 30 March 2025: clocks go forward at 01:00 UTC. 24 h after 00:30 local is 01:30 local.
    start = london(2025, 3, 30, 0, 30)
    assert clock.due_at(start, 24, "hours") == start.astimezone(UTC) + datetime.timedelta(hours=24)
    assert clock.due_at(start, 24, "hours").astimezone(LONDON) == london(2025, 3, 31, 1, 30)


def test_hours_are_elapsed_time_across_the_autumn_change():
    start = london(2025, 10, 25, 12, 0)  # BST; clocks go back on the 26th
    assert clock.due_at(start, 24, "hours").astimezone(LONDON) == london(2025, 10, 26, 11, 0)


def test_calendar_days_keep_the_local_wall_time_across_daylight_saving():
    start = london(2025, 3, 28, 9, 0)  # GMT
    due = clock.due_at(start, 7, "days")
    assert due.astimezone(LONDON) == london(2025, 4, 4, 9, 0)  # BST, still 09:00
    assert due - start.astimezone(UTC) == datetime.timedelta(days=7, hours=-1)


def test_business_days_skip_the_weekend():
    # Thursday 6 Nov 2025 → 2 business days: Friday and Monday; due at the end of Monday.
    due = clock.due_at(london(2025, 11, 6, 15, 0), 2, "business_days")
    assert due.astimezone(LONDON) == london(2025, 11, 11, 0, 0)


@override_settings(SITE_HOLIDAYS=["2025-12-25", "2025-12-26"])
def test_business_days_skip_site_holidays():
    # Wednesday 24 Dec → 1 business day: not Thu 25, not Fri 26, not the weekend: Monday 29.
    due = clock.due_at(london(2025, 12, 24, 10, 0), 1, "business_days")
    assert due.astimezone(LONDON) == london(2025, 12, 30, 0, 0)


def test_awareness_at_23_59_on_friday_counts_from_friday():
    due = clock.due_at(london(2025, 11, 7, 23, 59), 1, "business_days")
    assert due.astimezone(LONDON) == london(2025, 11, 11, 0, 0)  # end of Monday


def test_awareness_one_minute_later_on_saturday_gives_the_same_due_time():
    friday = clock.due_at(london(2025, 11, 7, 23, 59), 1, "business_days")
    saturday = clock.due_at(london(2025, 11, 8, 0, 0), 1, "business_days")
    assert friday == saturday


def test_the_site_day_decides_not_the_utc_day():
    # 23:30 UTC on Friday 11 July 2025 is 00:30 on Saturday in London (BST).
    start = datetime.datetime(2025, 7, 11, 23, 30, tzinfo=UTC)
    due = clock.due_at(start, 1, "business_days")
    assert due.astimezone(LONDON) == london(2025, 7, 15, 0, 0)  # end of Monday 14


@override_settings(SITE_TIME_ZONE="America/New_York")
def test_the_site_time_zone_comes_from_settings():
    start = datetime.datetime(2025, 11, 7, 23, 30, tzinfo=UTC)  # Friday 18:30 in New York
    due = clock.due_at(start, 1, "business_days")
    assert due == datetime.datetime(2025, 11, 11, 5, 0, tzinfo=UTC)  # midnight NY, end of Monday


def test_it_refuses_naive_times_and_unknown_units():
    with pytest.raises(ValueError, match="aware"):
        clock.due_at(datetime.datetime(2025, 1, 1), 1, "hours")
    with pytest.raises(ValueError, match="Unknown"):
        clock.due_at(london(2025, 1, 1), 1, "fortnights")


def test_a_running_clock_shows_time_left_then_overdue():
    due = datetime.datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    with time_machine.travel(due - datetime.timedelta(minutes=1), tick=False):
        state = clock.clock_state(due)
        assert not state.overdue
        assert state.met is None
        assert clock.humanise(state.remaining) == "1 min"
    with time_machine.travel(due, tick=False):
        assert not clock.clock_state(due).overdue
    with time_machine.travel(due + datetime.timedelta(seconds=1), tick=False):
        assert clock.clock_state(due).overdue


def test_a_stopped_clock_says_whether_the_window_was_met():
    due = datetime.datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
    assert clock.clock_state(due, stopped_at=due).met is True
    assert clock.clock_state(due, stopped_at=due + datetime.timedelta(seconds=1)).met is False


def test_humanise_reads_days_and_hours():
    assert clock.humanise(datetime.timedelta(days=2, hours=3, minutes=5)) == "2 d 3 h"
    assert clock.humanise(-datetime.timedelta(hours=5, minutes=10)) == "5 h 10 min"
