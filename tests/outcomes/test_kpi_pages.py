"""The drill-down page: the definition on top, then exactly the records counted."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.urls import reverse

from outcomes.periods import PERIOD_IN_FUTURE
from programs.kpi_catalogue import Kpi, definition
from tests.outcomes import kpi_data as make
from tests.support.queries import count_queries
from tests.support.world import client_for

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
D = datetime.date
NOV = {"period": "month", "key": "2026-11"}

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _url(kpi, code="HLX-101"):
    return reverse("program-kpi-records", args=[code, kpi])


def test_it_shows_the_definition_and_links_every_counted_record(world):
    late = make.milestone(world.program, baseline=D(2026, 11, 3), actual=D(2026, 11, 5))
    make.milestone(world.program, baseline=D(2026, 11, 3), actual=D(2026, 11, 3))

    page = client_for(world, "viewer_a").get(_url(Kpi.MILESTONES_ON_TIME), NOV)

    assert page.status_code == 200
    html = page.content.decode()
    assert definition(Kpi.MILESTONES_ON_TIME).definition in html
    assert "1 of 2 met the definition" in html
    assert reverse("milestone-detail", args=["HLX-101", late.pk]) in html
    assert html.index("kpi-definition") < html.index("kpi-records")
    assert "2026-11-05" in html  # the actual date that decided it


def test_a_period_in_the_future_is_a_400_with_its_message(world):
    page = client_for(world, "lead_a").get(_url(Kpi.OTIF), {"period": "month", "key": "2027-02"})

    assert page.status_code == 400
    assert PERIOD_IN_FUTURE in page.content.decode()


def test_an_unknown_kpi_or_another_sponsors_program_is_a_404(world):
    assert client_for(world, "lead_a").get(_url("happiness")).status_code == 404
    assert client_for(world, "lead_b").get(_url(Kpi.OTIF)).status_code == 404


def test_a_sponsor_never_sees_internal_action_items_in_the_drill_down(world):
    internal = make.action(world.program, world.pm, due=D(2026, 11, 10), audience="internal")
    shared = make.action(world.program, world.pm, due=D(2026, 11, 10), audience="sponsor")

    sponsor = client_for(world, "lead_a").get(_url(Kpi.ACTIONS_ON_TIME), NOV).content.decode()
    cdmo = client_for(world, "pm").get(_url(Kpi.ACTIONS_ON_TIME), NOV).content.decode()

    assert shared.title in sponsor
    assert internal.title not in sponsor
    assert internal.title in cdmo
    assert "The records counted (1)" in sponsor
    assert "The records counted (2)" in cdmo


@pytest.mark.parametrize(
    "kpi", [Kpi.RIGHT_FIRST_TIME, Kpi.MINUTES_ON_TIME, Kpi.ESCALATIONS_IN_WINDOW]
)
def test_the_page_costs_the_same_queries_for_few_or_many_records(world, kpi):
    client = client_for(world, "pm")
    make.fill(world.program, world.pm, world.lead_a, 2, D(2026, 11, 1))
    client.get(_url(kpi), NOV)
    few = count_queries(client, _url(kpi), params=NOV)

    make.fill(world.program, world.pm, world.lead_a, 20, D(2026, 11, 1))
    many = count_queries(client, _url(kpi), params=NOV)

    assert many == few
