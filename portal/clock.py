"""The one clock: when something is due, on the CDMO site's calendar.

Deviations, escalations and action items all ask this module, so that a "24 hours" or a
"5 business days" means the same everywhere. Windows are

- `hours`: elapsed time; a daylight-saving change does not stretch or shrink it;
- `days`: calendar days, at the same local wall-clock time on the site;
- `business_days`: the day the clock starts is not counted; the window ends at the end of the
  Nth following working day (Monday to Friday, not a site holiday), site time.

"Today" is the site's today (`site_today`), never the viewer's or the server's: a web request
from Tokyo and a Celery task running in UTC agree on what is overdue. Site holidays live in the
`SiteHoliday` table; processes keep them for `HOLIDAY_CACHE_SECONDS`, and a change through
`site_holiday_*` services clears the shared cache at once.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone


class Unit(models.TextChoices):
    HOURS = "hours", "hours"
    DAYS = "days", "calendar days"
    BUSINESS_DAYS = "business_days", "business days"


WORKING_WEEKDAYS = frozenset({0, 1, 2, 3, 4})  # Monday … Friday


def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SITE_TIME_ZONE)


HOLIDAY_CACHE_KEY = "clock:site-holidays"
HOLIDAY_CACHE_SECONDS = 60


def holidays() -> frozenset[datetime.date]:
    """The site's holidays (from the database, through the cache)."""
    days = cache.get(HOLIDAY_CACHE_KEY)
    if days is None:
        from portal.models import SiteHoliday

        days = frozenset(SiteHoliday.objects.values_list("day", flat=True))
        cache.set(HOLIDAY_CACHE_KEY, days, HOLIDAY_CACHE_SECONDS)
    return frozenset(days)


def forget_holidays() -> None:
    """After a change to the holidays: every process reads them again."""
    cache.delete(HOLIDAY_CACHE_KEY)


def site_now() -> datetime.datetime:
    """Now, in the site's time zone."""
    return timezone.now().astimezone(site_zone())


def site_today() -> datetime.date:
    """Today on the site's calendar: the date every deadline and "overdue" is judged by."""
    return site_now().date()


def is_overdue(due: datetime.date | None) -> bool:
    """A due date is overdue once the site's day after it has begun."""
    return due is not None and due < site_today()


def day_start(day: datetime.date) -> datetime.datetime:
    """The moment a site-local day begins (as UTC): where reporting periods start and end."""
    return _local_midnight(day, site_zone()).astimezone(datetime.UTC)


def day_end(day: datetime.date) -> datetime.datetime:
    """The moment a due *date* passes: the end of that day, site time (as UTC)."""
    return _local_midnight(day + datetime.timedelta(days=1), site_zone()).astimezone(datetime.UTC)


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() in WORKING_WEEKDAYS and day not in holidays()


def add_business_days(day: datetime.date, count: int) -> datetime.date:
    """The `count`-th working day after `day` (`day` itself is never counted)."""
    while count > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def _local_midnight(day: datetime.date, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=zone)


def due_at(start: datetime.datetime, amount: int, unit: str) -> datetime.datetime:
    """When a window of `amount` `unit` that starts at `start` (an aware datetime) closes,
    as an aware datetime in UTC."""
    if timezone.is_naive(start):
        raise ValueError("The clock needs an aware datetime.")
    if amount < 0:
        raise ValueError("A window cannot be negative.")
    zone = site_zone()
    if unit == Unit.HOURS:
        # In UTC: arithmetic on a datetime in a zone with DST would add wall-clock hours.
        due = start.astimezone(datetime.UTC) + datetime.timedelta(hours=amount)
    elif unit == Unit.DAYS:
        local = start.astimezone(zone)
        wall = local.replace(tzinfo=None) + datetime.timedelta(days=amount)
        due = wall.replace(tzinfo=zone)
    elif unit == Unit.BUSINESS_DAYS:
        local_day = start.astimezone(zone).date()
        last_day = add_business_days(local_day, amount)
        due = _local_midnight(last_day + datetime.timedelta(days=1), zone)
    else:
        raise ValueError(f"Unknown window unit {unit!r}.")
    return due.astimezone(datetime.UTC)


@dataclass(frozen=True)
class ClockState:
    """Where a window stands: due, met or missed, and the time left or overdue."""

    due: datetime.datetime
    stopped_at: datetime.datetime | None
    now: datetime.datetime

    @property
    def is_stopped(self) -> bool:
        return self.stopped_at is not None

    @property
    def met(self) -> bool | None:
        """True/False once stopped; None while still running."""
        if self.stopped_at is None:
            return None
        return self.stopped_at <= self.due

    @property
    def overdue(self) -> bool:
        moment = self.stopped_at or self.now
        return moment > self.due

    @property
    def remaining(self) -> datetime.timedelta:
        """Positive: time left; negative: how long overdue (to the stop, if stopped)."""
        return self.due - (self.stopped_at or self.now)


def clock_state(due: datetime.datetime, stopped_at: datetime.datetime | None = None) -> ClockState:
    return ClockState(due=due, stopped_at=stopped_at, now=timezone.now())


def humanise(delta: datetime.timedelta) -> str:
    """'2 d 3 h', '5 h 10 min', '12 min' — for clocks on pages."""
    seconds = abs(int(delta.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
