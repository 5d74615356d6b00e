"""Reporting periods: a calendar month, a calendar quarter, or the rolling 12 months.

A period is a run of whole site-local days (`portal.clock.site_zone`), `start` inclusive and
`end` exclusive, so that a batch released late on the 31st in Singapore and one released early
on the 1st in Boston fall where the site's calendar puts them. `moments()` turns it into the
aware datetimes that timestamp columns are compared with.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models

from portal import clock

# How far back the portal keeps the records a period may ask about (and the demo seeds).
RETAINED_MONTHS = 60

PERIOD_IN_FUTURE = "The period has not started yet: choose one that ends today or earlier."
PERIOD_BEFORE_RETENTION = (
    "The period starts before the oldest retained records ({oldest}): choose a later one."
)
PERIOD_MALFORMED = "Give the period as {example}."


class PeriodKind(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    ROLLING_12 = "rolling12", "Rolling 12 months"


class PeriodError(ValueError):
    """A period that cannot be reported on; the message says why, for the user."""


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date  # first day, inclusive
    end: datetime.date  # the day after the last, exclusive

    @property
    def key(self) -> str:
        """What identifies the period in a URL or the API: 2026-11, 2026-Q4, 12m-2026-11."""
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"12m-{self.last_day:%Y-%m}"

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%B %Y}"
        if self.kind == PeriodKind.QUARTER:
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        return f"12 months to {self.last_day:%B %Y}"

    def moments(self) -> tuple[datetime.datetime, datetime.datetime]:
        """The period as aware datetimes: site-local midnight at each end."""
        return clock.day_start(self.start), clock.day_start(self.end)

    def is_complete(self, today: datetime.date | None = None) -> bool:
        return self.end <= (today or clock.site_today())

    def previous(self) -> Period:
        return ending(self.kind, self.start - datetime.timedelta(days=1))


def _month_start(day: datetime.date, months_back: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(index // 12, index % 12 + 1, 1)


def ending(kind: str, day: datetime.date) -> Period:
    """The period of `kind` that contains `day` (rolling: the 12 months ending with day's)."""
    if kind == PeriodKind.MONTH:
        start = _month_start(day)
        return Period(kind, start, _month_start(day, -1))
    if kind == PeriodKind.QUARTER:
        start = datetime.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(kind, start, _month_start(start, -3))
    if kind == PeriodKind.ROLLING_12:
        return Period(kind, _month_start(day, 11), _month_start(day, -1))
    raise PeriodError(PERIOD_MALFORMED.format(example="month, quarter or rolling12"))


def current(kind: str = PeriodKind.ROLLING_12) -> Period:
    return ending(kind, clock.site_today())


def series(kind: str, count: int, last: Period | None = None) -> list[Period]:
    """`count` consecutive periods ending with `last` (default: the current one), oldest first."""
    period = last or current(kind)
    periods = [period]
    for _ in range(count - 1):
        period = period.previous()
        periods.append(period)
    return periods[::-1]


def oldest_retained(today: datetime.date | None = None) -> datetime.date:
    return _month_start(today or clock.site_today(), RETAINED_MONTHS - 1)


def parse(kind: str | None, key: str | None) -> Period:
    """The period named by a request: `kind` (month, quarter, rolling12) and `key`, which is
    as `Period.key` gives it (for rolling12 also the last month alone, `2026-11`) or empty for
    the current period. Refuses, with a message for the
    user, a malformed key, a period not yet started and one before the retained records."""
    kind = kind or PeriodKind.ROLLING_12
    if kind not in PeriodKind.values:
        raise PeriodError(PERIOD_MALFORMED.format(example="month, quarter or rolling12"))
    period = _from_key(kind, key) if key else current(kind)
    today = clock.site_today()
    if period.start > today:
        raise PeriodError(PERIOD_IN_FUTURE)
    if period.start < oldest_retained(today):
        raise PeriodError(PERIOD_BEFORE_RETENTION.format(oldest=oldest_retained(today)))
    return period


_EXAMPLES = {
    PeriodKind.MONTH: "2026-11",
    PeriodKind.QUARTER: "2026-Q4",
    PeriodKind.ROLLING_12: "12m-2026-11",
}


def _year_month(text: str) -> datetime.date:
    year, dash, month = text.partition("-")
    if not dash or len(year) != 4 or len(month) != 2:
        raise ValueError(text)
    return datetime.date(int(year), int(month), 1)


def _from_key(kind: str, key: str) -> Period:
    problem = PeriodError(PERIOD_MALFORMED.format(example=_EXAMPLES[PeriodKind(kind)]))
    text = key.strip()
    try:
        if kind == PeriodKind.MONTH:
            day = _year_month(text)
        elif kind == PeriodKind.QUARTER:
            year, _, quarter = text.partition("-Q")
            number = int(quarter)
            if not 1 <= number <= 4 or len(year) != 4:
                raise problem
            day = datetime.date(int(year), number * 3 - 2, 1)
        else:
            # The 12 months ending with a month: as `Period.key` writes it, or the month alone.
            day = _year_month(text.removeprefix("12m-"))
    except ValueError:
        raise problem from None
    return ending(kind, day)
