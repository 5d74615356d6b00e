"""The site calendar: leadership keeps the holidays, every change is audited, and the clock
counts around them in web processes and workers alike."""

from __future__ import annotations

import datetime

import pytest

from portal import clock, holidays
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, SiteHoliday
from tests.support.queries import count_queries
from tests.support.world import client_for

CHRISTMAS = datetime.date(2026, 12, 25)


@pytest.fixture(autouse=True)
def _fresh_holidays():
    clock.forget_holidays()
    yield
    clock.forget_holidays()


def test_leadership_adds_a_holiday_and_the_clock_skips_it(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        holidays.site_holiday_add(actor=world.leader, day=CHRISTMAS, name="Christmas Day")

    assert clock.holidays() == frozenset({CHRISTMAS})
    # Thursday 24 Dec + 1 business day skips Friday 25 (holiday) and the weekend.
    assert clock.add_business_days(datetime.date(2026, 12, 24), 1) == datetime.date(2026, 12, 28)
    entry = AuditEntry.objects.get(model="portal.siteholiday")
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == world.leader


def test_removing_a_holiday_needs_a_reason_and_is_audited(
    world, django_capture_on_commit_callbacks
):
    holiday = SiteHoliday.objects.create(day=CHRISTMAS, name="Christmas Day")
    with pytest.raises(Invalid) as refused:
        holidays.site_holiday_remove(actor=world.leader, holiday=holiday, reason=" ")
    assert refused.value.message == holidays.REASON_REQUIRED

    with django_capture_on_commit_callbacks(execute=True):
        holidays.site_holiday_remove(actor=world.leader, holiday=holiday, reason="Site open")

    assert not SiteHoliday.objects.exists()
    entry = AuditEntry.objects.get(model="portal.siteholiday", action=AuditEntry.Action.DELETE)
    assert entry.reason == "Site open"
    assert entry.changes["day"] == ["2026-12-25", None]
    assert clock.holidays() == frozenset()


@pytest.mark.parametrize("persona", ["pm", "staff", "lead_a"])
def test_only_leadership_keeps_the_calendar(world, persona):
    with pytest.raises(NotAllowed):
        holidays.site_holiday_add(actor=getattr(world, persona), day=CHRISTMAS, name="Xmas")
    assert not SiteHoliday.objects.exists()


def test_the_same_day_twice_is_a_conflict_that_changes_nothing(world):
    holidays.site_holiday_add(actor=world.leader, day=CHRISTMAS, name="Christmas Day")
    with pytest.raises(Conflict):
        holidays.site_holiday_add(actor=world.leader, day=CHRISTMAS, name="Again")
    assert SiteHoliday.objects.count() == 1
    assert AuditEntry.objects.filter(model="portal.siteholiday").count() == 1


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("lead_a", 404), ("viewer_a", 404), ("pm", 200), ("leader", 200)],
)
def test_the_calendar_page_is_for_cdmo_users(world, persona, status):
    response = client_for(world, persona).get("/settings/holidays/")
    assert response.status_code == status


def test_the_page_adds_a_holiday_for_leadership_and_refuses_others(world):
    response = client_for(world, "leader").post(
        "/settings/holidays/", {"day": "2026-12-25", "name": "Christmas Day"}
    )
    assert response.status_code == 302
    assert SiteHoliday.objects.filter(day=CHRISTMAS).exists()

    refused = client_for(world, "pm").post(
        "/settings/holidays/", {"day": "2026-12-26", "name": "Boxing Day"}
    )
    assert refused.status_code == 403
    assert not SiteHoliday.objects.filter(day=datetime.date(2026, 12, 26)).exists()


def test_a_bad_date_is_shown_inline_and_changes_nothing(world):
    response = client_for(world, "leader").post(
        "/settings/holidays/", {"day": "25/12/2026x", "name": "Christmas Day"}
    )
    assert response.status_code == 422
    assert b"Enter a valid date" in response.content
    assert not SiteHoliday.objects.exists()


def test_the_site_today_is_the_site_date_not_utc(settings, time_machine):
    settings.SITE_TIME_ZONE = "Asia/Tokyo"
    time_machine.move_to(datetime.datetime(2026, 12, 4, 20, 0, tzinfo=datetime.UTC))
    assert clock.site_today() == datetime.date(2026, 12, 5)
    assert clock.is_overdue(datetime.date(2026, 12, 4))
    assert not clock.is_overdue(datetime.date(2026, 12, 5))
    assert clock.day_end(datetime.date(2026, 12, 5)) == datetime.datetime(
        2026, 12, 5, 15, 0, tzinfo=datetime.UTC
    )


def test_the_calendar_page_costs_the_same_queries_for_one_holiday_or_forty(world):
    client = client_for(world, "leader")
    SiteHoliday.objects.create(day=CHRISTMAS, name="Christmas Day")
    few = count_queries(client, "/settings/holidays/", warm_up=True)
    for offset in range(1, 40):
        SiteHoliday.objects.create(
            day=CHRISTMAS + datetime.timedelta(days=offset), name=f"Day {offset}"
        )
    many = count_queries(client, "/settings/holidays/")
    assert few == many
    assert many <= 6
