"""The drill-down: exactly the records a KPI counted, with the facts that decided each."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Prefetch,
)
from django.urls import NoReverseMatch, reverse

from comms.models import Comment
from deviations.models import Deviation
from governance.models import ActionItem, Escalation, Meeting
from outcomes.kpis.specs import (
    LIVE_DEVIATION_STATUSES,
    SPECS,
    Spec,
    audiences_for,
    context_for,
    keys_of,
    quantized,
    rows_for,
)
from outcomes.periods import Period
from portal import clock
from programs import kpi_catalogue
from programs.kpi_catalogue import Kpi
from programs.models import Batch, ChangeOrder, Milestone


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
    spec = SPECS[keys_of([kpi])[0]]
    c = context_for(period)
    rows = rows_for(
        spec.model,
        [period],
        program_ids=program_ids,
        audiences=audiences_for(user),
        base=_visible(spec.model, user),
        minutes=spec.kpi == Kpi.MINUTES_ON_TIME,
    ).filter(spec.base(c))
    if spec.met is not None:
        rows = rows.annotate(kpi_met=ExpressionWrapper(spec.met(c), output_field=BooleanField()))
    if spec.measure is not None:
        rows = rows.annotate(kpi_measure=spec.measure())
    rows = rows.select_related("program").order_by(*spec.order)
    return [_DESCRIBE[spec.model](row, spec) for row in _prepared(rows, spec)]


def _prepared(rows: models.QuerySet[Any], spec: Spec) -> models.QuerySet[Any]:
    if spec.model is Batch:
        live = Deviation.objects.filter(status__in=LIVE_DEVIATION_STATUSES).order_by("reference")
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


def _measure(row: Any, spec: Spec) -> Decimal | None:
    if spec.measure is None or row.kpi_measure is None:
        return None
    seconds = Decimal(repr(float(row.kpi_measure)))
    return quantized(seconds / spec.seconds_per_unit, kpi_catalogue.definition(spec.kpi).unit)


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


def _batch(row: Batch, spec: Spec) -> CountedRecord:
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
        # The batch's own page (programs' `batch-detail`, by program code and lot number), or
        # the program's page where that page does not exist.
        url=_url("batch-detail", row.program.code, row.lot_number)
        or reverse("program-detail", args=[row.program.code]),
        met=met,
        measure=measure,
        facts=tuple(facts),
        program_code=row.program.code,
    )


def _deviation(row: Deviation, spec: Spec) -> CountedRecord:
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


def _milestone(row: Milestone, spec: Spec) -> CountedRecord:
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


def _meeting(row: Meeting, spec: Spec) -> CountedRecord:
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


def _action(row: ActionItem, spec: Spec) -> CountedRecord:
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


def _question(row: Comment, spec: Spec) -> CountedRecord:
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


def _change_order(row: ChangeOrder, spec: Spec) -> CountedRecord:
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


def _escalation(row: Escalation, spec: Spec) -> CountedRecord:
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


_DESCRIBE: dict[type[models.Model], Callable[[Any, Spec], CountedRecord]] = {
    Batch: _batch,
    Deviation: _deviation,
    Milestone: _milestone,
    Meeting: _meeting,
    ActionItem: _action,
    Comment: _question,
    ChangeOrder: _change_order,
    Escalation: _escalation,
}
