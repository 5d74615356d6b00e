"""The outcome KPIs the partnership is measured by: their keys, units and definitions.

One list, read by every place that shows or stores a KPI (the kick-off's targets, the
scorecard, reports, the API), so that a figure always carries the same words next to it.
The figures themselves are computed by `outcomes.kpis` from the records, in the database.

Periods are site-local days (`portal.clock.site_zone`): a batch released on the planned day is
on time wherever the reader sits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models


class Kpi(models.TextChoices):
    ON_TIME_RELEASE = "on_time_release", "On-time batch release"
    RIGHT_FIRST_TIME = "right_first_time", "Right first time"
    OTIF = "otif", "On time, in full (OTIF)"
    DEVIATIONS_PER_BATCH = "deviations_per_batch", "Deviations per batch"
    TIME_TO_NOTIFY = "time_to_notify", "Median time to notify"
    NOTIFIED_IN_WINDOW = "notified_in_window", "Deviations notified within the window"
    TIME_TO_ACKNOWLEDGE = "time_to_acknowledge", "Median time to acknowledge"
    MILESTONES_ON_TIME = "milestones_on_time", "Milestones on time"
    CADENCE_ADHERENCE = "cadence_adherence", "Cadence adherence"
    MINUTES_ON_TIME = "minutes_on_time", "Minutes shared within 2 business days"
    ACTIONS_ON_TIME = "actions_on_time", "Action items closed on time"
    TIME_TO_ANSWER = "time_to_answer", "Median time to answer sponsor questions"
    CHANGE_ORDER_TURNAROUND = "change_order_turnaround", "Change-order turnaround"
    ESCALATIONS_IN_WINDOW = "escalations_in_window", "Escalations resolved within their window"


class Unit(models.TextChoices):
    PERCENT = "percent", "%"
    HOURS = "hours", "hours"
    DAYS = "days", "days"
    PER_BATCH = "per_batch", "per batch"


# The largest target that still means something, per unit (a year of hours, ten years of days).
_UNIT_LIMITS = {
    Unit.PERCENT: Decimal(100),
    Unit.HOURS: Decimal(8760),
    Unit.DAYS: Decimal(3650),
    Unit.PER_BATCH: Decimal(100),
}


def unit_limit(unit: str) -> Decimal:
    return _UNIT_LIMITS[Unit(unit)]


TARGET_OUT_OF_RANGE = "A target for {name} must be between 0 and {limit} {unit}."


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    name: str
    unit: str
    higher_is_better: bool
    definition: str  # shown next to every figure
    headline: bool = False  # in the API's status answer

    def target_problem(self, target: Decimal) -> str:
        """The message for a target this KPI cannot have, or an empty string."""
        limit = _UNIT_LIMITS[Unit(self.unit)]
        if Decimal(0) <= target <= limit:
            return ""
        return TARGET_OUT_OF_RANGE.format(name=self.name, limit=limit, unit=Unit(self.unit).label)

    @property
    def unit_label(self) -> str:
        return str(Unit(self.unit).label)

    def meets(self, value: Decimal, target: Decimal) -> bool:
        return value >= target if self.higher_is_better else value <= target


CATALOGUE: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        Kpi.ON_TIME_RELEASE,
        Kpi.ON_TIME_RELEASE.label,
        Unit.PERCENT,
        True,
        "Of the batches released in the period, the share released on or before the planned "
        "release day (site calendar).",
        headline=True,
    ),
    KpiDefinition(
        Kpi.RIGHT_FIRST_TIME,
        Kpi.RIGHT_FIRST_TIME.label,
        Unit.PERCENT,
        True,
        "Of the batches given a disposition (released or rejected) in the period, the share "
        "released without rework and with no deviation linked (cancelled deviations aside).",
        headline=True,
    ),
    KpiDefinition(
        Kpi.OTIF,
        Kpi.OTIF.label,
        Unit.PERCENT,
        True,
        "Of the batches released in the period, the share released on or before the planned "
        "day with at least the committed quantity delivered.",
        headline=True,
    ),
    KpiDefinition(
        Kpi.DEVIATIONS_PER_BATCH,
        Kpi.DEVIATIONS_PER_BATCH.label,
        Unit.PER_BATCH,
        False,
        "Deviations (cancelled ones aside) linked to the batches given a disposition in the "
        "period, divided by the number of those batches; a deviation linked to two of them "
        "counts once.",
    ),
    KpiDefinition(
        Kpi.TIME_TO_NOTIFY,
        Kpi.TIME_TO_NOTIFY.label,
        Unit.HOURS,
        False,
        "Median time from awareness to the sponsor being notified, over the deviations the "
        "sponsor was notified of in the period (cancelled ones aside).",
    ),
    KpiDefinition(
        Kpi.NOTIFIED_IN_WINDOW,
        Kpi.NOTIFIED_IN_WINDOW.label,
        Unit.PERCENT,
        True,
        "Of the deviations whose notification fell due in the period (cancelled ones aside), "
        "the share notified to the sponsor by the due time of the quality agreement in force; "
        "one not yet due counts once it is notified.",
        headline=True,
    ),
    KpiDefinition(
        Kpi.TIME_TO_ACKNOWLEDGE,
        Kpi.TIME_TO_ACKNOWLEDGE.label,
        Unit.HOURS,
        False,
        "Median time from the sponsor being notified to the sponsor's acknowledgement, over "
        "the deviations acknowledged in the period (cancelled ones aside).",
    ),
    KpiDefinition(
        Kpi.MILESTONES_ON_TIME,
        Kpi.MILESTONES_ON_TIME.label,
        Unit.PERCENT,
        True,
        "Of the milestones achieved in the period, the share achieved on or before their "
        "baseline date.",
        headline=True,
    ),
    KpiDefinition(
        Kpi.CADENCE_ADHERENCE,
        Kpi.CADENCE_ADHERENCE.label,
        Unit.PERCENT,
        True,
        "Of the cadence meetings scheduled to start in the period (up to now), the share "
        "held (written up); a cancelled meeting counts as not held.",
    ),
    KpiDefinition(
        Kpi.MINUTES_ON_TIME,
        Kpi.MINUTES_ON_TIME.label,
        Unit.PERCENT,
        True,
        "Of the meetings held in the period, the share whose minutes were shared with the "
        "sponsor by the end of the 2nd business day after the meeting's day (site calendar); "
        "a meeting still within that window counts once its minutes are shared.",
    ),
    KpiDefinition(
        Kpi.ACTIONS_ON_TIME,
        Kpi.ACTIONS_ON_TIME.label,
        Unit.PERCENT,
        True,
        "Of the action items due in the period (cancelled ones aside), the share closed on "
        "or before their due date (site calendar); one still open counts from the day after "
        "its due date.",
    ),
    KpiDefinition(
        Kpi.TIME_TO_ANSWER,
        Kpi.TIME_TO_ANSWER.label,
        Unit.HOURS,
        False,
        "Median time from a sponsor's question to the CDMO's answer, over the questions "
        "answered in the period.",
    ),
    KpiDefinition(
        Kpi.CHANGE_ORDER_TURNAROUND,
        Kpi.CHANGE_ORDER_TURNAROUND.label,
        Unit.DAYS,
        False,
        "Median time from a change order being proposed to the sponsor's decision, over the "
        "change orders approved or rejected in the period.",
    ),
    KpiDefinition(
        Kpi.ESCALATIONS_IN_WINDOW,
        Kpi.ESCALATIONS_IN_WINDOW.label,
        Unit.PERCENT,
        True,
        "Of the escalations resolved in the period, the share answered (acknowledged or "
        "resolved) at the level where they were raised within that level's response window, "
        "so never moved up; a level without a window (the path's top) counts as in time.",
    ),
)

_BY_KEY = {definition.key: definition for definition in CATALOGUE}


def definition(key: str) -> KpiDefinition:
    """The definition of `key`; a KeyError names an unknown KPI."""
    return _BY_KEY[key]


def headline() -> tuple[KpiDefinition, ...]:
    return tuple(d for d in CATALOGUE if d.headline)
