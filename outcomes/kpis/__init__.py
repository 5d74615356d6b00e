"""The outcome KPIs, computed from the records in the database.

Each KPI of `programs.kpi_catalogue` is one `Spec` here: the model it counts, which rows it
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

This module aggregates; `specs` says what each KPI counts, `records` lists what a figure
counted, `sql` holds the database pieces.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.db import models
from django.db.models import Count, Q

from outcomes.kpis.records import CountedRecord, counted_records
from outcomes.kpis.specs import (
    LIVE_DEVIATION_STATUSES,
    SPECS,
    Context,
    Spec,
    audiences_for,
    context_for,
    keys_of,
    quantized,
    rows_for,
)
from outcomes.kpis.sql import Median, on_postgresql
from outcomes.periods import Period
from programs import kpi_catalogue
from programs.kpi_catalogue import Kpi, KpiDefinition, Unit
from programs.models import Batch


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


__all__ = [
    "SPECS",
    "CountedRecord",
    "KpiStatus",
    "KpiValue",
    "counted_records",
    "kpi_trend",
    "kpis_for",
    "kpis_overall",
    "status_against",
]


# --- Aggregation ----------------------------------------------------------------------------


@dataclass
class _Tally:
    counted: int = 0
    met: int = 0
    measures: list[float] = field(default_factory=list)
    median: float | None = None


_Column = tuple[str, Spec, Context]  # (name, spec, context)


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


def _aggregates(name: str, spec: Spec, c: Context) -> dict[str, Any]:
    base = spec.base(c)
    # Batches are joined to their deviations (deviations per batch): count each batch once.
    distinct = spec.model is Batch
    out: dict[str, Any] = {f"{name}_n": Count("pk", filter=base, distinct=distinct)}
    if spec.kpi == Kpi.DEVIATIONS_PER_BATCH:
        out[f"{name}_m"] = Count(
            "deviations",
            filter=base & Q(deviations__status__in=LIVE_DEVIATION_STATUSES),
            distinct=True,
        )
    elif spec.met is not None:
        out[f"{name}_m"] = Count("pk", filter=base & spec.met(c), distinct=distinct)
    if spec.measure is not None and on_postgresql():
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
        rows = rows_for(
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
        if not on_postgresql():
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


def _value(spec: Spec, tally: _Tally) -> KpiValue:
    unit = kpi_catalogue.definition(spec.kpi).unit
    if spec.measure is not None:
        value = None
        if tally.counted and tally.median is not None:
            seconds = Decimal(repr(tally.median))
            value = quantized(seconds / spec.seconds_per_unit, unit)
        return KpiValue(spec.kpi, value, None, tally.counted, unit)
    if not tally.counted:
        return KpiValue(spec.kpi, None, 0, 0, unit)
    ratio = Decimal(tally.met) / Decimal(tally.counted)
    if unit == Unit.PERCENT:
        ratio *= 100
    return KpiValue(spec.kpi, quantized(ratio, unit), tally.met, tally.counted, unit)


def _tally_kpis(
    keys: Sequence[str],
    program_ids: Sequence[int],
    period: Period,
    user: Any,
    *,
    by_program: bool,
) -> dict[int | None, dict[str, _Tally]]:
    """The tallies of each KPI asked for (columns named by their KPI), in one period."""
    c = context_for(period)
    columns = [(key, SPECS[key], c) for key in keys]
    return _tally(
        columns, program_ids=program_ids, audiences=audiences_for(user), by_program=by_program
    )


def _values(keys: Sequence[str], tallies: dict[str, _Tally]) -> dict[str, KpiValue]:
    """Every KPI asked for, in that order; one without a tally had nothing to count."""
    return {key: _value(SPECS[key], tallies[key]) for key in keys}


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
    keys = keys_of(kpis)
    tallies = _tally_kpis(keys, program_ids, period, user, by_program=True)
    return {program_id: _values(keys, tallies[program_id]) for program_id in program_ids}


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
    keys = keys_of(kpis)
    return _values(keys, _tally_kpis(keys, program_ids, period, user, by_program=False)[None])


def kpi_trend(
    *,
    program_ids: Sequence[int],
    kpi: str,
    periods: Sequence[Period],
    user: Any = None,
) -> list[KpiValue]:
    """One KPI over consecutive periods (oldest first), over all of `program_ids`, in one
    query whatever the number of periods."""
    spec = SPECS[keys_of([kpi])[0]]
    columns = [(f"p{i}", spec, context_for(period)) for i, period in enumerate(periods)]
    tallies = _tally(
        columns, program_ids=program_ids, audiences=audiences_for(user), by_program=False
    )
    return [_value(spec, tallies[None][name]) for name, _, _ in columns]
