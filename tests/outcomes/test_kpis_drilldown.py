"""The drill-down lists exactly the records a figure counted, and the figures cost the same
number of queries whatever the number of programs and records."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outcomes import kpis
from outcomes.periods import PeriodKind, ending, series
from programs.kpi_catalogue import Kpi
from tests.factories import ProgramFactory
from tests.outcomes import kpi_data as make

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
NOV = ending(PeriodKind.MONTH, datetime.date(2026, 11, 1))

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("persona", ["pm", "lead_a"])
@pytest.mark.parametrize("kpi", list(Kpi.values))
def test_the_drill_down_lists_exactly_the_records_counted(world, kpi, persona):
    make.fill(world.program, world.pm, world.lead_a, 9, NOV.start)
    user = getattr(world, persona)

    value = kpis.kpis_for(program_ids=[world.program.pk], period=NOV, kpis=[kpi], user=user)[
        world.program.pk
    ][kpi]
    records = kpis.counted_records(program_ids=[world.program.pk], kpi=kpi, period=NOV, user=user)

    assert value.denominator, "the data gives every KPI something to count"
    assert len(records) == value.denominator
    assert len({(r.kind, r.reference) for r in records}) == len(records)
    if kpi == Kpi.DEVIATIONS_PER_BATCH:
        assert value.numerator <= sum(r.measure for r in records)
    elif value.numerator is not None:
        assert sum(1 for r in records if r.met) == value.numerator
    else:
        assert all(r.measure is not None for r in records)
    assert all(r.url for r in records)


def test_the_drill_down_never_lists_another_sponsors_records(world):
    make.fill(world.program_b, world.pm, world.lead_b, 3, NOV.start)

    for kpi in Kpi.values:
        assert (
            kpis.counted_records(
                program_ids=[world.program_b.pk], kpi=kpi, period=NOV, user=world.lead_a
            )
            == []
        )


def test_a_sponsors_figure_counts_only_shared_records(world):
    make.fill(world.program, world.pm, world.lead_a, 6, NOV.start)

    cdmo = kpis.kpis_for(program_ids=[world.program.pk], period=NOV, user=world.pm)
    sponsor = kpis.kpis_for(program_ids=[world.program.pk], period=NOV, user=world.lead_a)

    for kpi in (Kpi.ACTIONS_ON_TIME, Kpi.ESCALATIONS_IN_WINDOW):
        assert sponsor[world.program.pk][kpi].denominator == 3
        assert cdmo[world.program.pk][kpi].denominator == 6
    assert sponsor[world.program.pk][Kpi.OTIF] == cdmo[world.program.pk][Kpi.OTIF]


def test_the_overall_figure_is_computed_from_the_rows_not_averaged(world):
    make.batch(
        world.program, planned=datetime.date(2026, 11, 2), released=datetime.date(2026, 11, 2)
    )
    for _ in range(3):
        make.batch(
            world.program_b,
            planned=datetime.date(2026, 11, 2),
            released=datetime.date(2026, 11, 3),
        )

    overall = kpis.kpis_overall(
        program_ids=[world.program.pk, world.program_b.pk], period=NOV, kpis=[Kpi.OTIF]
    )[Kpi.OTIF]

    # One of four batches on time: 25 %, where the mean of 100 % and 0 % would say 50 %.
    assert (overall.numerator, overall.denominator, str(overall.value)) == (1, 4, "25.0")


def test_the_trend_gives_one_figure_per_period_oldest_first(world):
    make.batch(
        world.program, planned=datetime.date(2026, 10, 2), released=datetime.date(2026, 10, 2)
    )
    make.batch(
        world.program, planned=datetime.date(2026, 11, 2), released=datetime.date(2026, 11, 9)
    )
    months = series(PeriodKind.MONTH, 3, last=NOV)

    trend = kpis.kpi_trend(program_ids=[world.program.pk], kpi=Kpi.ON_TIME_RELEASE, periods=months)

    assert [(v.numerator, v.denominator) for v in trend] == [(0, 0), (1, 1), (0, 1)]
    assert trend[0].value is None


def _queries(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_the_queries_do_not_grow_with_programs_or_records(world):
    make.fill(world.program, world.pm, world.lead_a, 2, NOV.start)

    def everything(ids):
        return lambda: (
            kpis.kpis_for(program_ids=ids, period=NOV, user=world.pm),
            kpis.kpis_overall(program_ids=ids, period=NOV, user=world.pm),
            kpis.kpi_trend(
                program_ids=ids,
                kpi=Kpi.MINUTES_ON_TIME,
                periods=series(PeriodKind.MONTH, 12, last=NOV),
                user=world.pm,
            ),
        )

    everything([world.program.pk])()  # the site's holidays are read once, then cached
    small = _queries(everything([world.program.pk]))
    more = [ProgramFactory(sponsor=world.sponsor_a) for _ in range(4)]
    for program in more:
        make.fill(program, world.pm, world.lead_a, 8, NOV.start)
    large = _queries(everything([world.program.pk, *(p.pk for p in more)]))

    assert large == small
    # One query per kind of record (batches, deviations, milestones, meetings, action items,
    # questions, change orders, escalations), twice, and one for the trend; SQLite reads the
    # values of each of the four medians once more (it has no percentile).
    assert small <= (17 if connection.vendor == "postgresql" else 25)
