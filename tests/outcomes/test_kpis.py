"""Each KPI's definition on hand-built records (outcomes.kpis), with its edge cases."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings

from deviations.models import Deviation
from governance.models import ActionItem, Meeting
from outcomes import kpis
from outcomes.periods import PeriodKind, ending
from portal.access import Audience
from programs.kpi_catalogue import Kpi
from programs.models import Batch, ChangeOrder
from tests.outcomes import kpi_data as make

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
NOV = ending(PeriodKind.MONTH, datetime.date(2026, 11, 1))
OCT = ending(PeriodKind.MONTH, datetime.date(2026, 10, 1))
DEC = ending(PeriodKind.MONTH, datetime.date(2026, 12, 1))
D = datetime.date

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def figure(world, kpi, period=NOV, user=None):
    return kpis.kpis_for(program_ids=[world.program.pk], period=period, kpis=[kpi], user=user)[
        world.program.pk
    ][kpi]


def test_a_program_without_batches_has_no_figure_not_zero(world):
    values = kpis.kpis_for(program_ids=[world.program.pk], period=NOV)[world.program.pk]
    assert set(values) == set(Kpi.values)
    for value in values.values():
        assert value.value is None
        assert value.denominator == 0


def test_on_time_release_counts_released_batches_on_or_before_the_planned_day(world):
    make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10))  # on the day
    make.batch(world.program, planned=D(2026, 11, 12), released=D(2026, 11, 8))  # early
    make.batch(world.program, planned=D(2026, 11, 5), released=D(2026, 11, 6))  # one day late
    make.batch(
        world.program,
        planned=D(2026, 11, 5),
        released=D(2026, 11, 20),
        disposition=Batch.Disposition.REJECTED,
    )
    make.batch(world.program, planned=D(2026, 11, 5), released=D(2026, 10, 31))  # October
    make.batch(world.program, planned=D(2026, 11, 5), disposition=Batch.Disposition.PENDING)

    value = figure(world, Kpi.ON_TIME_RELEASE)

    assert (value.numerator, value.denominator, value.value) == (2, 3, Decimal("66.7"))
    assert value.unit == "percent"
    assert value.definition.key == Kpi.ON_TIME_RELEASE


@override_settings(SITE_TIME_ZONE="Asia/Singapore")
def test_a_release_on_the_planned_site_day_is_on_time_though_utc_is_a_day_behind(world):
    # QA releases at 07:00 in Singapore on the planned day: still the day before in UTC.
    released_at = make.at(D(2026, 11, 10), hour=7)
    assert released_at.astimezone(datetime.UTC).date() == D(2026, 11, 9)
    lot = make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10))
    Batch.objects.filter(pk=lot.pk).update(disposition_at=released_at)

    value = figure(world, Kpi.ON_TIME_RELEASE)

    assert (value.numerator, value.denominator) == (1, 1)


def test_otif_needs_on_time_and_the_committed_quantity(world):
    make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10))
    make.batch(  # partial delivery: on time, not in full
        world.program,
        planned=D(2026, 11, 10),
        released=D(2026, 11, 9),
        committed="100",
        delivered="99.5",
    )
    make.batch(  # nothing recorded as delivered
        world.program, planned=D(2026, 11, 10), released=D(2026, 11, 9), delivered=None
    )
    make.batch(world.program, planned=D(2026, 11, 3), released=D(2026, 11, 9))  # late, in full

    value = figure(world, Kpi.OTIF)

    assert (value.numerator, value.denominator, value.value) == (1, 4, Decimal("25.0"))
    assert figure(world, Kpi.ON_TIME_RELEASE).numerator == 3


def test_right_first_time_excludes_rework_rejection_and_linked_deviations(world):
    clean = make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10))
    make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10), reworked=True)
    make.batch(
        world.program,
        planned=D(2026, 11, 10),
        released=D(2026, 11, 11),
        disposition=Batch.Disposition.REJECTED,
    )
    deviated = make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 12))
    cancelled_only = make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 12))
    aware = make.at(D(2026, 11, 2))
    make.deviation(world.program, world.pm, aware=aware, batches=(deviated,))
    make.deviation(
        world.program,
        world.pm,
        aware=aware,
        status=Deviation.Status.CANCELLED,
        batches=(cancelled_only,),
    )

    value = figure(world, Kpi.RIGHT_FIRST_TIME)

    assert (value.numerator, value.denominator, value.value) == (2, 5, Decimal("40.0"))
    met = {r.reference for r in _records(world, Kpi.RIGHT_FIRST_TIME) if r.met}
    assert met == {clean.lot_number, cancelled_only.lot_number}


def test_a_deviation_linked_to_two_batches_counts_once_in_deviations_per_batch(world):
    first = make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10))
    second = make.batch(world.program, planned=D(2026, 11, 11), released=D(2026, 11, 11))
    make.batch(world.program, planned=D(2026, 11, 12), released=D(2026, 11, 12))
    aware = make.at(D(2026, 11, 2))
    make.deviation(world.program, world.pm, aware=aware, batches=(first, second))
    make.deviation(world.program, world.pm, aware=aware, batches=(second,))
    make.deviation(
        world.program, world.pm, aware=aware, status=Deviation.Status.CANCELLED, batches=(first,)
    )

    value = figure(world, Kpi.DEVIATIONS_PER_BATCH)

    # Two deviations (the cancelled one aside) over three batches.
    assert (value.numerator, value.denominator, value.value) == (2, 3, Decimal("0.67"))
    overall = kpis.kpis_overall(program_ids=[world.program.pk, world.program_b.pk], period=NOV)[
        Kpi.DEVIATIONS_PER_BATCH
    ]
    assert (overall.numerator, overall.denominator) == (2, 3)


def test_time_to_notify_is_the_median_over_deviations_notified_in_the_period(world):
    aware = make.at(D(2026, 11, 2), hour=8)
    for hours in (2, 4, 10, 30):
        make.deviation(
            world.program,
            world.pm,
            aware=aware,
            notified=aware + datetime.timedelta(hours=hours),
        )
    make.deviation(  # cancelled: ignored
        world.program,
        world.pm,
        aware=aware,
        notified=aware + datetime.timedelta(hours=100),
        status=Deviation.Status.CANCELLED,
    )
    make.deviation(world.program, world.pm, aware=aware)  # not notified: nothing to measure

    value = figure(world, Kpi.TIME_TO_NOTIFY)

    assert (value.value, value.numerator, value.denominator) == (Decimal("7.0"), None, 4)
    assert value.unit == "hours"


def test_notified_in_window_counts_deviations_that_fell_due_in_the_period(world):
    aware = make.at(D(2026, 11, 2), hour=8)
    make.deviation(  # in time
        world.program, world.pm, aware=aware, notified=aware + datetime.timedelta(hours=5)
    )
    make.deviation(  # exactly at the due time: in time
        world.program, world.pm, aware=aware, notified=aware + datetime.timedelta(hours=24)
    )
    make.deviation(  # late
        world.program, world.pm, aware=aware, notified=aware + datetime.timedelta(hours=25)
    )
    make.deviation(world.program, world.pm, aware=aware)  # never notified: missed
    make.deviation(world.program, world.pm, aware=aware, status=Deviation.Status.CANCELLED)
    # Due in December (not yet due): not counted in December either until it is notified.
    make.deviation(world.program, world.pm, aware=NOW - datetime.timedelta(hours=1))

    value = figure(world, Kpi.NOTIFIED_IN_WINDOW)

    assert (value.numerator, value.denominator, value.value) == (2, 4, Decimal("50.0"))
    assert figure(world, Kpi.NOTIFIED_IN_WINDOW, period=DEC).denominator == 0


def test_time_to_acknowledge_is_the_median_over_deviations_acknowledged_in_the_period(world):
    aware = make.at(D(2026, 11, 2), hour=8)
    notified = aware + datetime.timedelta(hours=1)
    for hours in (1, 3, 8):
        make.deviation(
            world.program,
            world.pm,
            aware=aware,
            notified=notified,
            acknowledged=notified + datetime.timedelta(hours=hours),
        )
    make.deviation(world.program, world.pm, aware=aware, notified=notified)

    value = figure(world, Kpi.TIME_TO_ACKNOWLEDGE)

    assert (value.value, value.denominator) == (Decimal("3.0"), 3)


def test_milestones_on_time_compares_the_actual_with_the_baseline_date(world):
    make.milestone(world.program, baseline=D(2026, 11, 10), actual=D(2026, 11, 10))
    make.milestone(world.program, baseline=D(2026, 11, 10), actual=D(2026, 11, 11))
    make.milestone(world.program, baseline=D(2026, 12, 10), actual=D(2026, 11, 30))
    make.milestone(world.program, baseline=D(2026, 11, 10), actual=None)
    make.milestone(world.program, baseline=D(2026, 10, 10), actual=D(2026, 10, 10))

    value = figure(world, Kpi.MILESTONES_ON_TIME)

    assert (value.numerator, value.denominator) == (2, 3)


def test_cadence_adherence_counts_cadence_meetings_up_to_now(world):
    schedule = make.cadence(world.program)
    make.meeting(world.program, starts=make.at(D(2026, 12, 1)), schedule=schedule)
    make.meeting(
        world.program,
        starts=make.at(D(2026, 12, 2)),
        schedule=schedule,
        status=Meeting.Status.CANCELLED,
    )
    make.meeting(  # started, not written up (yet): not held
        world.program,
        starts=make.at(D(2026, 12, 3)),
        schedule=schedule,
        status=Meeting.Status.SCHEDULED,
    )
    make.meeting(  # later today: not counted yet
        world.program,
        starts=NOW + datetime.timedelta(hours=2),
        schedule=schedule,
        status=Meeting.Status.SCHEDULED,
    )
    make.meeting(world.program, starts=make.at(D(2026, 12, 1), hour=15))  # ad hoc: no cadence

    value = figure(world, Kpi.CADENCE_ADHERENCE, period=DEC)

    assert (value.numerator, value.denominator) == (1, 3)


def test_minutes_on_time_means_shared_within_two_business_days(world):
    # Friday 6 November: due at the end of Tuesday 10 November (site calendar).
    friday = make.meeting(world.program, starts=make.at(D(2026, 11, 6), hour=15))
    make.share_minutes(friday, world.pm, make.at(D(2026, 11, 10), hour=23, minute=59))
    late = make.meeting(world.program, starts=make.at(D(2026, 11, 6), hour=16))
    make.share_minutes(late, world.pm, make.at(D(2026, 11, 11), hour=0, minute=1))
    make.meeting(world.program, starts=make.at(D(2026, 11, 12)))  # never shared
    make.meeting(  # cancelled: not held
        world.program, starts=make.at(D(2026, 11, 13)), status=Meeting.Status.CANCELLED
    )
    # Held yesterday (Thursday 3 December), not shared yet: still within its window.
    make.meeting(world.program, starts=make.at(D(2026, 12, 3)))

    value = figure(world, Kpi.MINUTES_ON_TIME)

    assert (value.numerator, value.denominator) == (1, 3)
    assert figure(world, Kpi.MINUTES_ON_TIME, period=DEC).denominator == 0
    facts = dict(_records(world, Kpi.MINUTES_ON_TIME)[0].facts)
    assert facts["Minutes due"].startswith("2026-11-11 00:00")


def test_actions_on_time_counts_items_due_in_the_period_by_the_site_day(world):
    owner = world.pm
    make.action(world.program, owner, due=D(2026, 11, 10), completed=make.at(D(2026, 11, 10), 23))
    make.action(world.program, owner, due=D(2026, 11, 10), completed=make.at(D(2026, 11, 11), 1))
    make.action(world.program, owner, due=D(2026, 11, 20))  # open past its due date: missed
    make.action(
        world.program, owner, due=D(2026, 11, 20), status=ActionItem.Status.CANCELLED
    )  # cancelled: ignored
    make.action(world.program, owner, due=D(2026, 12, 4))  # due today, still open: not yet

    value = figure(world, Kpi.ACTIONS_ON_TIME)

    assert (value.numerator, value.denominator) == (1, 3)
    assert figure(world, Kpi.ACTIONS_ON_TIME, period=DEC).denominator == 0


def test_a_sponsor_reader_never_counts_internal_action_items(world):
    make.action(world.program, world.pm, due=D(2026, 11, 10), audience=Audience.INTERNAL)
    make.action(world.program, world.pm, due=D(2026, 11, 10), audience=Audience.SPONSOR)

    assert figure(world, Kpi.ACTIONS_ON_TIME, user=world.pm).denominator == 2
    assert figure(world, Kpi.ACTIONS_ON_TIME, user=world.lead_a).denominator == 1
    assert figure(world, Kpi.ACTIONS_ON_TIME).denominator == 1  # nobody in particular
    records = _records(world, Kpi.ACTIONS_ON_TIME, user=world.lead_a)
    assert len(records) == 1


def test_time_to_answer_is_the_median_over_questions_answered_in_the_period(world):
    asked = make.at(D(2026, 11, 2), hour=9)
    for hours in (1, 5):
        make.question(
            world.program,
            world.lead_a,
            asked=asked,
            answered=asked + datetime.timedelta(hours=hours),
        )
    make.question(world.program, world.lead_a, asked=asked, answered=None)

    value = figure(world, Kpi.TIME_TO_ANSWER)

    assert (value.value, value.denominator) == (Decimal("3.0"), 2)


def test_change_order_turnaround_is_the_median_in_days(world):
    proposed = make.at(D(2026, 11, 2), hour=9)
    for days, status in ((2, ChangeOrder.Status.APPROVED), (5, ChangeOrder.Status.REJECTED)):
        make.change_order(
            world.program,
            world.pm,
            proposed=proposed,
            decided=proposed + datetime.timedelta(days=days),
            status=status,
        )
    make.change_order(world.program, world.pm, proposed=proposed, decided=None)

    value = figure(world, Kpi.CHANGE_ORDER_TURNAROUND)

    assert (value.value, value.denominator, value.unit) == (Decimal("3.5"), 2, "days")


def test_escalations_in_window_need_an_answer_at_the_first_level_in_time(world):
    raised = make.at(D(2026, 11, 2), hour=9)
    hour = datetime.timedelta(hours=1)
    make.escalation(
        world.program, raised=raised, acknowledged=raised + hour, resolved=raised + 50 * hour
    )
    make.escalation(world.program, raised=raised, resolved=raised + 3 * hour)
    make.escalation(  # moved up for want of an answer
        world.program,
        raised=raised,
        moved_at=raised + 24 * hour,
        acknowledged=raised + 30 * hour,
        resolved=raised + 40 * hour,
    )
    make.escalation(world.program, raised=raised)  # still open: not counted
    make.escalation(  # the sponsor's concern, resolved late
        world.program,
        raised=raised,
        resolved=raised + 30 * hour,
        audience=Audience.SPONSOR,
    )

    value = figure(world, Kpi.ESCALATIONS_IN_WINDOW, user=world.pm)
    assert (value.numerator, value.denominator) == (2, 4)
    sponsor = figure(world, Kpi.ESCALATIONS_IN_WINDOW, user=world.lead_a)
    assert (sponsor.numerator, sponsor.denominator) == (0, 1)


@override_settings(SITE_TIME_ZONE="Asia/Singapore")
def test_period_boundaries_are_site_midnight(world):
    # 23:30 on 30 November in Singapore is November; 00:30 on 1 December is December,
    # though both are 30 November in UTC.
    aware = make.at(D(2026, 11, 28))
    for local in (make.at(D(2026, 11, 30), 23, 30), make.at(D(2026, 12, 1), 0, 30)):
        assert local.astimezone(datetime.UTC).date() == D(2026, 11, 30)
        make.deviation(world.program, world.pm, aware=aware, notified=local)

    assert figure(world, Kpi.TIME_TO_NOTIFY).denominator == 1
    assert figure(world, Kpi.TIME_TO_NOTIFY, period=DEC).denominator == 1


def _records(world, kpi, period=NOV, user=None):
    return kpis.counted_records(
        program_ids=[world.program.pk], kpi=kpi, period=period, user=user or world.pm
    )
