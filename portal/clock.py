"""The one clock: when something is due, on the CDMO site's calendar.

Deviations, escalations and action items all ask this module, so that a "24 hours" or a
"5 business days" means the same everywhere. Windows are

- `hours`: elapsed time; a daylight-saving change does not stretch or shrink it;
- `days`: calendar days, at the same local wall-clock time on the site;
- `business_days`: the day the clock starts is not counted; the window ends at the end of the
  Nth following working day (Monday to Friday, not a site holiday), site time.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import models
from django.utils import timezone


class Unit(models.TextChoices):
    HOURS = "hours", "hours"
    DAYS = "days", "calendar days"
    BUSINESS_DAYS = "business_days", "business days"


WORKING_WEEKDAYS = frozenset({0, 1, 2, 3, 4})  # Monday … Friday


def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.SITE_TIME_ZONE)


@cache
def _parse_holidays(raw: tuple[str, ...]) -> frozenset[datetime.date]:
    return frozenset(datetime.date.fromisoformat(day) for day in raw)


def holidays() -> frozenset[datetime.date]:
    return _parse_holidays(tuple(settings.SITE_HOLIDAYS))


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
