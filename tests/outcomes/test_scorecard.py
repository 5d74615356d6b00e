"""The KPI page and the scorecards: each figure with its definition, target and status; a trend
drawn and tabled; a sponsor sees its own programs only; the figures' cost is constant."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from outcomes.periods import PERIOD_IN_FUTURE
from programs.kpi_catalogue import Kpi, definition
from programs.models import KpiTarget
from programs.services.targets import TARGETS_FROZEN
from tests.factories import ProgramFactory
from tests.outcomes import kpi_data as make
from tests.support.api import assert_error
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


def _on_time_and_late(program):
    make.batch(program, planned=D(2026, 11, 10), released=D(2026, 11, 10))
    make.batch(program, planned=D(2026, 11, 10), released=D(2026, 11, 12))


def test_the_kpi_page_shows_definition_value_target_status_and_a_drawn_and_tabled_trend(world):
    _on_time_and_late(world.program)
    make.batch(world.program, planned=D(2026, 10, 5), released=D(2026, 10, 5))
    KpiTarget.objects.create(
        program=world.program,
        kpi=Kpi.ON_TIME_RELEASE,
        target=Decimal(95),
        agreed_at=NOW,
        agreed_by=world.pm,
    )

    page = client_for(world, "viewer_a").get(reverse("program-kpis", args=["HLX-101"]), NOV)

    assert page.status_code == 200
    html = page.content.decode()
    row = html[html.index('id="kpi-on_time_release"') :]
    row = row[: row.index("</tr>\n")] if "</tr>\n" in row else row
    assert definition(Kpi.ON_TIME_RELEASE).definition in row
    assert "50.0" in row
    assert "95.00" in row
    assert "Missed" in row
    drill = reverse("program-kpi-records", args=["HLX-101", Kpi.ON_TIME_RELEASE])
    assert f"{drill}?period=month&amp;key=2026-11" in row
    assert "<svg" in row
    assert 'role="img"' in row
    assert "November 2026: 50.0 %" in row  # the chart's description says the figures
    assert "October 2026" in row
    assert "100.0" in row
    assert "No data" in html  # a KPI with nothing to measure is not a zero


def test_the_pm_sees_the_targets_form_and_a_sponsor_does_not(world):
    url = reverse("program-kpis", args=["HLX-101"])
    assert 'id="kpi-targets"' in client_for(world, "pm").get(url).content.decode()
    assert 'id="kpi-targets"' not in client_for(world, "lead_a").get(url).content.decode()


def test_targets_posted_by_the_pm_are_saved_and_a_bad_one_is_shown_inline(world):
    url = reverse("program-kpi-targets", args=["HLX-101"])
    pm = client_for(world, "pm")

    refused = pm.post(url, {"otif": "101", "on_time_release": "90"})
    assert refused.status_code == 422
    assert definition(Kpi.OTIF).target_problem(Decimal(101)) in refused.content.decode()
    assert not KpiTarget.objects.exists()

    saved = pm.post(url, {"otif": "92.5", "on_time_release": "90"})
    assert saved.status_code == 302
    assert dict(KpiTarget.objects.values_list("kpi", "target")) == {
        "otif": Decimal("92.5"),
        "on_time_release": 90,
    }


def test_after_the_kick_off_the_form_asks_for_a_reason(world):
    KpiTarget.objects.create(
        program=world.program, kpi=Kpi.OTIF, target=90, agreed_at=NOW, agreed_by=world.pm
    )
    world.program.baseline_frozen_at = NOW
    world.program.save(update_fields=["baseline_frozen_at"])

    page = client_for(world, "pm").post(
        reverse("program-kpi-targets", args=["HLX-101"]), {"otif": "80"}
    )

    assert page.status_code == 422
    assert TARGETS_FROZEN in page.content.decode()
    assert KpiTarget.objects.get().target == 90


def test_a_sponsor_is_sent_to_its_own_scorecard_which_holds_only_its_programs(world):
    _on_time_and_late(world.program)
    _on_time_and_late(world.program_b)

    lead = client_for(world, "lead_a")
    moved = lead.get(reverse("scorecard"), NOV)
    assert moved.status_code == 302
    assert (
        moved["Location"]
        == reverse("scorecard-sponsor", args=["helix"]) + "?period=month&key=2026-11"
    )

    html = lead.get(moved["Location"]).content.decode()
    assert "HLX-101" in html
    assert "BOR-017" not in html
    assert "Borealis" not in html
    assert (
        client_for(world, "lead_b").get(reverse("scorecard-sponsor", args=["helix"])).status_code
        == 404
    )


def test_leadership_sees_every_sponsor_and_the_portfolio_from_the_rows(world):
    _on_time_and_late(world.program)  # 1 of 2 on time
    make.batch(world.program_b, planned=D(2026, 11, 10), released=D(2026, 11, 9))  # 1 of 1

    html = client_for(world, "leader").get(reverse("scorecard"), NOV).content.decode()

    assert "HLX-101" in html
    assert "BOR-017" in html
    portfolio = html[html.index('id="portfolio"') :]
    assert "66.7" in portfolio[: portfolio.index("</dl>")]  # 2 of 3 batches, not (50+100)/2


def test_the_scorecard_api_groups_programs_by_sponsor_with_targets_and_overall(world):
    _on_time_and_late(world.program)
    KpiTarget.objects.create(
        program=world.program, kpi=Kpi.OTIF, target=90, agreed_at=NOW, agreed_by=world.pm
    )

    body = client_for(world, "lead_a").get("/api/v1/scorecard/", NOV).json()

    assert body["period"]["key"] == "2026-11"
    (sponsor,) = body["sponsors"]
    assert sponsor["sponsor"] == "helix"
    assert [p["code"] for p in sponsor["programs"]] == ["HLX-101"]
    figures = {f["key"]: f for f in sponsor["programs"][0]["kpis"]}
    assert figures["on_time_release"]["value"] == "50.00"
    assert figures["otif"]["target"] == "90.00"
    assert figures["otif"]["status"] == "missed"
    overall = {f["key"]: f for f in sponsor["overall"]}
    assert overall["on_time_release"]["denominator"] == 2


def test_a_bad_period_on_the_scorecard_api_names_the_key(world):
    answer = client_for(world, "leader").get(
        "/api/v1/scorecard/", {"period": "month", "key": "2999-01"}
    )
    error = assert_error(answer, 400, "invalid", {"key"})
    assert error["fields"]["key"] == [PERIOD_IN_FUTURE]


def test_the_scorecard_costs_the_same_for_few_and_many_programs_and_batches(world):
    client = client_for(world, "leader")
    url = reverse("scorecard")
    few = count_queries(client, url, params=NOV, warm_up=True)
    for index in range(6):
        program = ProgramFactory(sponsor=world.sponsor_a, code=f"HLX-{300 + index}")
        _on_time_and_late(program)
    assert count_queries(client, url, params=NOV) == few


def test_the_kpi_page_costs_the_same_for_few_and_many_batches(world):
    client = client_for(world, "pm")
    url = reverse("program-kpis", args=["HLX-101"])
    few = count_queries(client, url, params=NOV, warm_up=True)
    for _ in range(10):
        _on_time_and_late(world.program)
    assert count_queries(client, url, params=NOV) == few
