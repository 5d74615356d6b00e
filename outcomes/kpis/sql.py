"""The database pieces of the KPI engine: a PostgreSQL median, seconds between two
timestamps, and when a meeting's minutes were due and shared."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.db import NotSupportedError, connection, models
from django.db.models import (
    Aggregate,
    Case,
    CharField,
    F,
    FloatField,
    Func,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast

from governance.models import Meeting
from outcomes.periods import Period
from portal import clock
from portal.access import Audience
from portal.models import AuditEntry

MINUTES_WINDOW_BUSINESS_DAYS = 2


class Median(Aggregate):
    """PostgreSQL's `percentile_cont(0.5) WITHIN GROUP (ORDER BY …)`: the median, interpolated
    between the two middle values like `statistics.median`."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        raise NotSupportedError("SQLite has no percentile: see _medians_in_python.")


class SecondsBetween(Func):
    """`end - start` in seconds, for two timestamp columns."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def minutes_due(periods: Sequence[Period]) -> Func:
    """When the minutes of a meeting are due: the end of the 2nd business day after the
    meeting's site-local day, as `clock.due_at(start, 2, "business_days")` has it. It depends
    only on that day, so the periods' days become ranges of start moments with one due moment
    each (a Friday and the weekend after it share theirs), which the database searches per
    meeting."""
    first = min(p.start for p in periods)
    last = max(p.end for p in periods)
    holidays = clock.holidays()  # read once, not once per day

    def working(day: datetime.date) -> bool:
        return day.weekday() in clock.WORKING_WEEKDAYS and day not in holidays

    ranges: list[tuple[datetime.date, datetime.date, datetime.datetime]] = []
    day = first
    while day < last:
        due_day, count = day, MINUTES_WINDOW_BUSINESS_DAYS
        while count:
            due_day += datetime.timedelta(days=1)
            count -= working(due_day)
        due = clock.day_end(due_day)
        following = day + datetime.timedelta(days=1)
        if ranges and ranges[-1][2] == due:
            ranges[-1] = (ranges[-1][0], following, due)
        else:
            ranges.append((day, following, due))
        day = following
    return _MinutesDue(
        tuple((clock.day_start(start), due) for start, _, due in ranges), clock.day_start(last)
    )


class _MinutesDue(Func):
    """The due moment of the range a meeting's start falls in (None outside them all).
    PostgreSQL finds it with `width_bucket` over an array of range starts (a binary search on
    two parameters); elsewhere it is a CASE nested as a binary search."""

    output_field = models.DateTimeField()

    def __init__(
        self,
        ranges: tuple[tuple[datetime.datetime, datetime.datetime], ...],
        end: datetime.datetime,
    ) -> None:
        super().__init__(F("starts_at"))
        self.ranges, self.end = ranges, end

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        start, params = compiler.compile(self.source_expressions[0])
        bounds = [begin for begin, _ in self.ranges] + [self.end]
        dues: list[datetime.datetime | None] = [due for _, due in self.ranges] + [None]
        sql = f"(%s::timestamptz[])[width_bucket({start}, %s::timestamptz[])]"
        return sql, [dues, *params, bounds]

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        case = Case(
            When(
                starts_at__gte=self.ranges[0][0], starts_at__lt=self.end, then=_search(self.ranges)
            ),
            default=Value(None),
            output_field=models.DateTimeField(),
        )
        return compiler.compile(case.resolve_expression(compiler.query))


def _search(ranges: Sequence[tuple[datetime.datetime, datetime.datetime]]) -> Any:
    """A CASE nested as a binary search over (start, due) ranges."""
    if len(ranges) == 1:
        return Value(ranges[0][1], output_field=models.DateTimeField())
    middle = len(ranges) // 2
    return Case(
        When(starts_at__lt=ranges[middle][0], then=_search(ranges[:middle])),
        default=_search(ranges[middle:]),
        output_field=models.DateTimeField(),
    )


def minutes_shared_at() -> Subquery:
    """When the minutes reached the sponsor: the first audit entry that set the meeting's
    `minutes_audience` to sponsor (at the write-up, or by sharing them later)."""
    entries = AuditEntry.objects.filter(
        model=Meeting._meta.label_lower,
        object_pk=Cast(OuterRef("pk"), CharField()),
        changes__minutes_audience__1=Audience.SPONSOR,
    ).order_by("at")
    return Subquery(entries.values("at")[:1])
