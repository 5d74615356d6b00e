"""The outcome KPIs, computed from the records in the database.

Each KPI of `programs.kpi_catalogue` is one `_Spec` here: the model it counts, which rows it
counts in a period (`base`), which of those met the definition (`met`, for a share) or what is
measured on each (`measure`, in seconds, for a median). The same spec answers the figure
(`kpis_for`, `kpis_overall`, `kpi_trend`: conditional aggregation, one query per model for all
programs and KPIs) and the drill-down (`counted_records`: the very rows counted), so the two
can never disagree.

Audience: a sponsor's reader never gets a count of records it may not see. Action items and
escalations carry an audience; a figure for a reader who does not see internal records (and
for no reader at all: fail closed) counts only the shared ones. Tenancy is the caller's: pass
the ids of programs the reader may see (`counted_records` scopes its rows to the reader too).

Medians use PostgreSQL's `percentile_cont(0.5)`; on SQLite (the embedded mode) the measured
values are read per KPI and the median taken in Python, which that mode's data size allows.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.db import NotSupportedError, connection, models
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from comms.models import Comment
from deviations.models import Deviation
from governance.models import ActionItem, Escalation, EscalationStep, Meeting
from outcomes.periods import Period
from portal import access, clock
from portal.access import Audience
from portal.models import AuditEntry
from programs import kpi_catalogue
from programs.kpi_catalogue import Kpi, KpiDefinition, Unit
from programs.models import Batch, ChangeOrder, Milestone

MINUTES_WINDOW_BUSINESS_DAYS = 2
_HOUR = Decimal(3600)
_DAY = Decimal(86400)
_ONE_DECIMAL = Decimal("0.1")
_TWO_DECIMALS = Decimal("0.01")


@dataclass(frozen=True)
class KpiValue:
    """One KPI over one period. `value` is None when there was nothing to measure (no batch
    released, no question answered): a missing figure, never a zero."""

    kpi: str
    value: Decimal | None
    numerator: int | None  # the records that met the definition (a share or a rate)
    denominator: int | None  # the records counted
    unit: str

    @property
    def definition(self) -> KpiDefinition:
        return kpi_catalogue.definition(self.kpi)


class KpiStatus(models.TextChoices):
    MET = "met", "Met"
    MISSED = "missed", "Missed"
    NO_DATA = "no_data", "No data"
    NO_TARGET = "no_target", "No target"


def status_against(value: KpiValue, target: Decimal | None) -> KpiStatus:
    """Where a figure stands against its agreed target (the KPI's direction decides)."""
    if value.value is None:
        return KpiStatus.NO_DATA
    if target is None:
        return KpiStatus.NO_TARGET
    return KpiStatus.MET if value.definition.meets(value.value, target) else KpiStatus.MISSED


@dataclass(frozen=True)
class CountedRecord:
    """One record a KPI counted, with the facts that decided it, for the drill-down."""

    kind: str  # batch, deviation, milestone, meeting, action item, question, …
    reference: str
    title: str
    url: str
    met: bool | None  # None for a median KPI (each record is a measurement)
    measure: Decimal | None  # in the KPI's unit, for a median KPI (and deviations per batch)
    facts: tuple[tuple[str, str], ...] = ()
    program_code: str = ""


# --- Database pieces ------------------------------------------------------------------------


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


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


# --- What each KPI counts -------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """One period, seen from now: where timestamp and date columns start and stop."""

    period: Period
    now: datetime.datetime
    today: datetime.date

    @property
    def lo(self) -> datetime.datetime:
        return self.period.moments()[0]

    @property
    def hi(self) -> datetime.datetime:
        return self.period.moments()[1]

    def moments(self, column: str) -> Q:
        return Q(**{f"{column}__gte": self.lo, f"{column}__lt": self.hi})

    def days(self, column: str) -> Q:
        return Q(**{f"{column}__gte": self.period.start, f"{column}__lt": self.period.end})


def _context(period: Period) -> _Context:
    return _Context(period=period, now=timezone.now(), today=clock.site_today())


_NOT_CANCELLED = ~Q(status=Deviation.Status.CANCELLED)
_LIVE_DEVIATION_STATUSES = [s for s in Deviation.Status.values if s != Deviation.Status.CANCELLED]


def _linked_deviation() -> Exists:
    through = Deviation.batches.through
    return Exists(
        through.objects.filter(batch_id=OuterRef("pk")).exclude(
            deviation__status=Deviation.Status.CANCELLED
        )
    )


def _released_in(c: _Context) -> Q:
    return Q(disposition=Batch.Disposition.RELEASED) & c.days("actual_release")


def _decided_in(c: _Context) -> Q:
    return Q(disposition__in=Batch.DECIDED) & c.days("actual_release")


_ON_TIME = Q(actual_release__lte=F("planned_release"))


@dataclass(frozen=True)
class _Spec:
    kpi: str
    model: type[models.Model]
    column: str  # the date or timestamp column that places a row in a period
    base: Callable[[_Context], Q]  # includes the period on `column`
    met: Callable[[_Context], Any] | None = None  # a Q or a boolean expression
    measure: Callable[[], Any] | None = None  # seconds
    seconds_per_unit: Decimal = _HOUR
    order: tuple[str, ...] = ("pk",)


SPECS: dict[str, _Spec] = {
    spec.kpi: spec
    for spec in (
        _Spec(
            Kpi.ON_TIME_RELEASE,
            Batch,
            "actual_release",
            base=_released_in,
            met=lambda c: _ON_TIME,
            order=("actual_release", "lot_number"),
        ),
        _Spec(
            Kpi.RIGHT_FIRST_TIME,
            Batch,
            "actual_release",
            base=_decided_in,
            met=lambda c: (
                Q(disposition=Batch.Disposition.RELEASED, reworked=False) & ~_linked_deviation()
            ),
            order=("actual_release", "lot_number"),
        ),
        _Spec(
            Kpi.OTIF,
            Batch,
            "actual_release",
            base=_released_in,
            met=lambda c: _ON_TIME & Q(quantity_delivered__gte=F("quantity_committed")),
            order=("actual_release", "lot_number"),
        ),
        _Spec(
            Kpi.DEVIATIONS_PER_BATCH,
            Batch,
            "actual_release",
            base=_decided_in,
            order=("actual_release", "lot_number"),
        ),
        _Spec(
            Kpi.TIME_TO_NOTIFY,
            Deviation,
            "sponsor_notified_at",
            base=lambda c: (
                _NOT_CANCELLED
                & c.moments("sponsor_notified_at")
                & Q(seconds_to_notify__isnull=False)
            ),
            measure=lambda: F("seconds_to_notify"),
            order=("sponsor_notified_at", "pk"),
        ),
        _Spec(
            Kpi.NOTIFIED_IN_WINDOW,
            Deviation,
            "notification_due",
            base=lambda c: (
                _NOT_CANCELLED
                & c.moments("notification_due")
                & (Q(notification_due__lte=c.now) | Q(sponsor_notified_at__isnull=False))
            ),
            met=lambda c: Q(sponsor_notified_at__lte=F("notification_due")),
            order=("notification_due", "pk"),
        ),
        _Spec(
            Kpi.TIME_TO_ACKNOWLEDGE,
            Deviation,
            "sponsor_acknowledged_at",
            base=lambda c: (
                _NOT_CANCELLED
                & c.moments("sponsor_acknowledged_at")
                & Q(seconds_to_acknowledge__isnull=False)
            ),
            measure=lambda: F("seconds_to_acknowledge"),
            order=("sponsor_acknowledged_at", "pk"),
        ),
        _Spec(
            Kpi.MILESTONES_ON_TIME,
            Milestone,
            "actual_date",
            base=lambda c: c.days("actual_date"),
            met=lambda c: Q(actual_date__lte=F("baseline_date")),
            order=("actual_date", "pk"),
        ),
        _Spec(
            Kpi.CADENCE_ADHERENCE,
            Meeting,
            "starts_at",
            base=lambda c: (
                Q(schedule__isnull=False) & Q(starts_at__gte=c.lo, starts_at__lt=min(c.hi, c.now))
            ),
            met=lambda c: Q(status=Meeting.Status.HELD),
            order=("starts_at", "pk"),
        ),
        _Spec(
            Kpi.MINUTES_ON_TIME,
            Meeting,
            "starts_at",
            base=lambda c: (
                Q(status=Meeting.Status.HELD)
                & c.moments("starts_at")
                & (Q(minutes_shared_at__isnull=False) | Q(minutes_due__lte=c.now))
            ),
            met=lambda c: Q(minutes_shared_at__lte=F("minutes_due")),
            order=("starts_at", "pk"),
        ),
        _Spec(
            Kpi.ACTIONS_ON_TIME,
            ActionItem,
            "due_date",
            base=lambda c: (
                ~Q(status=ActionItem.Status.CANCELLED)
                & c.days("due_date")
                & (Q(status=ActionItem.Status.DONE) | Q(due_date__lt=c.today))
            ),
            met=lambda c: Q(status=ActionItem.Status.DONE, completed_on__lte=F("due_date")),
            order=("due_date", "pk"),
        ),
        _Spec(
            Kpi.TIME_TO_ANSWER,
            Comment,
            "answered_at",
            base=lambda c: (
                Q(is_question=True) & c.moments("answered_at") & Q(answer_seconds__isnull=False)
            ),
            measure=lambda: F("answer_seconds"),
            order=("answered_at", "pk"),
        ),
        _Spec(
            Kpi.CHANGE_ORDER_TURNAROUND,
            ChangeOrder,
            "decided_at",
            base=lambda c: (
                Q(
                    status__in=[ChangeOrder.Status.APPROVED, ChangeOrder.Status.REJECTED],
                    decided_at__isnull=False,
                )
                & c.moments("decided_at")
            ),
            measure=lambda: SecondsBetween(F("decided_at"), F("proposed_at")),
            seconds_per_unit=_DAY,
            order=("decided_at", "pk"),
        ),
        _Spec(
            Kpi.ESCALATIONS_IN_WINDOW,
            Escalation,
            "resolved_at",
            base=lambda c: c.moments("resolved_at"),
            met=lambda c: (
                Q(moved_up=False) & (Q(due_at__isnull=True) | Q(answered_at__lte=F("due_at")))
            ),
            order=("resolved_at", "pk"),
        ),
    )
}

assert set(SPECS) == set(Kpi.values), "every KPI of the catalogue has its spec"


def _minutes_due(periods: Sequence[Period]) -> Func:
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


def _minutes_shared_at() -> Subquery:
    """When the minutes reached the sponsor: the first audit entry that set the meeting's
    `minutes_audience` to sponsor (at the write-up, or by sharing them later)."""
    entries = AuditEntry.objects.filter(
        model=Meeting._meta.label_lower,
        object_pk=Cast(OuterRef("pk"), CharField()),
        changes__minutes_audience__1=Audience.SPONSOR,
    ).order_by("at")
    return Subquery(entries.values("at")[:1])


def _rows(
    model: type[models.Model],
    periods: Sequence[Period],
    *,
    program_ids: Sequence[int],
    audiences: frozenset[str],
    base: models.QuerySet[Any] | None = None,
    minutes: bool = False,
    selected: bool = False,
) -> models.QuerySet[Any]:
    """The model's rows of these programs that the audiences admit, with the columns the
    specs read that are not stored (when minutes were shared, when an action was closed):
    `selected` ones for `aggregate()`, which cannot read an alias."""
    rows = base if base is not None else model._default_manager.all()
    rows = rows.filter(program_id__in=list(program_ids))
    if model in (ActionItem, Escalation):
        rows = rows.filter(audience__in=sorted(audiences))
    if model is Comment:
        # Questions are always shared (a constraint); the filter keeps the rule in one place.
        rows = rows.filter(audience__in=sorted(audiences))
    if model is Meeting and minutes:
        rows = _add(
            rows,
            selected,
            minutes_shared_at=_minutes_shared_at(),
            minutes_due=_minutes_due(periods),
        )
    if model is ActionItem:
        rows = _add(
            rows, selected, completed_on=TruncDate("completed_at", tzinfo=clock.site_zone())
        )
    if model is Escalation:
        moved = EscalationStep.objects.filter(
            escalation=OuterRef("pk"), at__gt=OuterRef("raised_at")
        )
        rows = _add(
            rows,
            selected,
            moved_up=Exists(moved),
            answered_at=Coalesce("acknowledged_at", "resolved_at"),
        )
    return rows


def _add(rows: models.QuerySet[Any], selected: bool, **columns: Any) -> models.QuerySet[Any]:
    return rows.annotate(**columns) if selected else rows.alias(**columns)


def _audiences(user: Any) -> frozenset[str]:
    """What a figure for `user` may count: everything for the CDMO, shared records for a
    sponsor's reader and for nobody in particular (fail closed)."""
    who = access.viewer(user)
    if who is None:
        return frozenset({Audience.SPONSOR.value})
    return access.audiences(who)


# --- Aggregation ----------------------------------------------------------------------------


@dataclass
class _Tally:
    counted: int = 0
    met: int = 0
    measures: list[float] = field(default_factory=list)
    median: float | None = None


_Column = tuple[str, _Spec, _Context]  # (name, spec, context)


def _spans(columns: Sequence[_Column]) -> Q:
    """The rows any column may count: each spec's period column within the periods asked
    about. Cheap and indexed, unlike the specs' bases, which may compute per row (when the
    minutes were due) and would be repeated once per period."""
    spans: dict[str, tuple[Any, Any]] = {}
    for _, spec, c in columns:
        dates = isinstance(spec.model._meta.get_field(spec.column), models.DateField) and not (
            isinstance(spec.model._meta.get_field(spec.column), models.DateTimeField)
        )
        lo, hi = (c.period.start, c.period.end) if dates else (c.lo, c.hi)
        if spec.column in spans:
            lo, hi = min(lo, spans[spec.column][0]), max(hi, spans[spec.column][1])
        spans[spec.column] = (lo, hi)
    return reduce(
        or_, (Q(**{f"{col}__gte": lo, f"{col}__lt": hi}) for col, (lo, hi) in spans.items())
    )


def _aggregates(name: str, spec: _Spec, c: _Context) -> dict[str, Any]:
    base = spec.base(c)
    # Batches are joined to their deviations (deviations per batch): count each batch once.
    distinct = spec.model is Batch
    out: dict[str, Any] = {f"{name}_n": Count("pk", filter=base, distinct=distinct)}
    if spec.kpi == Kpi.DEVIATIONS_PER_BATCH:
        out[f"{name}_m"] = Count(
            "deviations",
            filter=base & Q(deviations__status__in=_LIVE_DEVIATION_STATUSES),
            distinct=True,
        )
    elif spec.met is not None:
        out[f"{name}_m"] = Count("pk", filter=base & spec.met(c), distinct=distinct)
    if spec.measure is not None and _on_postgresql():
        out[f"{name}_q"] = Median(spec.measure(), filter=base)
    return out


def _tally(
    columns: Sequence[_Column],
    *,
    program_ids: Sequence[int],
    audiences: frozenset[str],
    by_program: bool,
) -> dict[int | None, dict[str, _Tally]]:
    """For each column, per program (or over all of them): how many rows were counted, how
    many met the definition, and the median measure. One query per model on PostgreSQL."""
    result: dict[int | None, dict[str, _Tally]] = defaultdict(lambda: defaultdict(_Tally))
    if not program_ids or not columns:
        return result
    by_model: dict[type[models.Model], list[_Column]] = defaultdict(list)
    for column in columns:
        by_model[column[1].model].append(column)
    for model, model_columns in by_model.items():
        periods = [c.period for _, _, c in model_columns]
        minutes = any(spec.kpi == Kpi.MINUTES_ON_TIME for _, spec, _ in model_columns)
        rows = _rows(
            model,
            periods,
            program_ids=program_ids,
            audiences=audiences,
            minutes=minutes,
            selected=not by_program,
        )
        rows = rows.filter(_spans(model_columns))
        aggregates: dict[str, Any] = {}
        for name, spec, c in model_columns:
            aggregates |= _aggregates(name, spec, c)
        if by_program:
            answers = rows.values("program_id").annotate(**aggregates).order_by()
            found = {row["program_id"]: row for row in answers}
        else:
            if minutes:
                # DISTINCT (the rows are distinct anyway) keeps PostgreSQL from flattening
                # the subquery Django wraps around the annotated rows: when the minutes were
                # shared is then read once per meeting, not once per period and reference.
                rows = rows.distinct()
            found = {None: rows.aggregate(**aggregates)}
        for key, row in found.items():
            for name, _, _ in model_columns:
                tally = result[key][name]
                tally.counted = row[f"{name}_n"] or 0
                tally.met = row.get(f"{name}_m") or 0
                tally.median = row.get(f"{name}_q")
        if not _on_postgresql():
            _medians_in_python(rows, model_columns, result, by_program=by_program)
    return result


def _medians_in_python(
    rows: models.QuerySet[Any],
    columns: Sequence[_Column],
    result: dict[int | None, dict[str, _Tally]],
    *,
    by_program: bool,
) -> None:
    """SQLite has no percentile: read the measured values of each median column, sorted,
    and take the middle (embedded mode only)."""
    for name, spec, c in columns:
        if spec.measure is None:
            continue
        values: dict[int | None, list[float]] = defaultdict(list)
        measured = rows.filter(spec.base(c)).annotate(_measure=spec.measure())
        for program_id, measure in measured.values_list("program_id", "_measure").order_by(
            "_measure"
        ):
            values[program_id if by_program else None].append(float(measure))
        for key, measures in values.items():
            result[key][name].median = statistics.median(measures)


def _quantized(value: Decimal, unit: str) -> Decimal:
    places = _TWO_DECIMALS if unit == Unit.PER_BATCH else _ONE_DECIMAL
    return value.quantize(places, rounding=ROUND_HALF_UP)


def _value(spec: _Spec, tally: _Tally) -> KpiValue:
    unit = kpi_catalogue.definition(spec.kpi).unit
    if spec.measure is not None:
        value = None
        if tally.counted and tally.median is not None:
            seconds = Decimal(repr(tally.median))
            value = _quantized(seconds / spec.seconds_per_unit, unit)
        return KpiValue(spec.kpi, value, None, tally.counted, unit)
    if not tally.counted:
        return KpiValue(spec.kpi, None, 0, 0, unit)
    ratio = Decimal(tally.met) / Decimal(tally.counted)
    if unit == Unit.PERCENT:
        ratio *= 100
    return KpiValue(spec.kpi, _quantized(ratio, unit), tally.met, tally.counted, unit)


def _keys(kpis: Iterable[str] | None) -> list[str]:
    keys = list(Kpi.values) if kpis is None else list(kpis)
    for key in keys:
        kpi_catalogue.definition(key)  # a KeyError names an unknown KPI
    return keys


def kpis_for(
    *,
    program_ids: Sequence[int],
    period: Period,
    kpis: Iterable[str] | None = None,
    user: Any = None,
) -> dict[int, dict[str, KpiValue]]:
    """Each program's KPIs (all of them, or `kpis`) over `period`, as `user` may count them
    (see the module docstring). Every program asked about gets every KPI, with `value` None
    where there was nothing to measure. The query count does not depend on the number of
    programs or records."""
    keys = _keys(kpis)
    c = _context(period)
    columns = [(f"k{i}", SPECS[key], c) for i, key in enumerate(keys)]
    tallies = _tally(columns, program_ids=program_ids, audiences=_audiences(user), by_program=True)
    return {
        program_id: {
            key: _value(SPECS[key], tallies[program_id][name])
            for (name, _, _), key in zip(columns, keys, strict=True)
        }
        for program_id in program_ids
    }


def kpis_overall(
    *,
    program_ids: Sequence[int],
    period: Period,
    kpis: Iterable[str] | None = None,
    user: Any = None,
) -> dict[str, KpiValue]:
    """One figure per KPI over all of `program_ids` (a sponsor's programs, the portfolio),
    computed from the rows themselves: a program with many batches weighs more than one with
    few, and a median is the median of all the measurements."""
    keys = _keys(kpis)
    c = _context(period)
    columns = [(f"k{i}", SPECS[key], c) for i, key in enumerate(keys)]
    tallies = _tally(columns, program_ids=program_ids, audiences=_audiences(user), by_program=False)
    return {
        key: _value(SPECS[key], tallies[None][name])
        for (name, _, _), key in zip(columns, keys, strict=True)
    }


def kpi_trend(
    *,
    program_ids: Sequence[int],
    kpi: str,
    periods: Sequence[Period],
    user: Any = None,
) -> list[KpiValue]:
    """One KPI over consecutive periods (oldest first), over all of `program_ids`, in one
    query whatever the number of periods."""
    spec = SPECS[_keys([kpi])[0]]
    columns = [(f"p{i}", spec, _context(period)) for i, period in enumerate(periods)]
    tallies = _tally(columns, program_ids=program_ids, audiences=_audiences(user), by_program=False)
    return [_value(spec, tallies[None][name]) for name, _, _ in columns]


# --- The drill-down -------------------------------------------------------------------------


def _visible(model: type[models.Model], user: Any) -> models.QuerySet[Any]:
    return model._default_manager.visible_to(user)  # type: ignore[attr-defined]


def counted_records(
    *,
    program_ids: Sequence[int],
    kpi: str,
    period: Period,
    user: Any,
) -> list[CountedRecord]:
    """Exactly the records the figure of `kpi` counted for `user` (its denominator), each
    with whether it met the definition and the facts that decided it."""
    spec = SPECS[_keys([kpi])[0]]
    c = _context(period)
    rows = _rows(
        spec.model,
        [period],
        program_ids=program_ids,
        audiences=_audiences(user),
        base=_visible(spec.model, user),
        minutes=spec.kpi == Kpi.MINUTES_ON_TIME,
    ).filter(spec.base(c))
    if spec.met is not None:
        rows = rows.annotate(kpi_met=ExpressionWrapper(spec.met(c), output_field=BooleanField()))
    if spec.measure is not None:
        rows = rows.annotate(kpi_measure=spec.measure())
    rows = rows.select_related("program").order_by(*spec.order)
    return [_DESCRIBE[spec.model](row, spec) for row in _prepared(rows, spec)]


def _prepared(rows: models.QuerySet[Any], spec: _Spec) -> models.QuerySet[Any]:
    if spec.model is Batch:
        live = Deviation.objects.filter(status__in=_LIVE_DEVIATION_STATUSES).order_by("reference")
        return rows.prefetch_related(Prefetch("deviations", queryset=live, to_attr="live_devs"))
    if spec.kpi == Kpi.MINUTES_ON_TIME:
        return rows.annotate(shared_at=F("minutes_shared_at"), due=F("minutes_due"))
    if spec.model is ActionItem:
        return rows.annotate(closed_on=F("completed_on"))
    if spec.model is Escalation:
        return rows.annotate(was_moved=F("moved_up"), first_answer=F("answered_at"))
    if spec.model is Comment:
        return rows.select_related("author")
    return rows


def _measure(row: Any, spec: _Spec) -> Decimal | None:
    if spec.measure is None or row.kpi_measure is None:
        return None
    seconds = Decimal(repr(float(row.kpi_measure)))
    return _quantized(seconds / spec.seconds_per_unit, kpi_catalogue.definition(spec.kpi).unit)


def _day(value: datetime.date | None) -> str:
    return f"{value:%Y-%m-%d}" if value else "—"


def _moment(value: datetime.datetime | None) -> str:
    if value is None:
        return "—"
    return f"{value.astimezone(clock.site_zone()):%Y-%m-%d %H:%M} (site)"


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _batch(row: Batch, spec: _Spec) -> CountedRecord:
    live = [d.reference for d in getattr(row, "live_devs", [])]
    facts = [
        ("Planned release", _day(row.planned_release)),
        ("Actual release", _day(row.actual_release)),
        ("Disposition", row.get_disposition_display()),
    ]
    if spec.kpi == Kpi.OTIF:
        committed = f"{row.quantity_committed} {row.quantity_unit}"
        delivered = (
            f"{row.quantity_delivered} {row.quantity_unit}"
            if row.quantity_delivered is not None
            else "—"
        )
        facts += [("Committed", committed), ("Delivered", delivered)]
    if spec.kpi in (Kpi.RIGHT_FIRST_TIME, Kpi.DEVIATIONS_PER_BATCH):
        facts += [
            ("Reworked", "yes" if row.reworked else "no"),
            ("Deviations", ", ".join(live) or "none"),
        ]
    met = getattr(row, "kpi_met", None)
    measure = Decimal(len(live)) if spec.kpi == Kpi.DEVIATIONS_PER_BATCH else None
    return CountedRecord(
        kind="batch",
        reference=row.lot_number,
        title=row.product or f"Lot {row.lot_number}",
        url=_url("batch-detail", row.program.code, row.lot_number)
        or reverse("program-detail", args=[row.program.code]),
        met=met,
        measure=measure,
        facts=tuple(facts),
        program_code=row.program.code,
    )


def _deviation(row: Deviation, spec: _Spec) -> CountedRecord:
    facts = [("Class", row.get_classification_display()), ("Aware", _moment(row.aware_at))]
    if spec.kpi == Kpi.NOTIFIED_IN_WINDOW:
        facts.append(("Notification due", _moment(row.notification_due)))
    facts.append(("Sponsor notified", _moment(row.sponsor_notified_at)))
    if spec.kpi == Kpi.TIME_TO_ACKNOWLEDGE:
        facts.append(("Acknowledged", _moment(row.sponsor_acknowledged_at)))
    return CountedRecord(
        kind="deviation",
        reference=row.reference,
        title=row.title,
        url=reverse("deviation-detail", args=[row.reference]),
        met=getattr(row, "kpi_met", None),
        measure=_measure(row, spec),
        facts=tuple(facts),
        program_code=row.program.code,
    )


def _milestone(row: Milestone, spec: _Spec) -> CountedRecord:
    return CountedRecord(
        kind="milestone",
        reference=row.name,
        title=row.name,
        url=reverse("milestone-detail", args=[row.program.code, row.pk]),
        met=row.kpi_met,  # type: ignore[attr-defined]
        measure=None,
        facts=(("Baseline", _day(row.baseline_date)), ("Achieved", _day(row.actual_date))),
        program_code=row.program.code,
    )


def _meeting(row: Meeting, spec: _Spec) -> CountedRecord:
    facts = [("Scheduled", _moment(row.starts_at)), ("Status", row.get_status_display())]
    if spec.kpi == Kpi.MINUTES_ON_TIME:
        facts += [
            ("Minutes due", _moment(row.due)),  # type: ignore[attr-defined]
            ("Minutes shared", _moment(row.shared_at)),  # type: ignore[attr-defined]
        ]
    return CountedRecord(
        kind="meeting",
        reference=f"{row.local_start:%Y-%m-%d %H:%M}",
        title=row.title,
        url=reverse("meeting-detail", args=[row.program.code, row.pk]),
        met=row.kpi_met,  # type: ignore[attr-defined]
        measure=None,
        facts=tuple(facts),
        program_code=row.program.code,
    )


def _action(row: ActionItem, spec: _Spec) -> CountedRecord:
    return CountedRecord(
        kind="action item",
        reference=f"#{row.pk}",
        title=row.title,
        url=reverse("action-list", args=[row.program.code]) + f"#action-{row.pk}",
        met=row.kpi_met,  # type: ignore[attr-defined]
        measure=None,
        facts=(
            ("Due", _day(row.due_date)),
            ("Closed", _day(row.closed_on)),  # type: ignore[attr-defined]
            ("Status", row.get_status_display()),
        ),
        program_code=row.program.code,
    )


def _question(row: Comment, spec: _Spec) -> CountedRecord:
    from comms.services.conversations import comment_thread_url

    return CountedRecord(
        kind="question",
        reference=f"#{row.pk}",
        title=" ".join(row.body.split())[:140],
        url=comment_thread_url(row),
        met=None,
        measure=_measure(row, spec),
        facts=(
            ("Asked by", row.author.display_name),
            ("Asked", _moment(row.created_at)),
            ("Answered", _moment(row.answered_at)),
        ),
        program_code=row.program.code,
    )


def _change_order(row: ChangeOrder, spec: _Spec) -> CountedRecord:
    return CountedRecord(
        kind="change order",
        reference=row.reference,
        title=row.title,
        url=reverse("change-order-detail", args=[row.program.code, row.reference]),
        met=None,
        measure=_measure(row, spec),
        facts=(
            ("Proposed", _moment(row.proposed_at)),
            ("Decided", _moment(row.decided_at)),
            ("Decision", row.get_status_display()),
        ),
        program_code=row.program.code,
    )


def _escalation(row: Escalation, spec: _Spec) -> CountedRecord:
    return CountedRecord(
        kind="escalation",
        reference=row.reference,
        title=row.title,
        url=row.url or reverse("program-escalations", args=[row.program.code]),
        met=row.kpi_met,  # type: ignore[attr-defined]
        measure=None,
        facts=(
            ("Raised", _moment(row.raised_at)),
            ("First window closed", _moment(row.due_at) if not row.was_moved else "moved up"),  # type: ignore[attr-defined]
            ("Answered", _moment(row.first_answer)),  # type: ignore[attr-defined]
            ("Resolved", _moment(row.resolved_at)),
        ),
        program_code=row.program.code,
    )


_DESCRIBE: dict[type[models.Model], Callable[[Any, _Spec], CountedRecord]] = {
    Batch: _batch,
    Deviation: _deviation,
    Milestone: _milestone,
    Meeting: _meeting,
    ActionItem: _action,
    Comment: _question,
    ChangeOrder: _change_order,
    Escalation: _escalation,
}
