"""The KPI API: programs/{code}/kpis/, the records behind one KPI, and the status's KPIs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from outcomes.periods import PERIOD_IN_FUTURE
from programs.kpi_catalogue import Kpi, definition, headline
from programs.models import KpiTarget
from tests.outcomes import kpi_data as make
from tests.support.api import assert_error, new_token, token_client
from tests.support.queries import count_queries

NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=datetime.UTC)
URL = "/api/v1/programs/HLX-101/kpis/"
D = datetime.date

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _target(world, kpi, target):
    KpiTarget.objects.create(
        program=world.program, kpi=kpi, target=Decimal(target), agreed_at=NOW, agreed_by=world.pm
    )


def test_each_kpi_comes_with_its_definition_period_target_and_status(world, api_as):
    make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10))
    make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 12))
    _target(world, Kpi.ON_TIME_RELEASE, "95")
    _target(world, Kpi.TIME_TO_NOTIFY, "24")

    response = api_as(world.lead_a).get(URL, {"period": "month", "key": "2026-11"})

    assert response.status_code == 200
    figures = {figure["key"]: figure for figure in response.json()}
    assert set(figures) == set(Kpi.values)
    otr = figures[Kpi.ON_TIME_RELEASE]
    assert otr == {
        "key": "on_time_release",
        "name": "On-time batch release",
        "definition": definition(Kpi.ON_TIME_RELEASE).definition,
        "unit": "percent",
        "higher_is_better": True,
        "value": "50.00",
        "numerator": 1,
        "denominator": 2,
        "period": {
            "kind": "month",
            "key": "2026-11",
            "label": "November 2026",
            "start": "2026-11-01",
            "end": "2026-11-30",
        },
        "target": "95.00",
        "status": "missed",
    }
    notify = figures[Kpi.TIME_TO_NOTIFY]
    assert (notify["value"], notify["numerator"], notify["denominator"]) == (None, None, 0)
    assert notify["status"] == "no_data"
    assert figures[Kpi.OTIF]["status"] == "no_target"


def test_the_default_period_is_the_rolling_12_months(world, api_as):
    figures = api_as(world.pm).get(URL).json()

    assert {f["period"]["key"] for f in figures} == {"12m-2026-12"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"period": "month", "key": "2026-13"}, "key"),
        ({"period": "quarter", "key": "2026-11"}, "key"),
        ({"period": "month", "key": "2027-01"}, "key"),
        ({"period": "month", "key": "1990-01"}, "key"),
    ],
)
def test_a_period_that_cannot_be_reported_on_is_a_400_naming_the_field(world, api_as, query, field):
    error = assert_error(api_as(world.lead_a).get(URL, query), 400, "invalid", {field})
    if query.get("key") == "2027-01":
        assert error["fields"]["key"] == [PERIOD_IN_FUTURE]


def test_another_sponsors_program_is_a_404(world, api_as):
    assert_error(api_as(world.lead_b).get(URL), 404, "not_found")
    assert_error(api_as(world.lead_b).get(URL + "otif/records/"), 404, "not_found")


def test_the_records_endpoint_lists_what_the_figure_counted(world, api_as):
    make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10))
    make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10), delivered="50")

    body = api_as(world.viewer_a).get(URL + "otif/records/", {"period": "month", "key": "2026-11"})

    assert body.status_code == 200
    data = body.json()
    assert data["figure"]["denominator"] == len(data["records"]) == 2
    assert [r["met"] for r in data["records"]] == [True, False]
    facts = {f["label"]: f["value"] for f in data["records"][1]["facts"]}
    assert facts["Committed"] == "100.00 g"
    assert facts["Delivered"] == "50.00 g"


def test_an_unknown_kpi_is_a_404(world, api_as):
    assert_error(api_as(world.pm).get(URL + "happiness/records/"), 404, "not_found")


def test_the_status_holds_the_headline_kpis_for_the_rolling_12_months(world, api_as):
    make.batch(world.program, planned=D(2026, 11, 10), released=D(2026, 11, 10))
    _target(world, Kpi.ON_TIME_RELEASE, "90")

    status = api_as(world.lead_a).get("/api/v1/programs/HLX-101/status/").json()

    assert [k["key"] for k in status["kpis"]] == [d.key for d in headline()]
    otr = status["kpis"][0]
    assert (otr["value"], otr["target"], otr["status"]) == ("100.00", "90.00", "met")
    assert otr["period"]["kind"] == "rolling12"
    assert "open_deviations" in status  # the earlier fields are all still there


def test_the_kpi_list_costs_the_same_queries_for_one_program_or_many_records(world):
    client = token_client(new_token(world.pm))
    query = {"period": "month", "key": "2026-11"}
    client.get(URL, query)
    few = count_queries(client, URL, params=query)

    make.fill(world.program, world.pm, world.lead_a, 12, D(2026, 11, 1))
    many = count_queries(client, URL, params=query)

    assert many == few
