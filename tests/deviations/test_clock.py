"""The site clock: hours are elapsed time, days keep the local wall time, business days skip
weekends and site holidays (rows of SiteHoliday, read through the cache), the day of awareness
is not counted, and "today" and "overdue" are the site's, whatever the UTC date."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.test import override_settings

from portal import clock
from portal.models import SiteHoliday

pytestmark = pytest.mark.django_db

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


@pytest.fixture
def christmas():
    """Christmas and Boxing Day 2025 as site holidays, read afresh by the clock."""
    SiteHoliday.objects.create(day=datetime.date(2025, 12, 25), name="Christmas Day")
    SiteHoliday.objects.create(day=datetime.date(2025, 12, 26), name="Boxing Day")
    clock.forget_holidays()
    yield
    clock.forget_holidays()


def test_business_days_skip_site_holidays(christmas):
    # Wednesday 24 Dec → 1 business day: not Thu 25, not Fri 26, not the weekend: Monday 29.
    due = clock.due_at(london(2025, 12, 24, 10, 0), 1, "business_days")
    assert due.astimezone(LONDON) == london(2025, 12, 30, 0, 0)


def test_the_clock_keeps_the_holidays_until_told_to_forget_them(christmas):
    assert datetime.date(2025, 12, 25) in clock.holidays()
    SiteHoliday.objects.create(day=datetime.date(2025, 12, 29), name="Site shutdown")
    assert datetime.date(2025, 12, 29) not in clock.holidays()  # still the cached days
    clock.forget_holidays()
    due = clock.due_at(london(2025, 12, 24, 10, 0), 1, "business_days")
    assert due.astimezone(LONDON) == london(2025, 12, 31, 0, 0)  # end of Tuesday 30


def test_a_day_without_holiday_rows_is_a_working_day():
    clock.forget_holidays()
    assert clock.is_working_day(datetime.date(2025, 12, 25))  # a Thursday, no row
    assert not clock.is_working_day(datetime.date(2025, 12, 27))  # a Saturday


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


def test_site_today_is_the_sites_date_when_utc_is_still_on_the_day_before():
    # 23:30 UTC on 11 July 2025 is 00:30 on 12 July in London (BST).
    with time_machine.travel(datetime.datetime(2025, 7, 11, 23, 30, tzinfo=UTC), tick=False):
        assert clock.site_today() == datetime.date(2025, 7, 12)
        assert clock.site_now().utcoffset() == datetime.timedelta(hours=1)


@override_settings(SITE_TIME_ZONE="America/New_York")
def test_site_today_is_the_sites_date_when_utc_is_already_on_the_next_day():
    # 02:00 UTC on 1 March 2025 is 21:00 on 28 February in New York.
    with time_machine.travel(datetime.datetime(2025, 3, 1, 2, 0, tzinfo=UTC), tick=False):
        assert clock.site_today() == datetime.date(2025, 2, 28)
        assert not clock.is_overdue(datetime.date(2025, 2, 28))


def test_a_due_date_is_overdue_once_the_sites_next_day_begins_not_the_utc_one():
    due = datetime.date(2025, 7, 11)
    with time_machine.travel(datetime.datetime(2025, 7, 11, 22, 59, tzinfo=UTC), tick=False):
        assert not clock.is_overdue(due)  # 23:59 on the due date, site time
    with time_machine.travel(datetime.datetime(2025, 7, 11, 23, 30, tzinfo=UTC), tick=False):
        assert clock.is_overdue(due)  # 00:30 the next day on the site, still the 11th in UTC
    assert not clock.is_overdue(None)


def test_the_day_end_is_the_sites_midnight_in_utc_summer_and_winter():
    assert clock.day_end(datetime.date(2025, 7, 11)) == datetime.datetime(
        2025, 7, 11, 23, 0, tzinfo=UTC
    )
    assert clock.day_end(datetime.date(2025, 12, 11)) == datetime.datetime(
        2025, 12, 12, 0, 0, tzinfo=UTC
    )


def test_the_day_before_a_daylight_saving_change_ends_at_the_new_offsets_midnight():
    # Clocks go forward on Sunday 30 March 2025: Saturday ends at 00:00 GMT (UTC).
    assert clock.day_end(datetime.date(2025, 3, 29)) == datetime.datetime(
        2025, 3, 30, 0, 0, tzinfo=UTC
    )
    # The 23-hour Sunday ends at midnight BST, 23:00 UTC.
    assert clock.day_end(datetime.date(2025, 3, 30)) == datetime.datetime(
        2025, 3, 30, 23, 0, tzinfo=UTC
    )
    # Clocks go back on Sunday 26 October: the 25-hour Sunday ends at midnight GMT.
    sunday_end = clock.day_end(datetime.date(2025, 10, 26))
    saturday_end = clock.day_end(datetime.date(2025, 10, 25))
    assert sunday_end == datetime.datetime(2025, 10, 27, 0, 0, tzinfo=UTC)
    assert sunday_end - saturday_end == datetime.timedelta(hours=25)


def test_a_due_date_is_not_overdue_until_its_day_end_passes():
    due = datetime.date(2025, 10, 26)
    end = clock.day_end(due)
    with time_machine.travel(end - datetime.timedelta(seconds=1), tick=False):
        assert not clock.is_overdue(due)
    with time_machine.travel(end, tick=False):
        assert clock.is_overdue(due)
