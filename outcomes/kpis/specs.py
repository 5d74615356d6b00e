"""What each KPI counts: one spec per KPI of `programs.kpi_catalogue` (the model, the
column that places a row in a period, which rows are counted, which met the definition or
what is measured), and the rows they read."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from comms.models import Comment
from deviations.models import Deviation
from governance.models import ActionItem, Escalation, EscalationStep, Meeting
from outcomes.kpis.sql import SecondsBetween, minutes_due, minutes_shared_at
from outcomes.periods import Period
from portal import access, clock
from portal.access import Audience
from programs import kpi_catalogue
from programs.kpi_catalogue import Kpi, Unit
from programs.models import Batch, ChangeOrder, Milestone

HOUR = Decimal(3600)
DAY = Decimal(86400)
_ONE_DECIMAL = Decimal("0.1")
_TWO_DECIMALS = Decimal("0.01")


@dataclass(frozen=True)
class Context:
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


def context_for(period: Period) -> Context:
    return Context(period=period, now=timezone.now(), today=clock.site_today())


_NOT_CANCELLED = ~Q(status=Deviation.Status.CANCELLED)
LIVE_DEVIATION_STATUSES = [s for s in Deviation.Status.values if s != Deviation.Status.CANCELLED]


def _linked_deviation() -> Exists:
    through = Deviation.batches.through
    return Exists(
        through.objects.filter(batch_id=OuterRef("pk")).exclude(
            deviation__status=Deviation.Status.CANCELLED
        )
    )


def _released_in(c: Context) -> Q:
    return Q(disposition=Batch.Disposition.RELEASED) & c.days("actual_release")


def _decided_in(c: Context) -> Q:
    return Q(disposition__in=Batch.DECIDED) & c.days("actual_release")


_ON_TIME = Q(actual_release__lte=F("planned_release"))


@dataclass(frozen=True)
class Spec:
    kpi: str
    model: type[models.Model]
    column: str  # the date or timestamp column that places a row in a period
    base: Callable[[Context], Q]  # includes the period on `column`
    met: Callable[[Context], Any] | None = None  # a Q or a boolean expression
    measure: Callable[[], Any] | None = None  # seconds
    seconds_per_unit: Decimal = HOUR
    order: tuple[str, ...] = ("pk",)


SPECS: dict[str, Spec] = {
    spec.kpi: spec
    for spec in (
        Spec(
            Kpi.ON_TIME_RELEASE,
            Batch,
            "actual_release",
            base=_released_in,
            met=lambda c: _ON_TIME,
            order=("actual_release", "lot_number"),
        ),
        Spec(
            Kpi.RIGHT_FIRST_TIME,
            Batch,
            "actual_release",
            base=_decided_in,
            met=lambda c: (
                Q(disposition=Batch.Disposition.RELEASED, reworked=False) & ~_linked_deviation()
            ),
            order=("actual_release", "lot_number"),
        ),
        Spec(
            Kpi.OTIF,
            Batch,
            "actual_release",
            base=_released_in,
            met=lambda c: _ON_TIME & Q(quantity_delivered__gte=F("quantity_committed")),
            order=("actual_release", "lot_number"),
        ),
        Spec(
            Kpi.DEVIATIONS_PER_BATCH,
            Batch,
            "actual_release",
            base=_decided_in,
            order=("actual_release", "lot_number"),
        ),
        Spec(
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
        Spec(
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
        Spec(
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
        Spec(
            Kpi.MILESTONES_ON_TIME,
            Milestone,
            "actual_date",
            base=lambda c: c.days("actual_date"),
            met=lambda c: Q(actual_date__lte=F("baseline_date")),
            order=("actual_date", "pk"),
        ),
        Spec(
            Kpi.CADENCE_ADHERENCE,
            Meeting,
            "starts_at",
            base=lambda c: (
                Q(schedule__isnull=False) & Q(starts_at__gte=c.lo, starts_at__lt=min(c.hi, c.now))
            ),
            met=lambda c: Q(status=Meeting.Status.HELD),
            order=("starts_at", "pk"),
        ),
        Spec(
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
        Spec(
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
        Spec(
            Kpi.TIME_TO_ANSWER,
            Comment,
            "answered_at",
            base=lambda c: (
                Q(is_question=True) & c.moments("answered_at") & Q(answer_seconds__isnull=False)
            ),
            measure=lambda: F("answer_seconds"),
            order=("answered_at", "pk"),
        ),
        Spec(
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
            seconds_per_unit=DAY,
            order=("decided_at", "pk"),
        ),
        Spec(
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


def rows_for(
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
    if model in (ActionItem, Escalation, Comment):  # questions are always shared, by constraint
        rows = rows.filter(audience__in=sorted(audiences))
    if model is Meeting and minutes:
        rows = _add(
            rows,
            selected,
            minutes_shared_at=minutes_shared_at(),
            minutes_due=minutes_due(periods),
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


def audiences_for(user: Any) -> frozenset[str]:
    """What a figure for `user` may count: everything for the CDMO, shared records for a
    sponsor's reader and for nobody in particular (fail closed)."""
    who = access.viewer(user)
    if who is None:
        return frozenset({Audience.SPONSOR.value})
    return access.audiences(who)


def quantized(value: Decimal, unit: str) -> Decimal:
    places = _TWO_DECIMALS if unit == Unit.PER_BATCH else _ONE_DECIMAL
    return value.quantize(places, rounding=ROUND_HALF_UP)


def keys_of(kpis: Iterable[str] | None) -> list[str]:
    """The KPIs asked for (all by default); a KeyError names an unknown one."""
    keys = list(Kpi.values) if kpis is None else list(kpis)
    for key in keys:
        kpi_catalogue.definition(key)
    return keys
