"""The server-drawn charts, parsed back with xml.etree: the elements a reader relies on are
there, named, and distinct in shape as well as colour."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from portal.bounds import EARLIEST_DATE, LATEST_DATE
from programs import svg
from programs.models import Milestone, Workstream
from programs.selectors import CostSummary, DriverCosts

NS = {"svg": "http://www.w3.org/2000/svg"}
TODAY = datetime.date(2026, 11, 25)


def _day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def _ms(pk, name, baseline, forecast=None, actual=None, workstream=None) -> Milestone:
    return Milestone(
        pk=pk,
        name=name,
        workstream=workstream,
        baseline_date=_day(baseline),
        forecast_date=_day(baseline if forecast is None else forecast),
        actual_date=None if actual is None else _day(actual),
    )


def _timeline(**options) -> ET.Element:
    tech = Workstream(pk=1, name="Tech transfer", start_date=_day(-60), end_date=_day(90))
    qa = Workstream(pk=2, name="QA <& regulatory>")
    milestones = [
        _ms(1, "Package complete", -30, actual=-28, workstream=tech),
        _ms(2, "Engineering run", 20, forecast=44, workstream=tech),
        _ms(3, "Method report", 10, forecast=13, workstream=qa),
        _ms(4, "IND section", 60, workstream=qa),
        _ms(5, "Board review", 45),
    ]
    text = svg.timeline_chart(
        workstreams=[tech, qa],
        milestones=milestones,
        today=TODAY,
        threshold_days=7,
        title="HLX-101 timeline",
        **options,
    )
    return ET.fromstring(text)


@pytest.fixture
def chart() -> ET.Element:
    return _timeline(link=lambda m: f"/programs/HLX-101/milestones/{m.pk}/")


# Roles whose children are presentational (WAI-ARIA): nothing inside them may be interactive.
PRESENTATIONAL_CHILDREN = {"img", "button", "link", "checkbox", "tab", "progressbar", "slider"}


def _is_interactive(element: ET.Element) -> bool:
    tag = element.tag.rpartition("}")[2]
    return (
        (tag == "a" and element.get("href") is not None)
        or element.get("tabindex") is not None
        or element.get("role") in {"link", "button"}
    )


def _nested_interactive(root: ET.Element) -> list[str]:
    """Each interactive element that sits inside an interactive element or inside an element
    whose children are presentational, named by its href or tag."""
    parents = {child: parent for parent in root.iter() for child in parent}
    nested = []
    for element in root.iter():
        if not _is_interactive(element):
            continue
        ancestor = parents.get(element)
        while ancestor is not None:
            if _is_interactive(ancestor) or ancestor.get("role") in PRESENTATIONAL_CHILDREN:
                nested.append(element.get("href") or element.tag)
                break
            ancestor = parents.get(ancestor)
    return nested


def _all(root: ET.Element, path: str) -> list[ET.Element]:
    return root.findall(path, NS)


def _texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_the_linked_timeline_is_a_named_group_that_scales(chart):
    assert chart.get("role") == "group"
    assert chart.get("aria-labelledby") == "timeline-title timeline-desc"
    assert chart.find("svg:title", NS).text == "HLX-101 timeline"
    desc = chart.find("svg:desc", NS).text
    assert "5 milestones in 2 workstreams" in desc
    assert "Beyond the 7-day slip threshold: Engineering run (24 days late)" in desc
    assert chart.get("viewBox").startswith("0 0 1200 ")
    assert "style" not in {attr for el in chart.iter() for attr in el.attrib}


def test_no_interactive_element_is_nested_in_another(chart):
    assert len(_all(chart, ".//svg:a[@href]")) == 5
    assert _nested_interactive(chart) == []


def test_the_check_for_nesting_catches_a_link_inside_an_image(chart):
    chart.set("role", "img")
    assert len(_nested_interactive(chart)) == 5


def test_a_timeline_without_links_is_an_image():
    plain = _timeline()
    assert plain.get("role") == "img"
    assert plain.find(".//svg:a", NS) is None
    assert _nested_interactive(plain) == []


def test_the_legend_and_axis_are_hidden_from_assistive_technology(chart):
    for name in ("legend", "axis"):
        assert chart.find(f"svg:g[@class='{name}']", NS).get("aria-hidden") == "true"


def test_each_milestone_has_a_baseline_and_a_forecast_or_actual_marker(chart):
    assert len(_all(chart, ".//svg:polygon[@class='ms-baseline']")) == 5 + 1  # + legend
    forecasts = _all(chart, ".//svg:g[@class='rows']//svg:circle")
    actuals = _all(chart, ".//svg:g[@class='rows']//svg:rect[@class='ms-actual']")
    assert len(forecasts) == 4
    assert len(actuals) == 1


def test_the_three_markers_differ_in_shape_and_colour(chart):
    baseline = chart.find(".//svg:polygon[@class='ms-baseline']", NS)
    forecast = chart.find(".//svg:circle[@class='ms-forecast']", NS)
    actual = chart.find(".//svg:rect[@class='ms-actual']", NS)
    fills = {baseline.get("fill"), forecast.get("fill"), actual.get("fill")}
    assert len(fills) == 3
    assert baseline.get("fill") == "#ffffff"  # hollow: reads as the baseline on paper


def test_only_slipped_milestones_get_a_slip_line_and_beyond_threshold_is_solid_red(chart):
    rows = chart.find(".//svg:g[@class='rows']", NS)
    lines = _all(rows, ".//svg:line")
    assert [line.get("class") for line in lines] == ["ms-slip", "ms-slip beyond", "ms-slip"]
    beyond = next(line for line in lines if line.get("class") == "ms-slip beyond")
    assert beyond.get("stroke-dasharray") is None
    normal = next(line for line in lines if line.get("class") == "ms-slip")
    assert normal.get("stroke-dasharray")


def test_a_slip_beyond_the_threshold_is_highlighted_and_labelled(chart):
    highlighted = _all(chart, ".//svg:g[@class='milestone beyond']")
    assert [g.get("id") for g in highlighted] == ["tl-ms-2"]
    row = highlighted[0]
    assert row.find("svg:rect[@class='slip-highlight']", NS) is not None
    assert row.find("svg:text[@class='slip-label']", NS).text == "+24 d"
    assert "24 days late" in row.find("svg:title", NS).text


def test_rows_are_grouped_by_workstream_with_program_wide_last(chart):
    groups = [g.find("svg:text", NS).text for g in _all(chart, ".//svg:g[@class='workstream']")]
    assert groups == ["Tech transfer", "QA <& regulatory>", svg.PROGRAM_WIDE]


def test_names_are_escaped_and_link_to_the_milestone(chart):
    link = chart.find(".//svg:a", NS)
    assert link.get("href") == "/programs/HLX-101/milestones/1/"
    assert link.find("svg:text", NS).text == "Package complete"


def test_there_is_a_today_line_month_ticks_and_a_legend(chart):
    today = chart.find(".//svg:g[@class='today']", NS)
    assert today.find("svg:line", NS) is not None
    assert today.find("svg:text", NS).text == "Today"
    ticks = [t.text for t in _all(chart, ".//svg:g[@class='axis']/svg:text")]
    assert ticks[0] == "Sep 2026"  # the tech transfer workstream starts in September
    assert "Jan 2027" in ticks
    assert "Nov" in ticks
    legend = [t.text for t in _all(chart, ".//svg:g[@class='legend']/svg:text")]
    assert legend == [
        "Baseline (agreed)",
        "Forecast",
        "Actual (complete)",
        "Slip",
        "Slip over 7 days",
        "Today",
    ]


def test_a_long_program_gets_fewer_month_labels():
    milestones = [_ms(1, "Start", -700), _ms(2, "Launch", 700)]
    root = ET.fromstring(
        svg.timeline_chart(
            workstreams=[], milestones=milestones, today=TODAY, threshold_days=7, title="Long"
        )
    )
    ticks = _all(root, ".//svg:g[@class='axis']/svg:text")
    assert 8 <= len(ticks) <= 16


def test_the_cost_chart_draws_budget_committed_and_invoiced_bars():
    summary = CostSummary(
        currency="USD",
        contract_value=Decimal("1000000"),
        approved_change_orders=Decimal("50000"),
        committed=Decimal("400000"),
        invoiced=Decimal("250000"),
        pending_change_orders=1,
        pending_change_orders_value=Decimal("9000"),
    )
    drivers = [
        DriverCosts("materials", "Materials", Decimal("300000"), Decimal("200000")),
        DriverCosts("labour", "Labour", Decimal("100000"), Decimal("50000")),
    ]

    root = ET.fromstring(svg.cost_chart(summary=summary, drivers=drivers, title="Costs"))

    assert root.get("role") == "img"
    assert "Effective budget USD 1,050,000.00" in root.find("svg:desc", NS).text
    groups = _all(root, ".//svg:g[@class='cost-group']")
    assert [g.find("svg:text", NS).text for g in groups] == ["Total", "Materials", "Labour"]
    bars = [r.get("class") for r in _all(root, ".//svg:g[@class='cost-group']//svg:rect")]
    assert bars == ["bar budget"] + ["bar committed", "bar invoiced"] * 3
    invoiced = root.find(".//svg:g[@class='cost-group']//svg:rect[@class='bar invoiced']", NS)
    assert invoiced.get("fill") == "url(#costs-hatch)"
    assert root.find(".//svg:pattern[@id='costs-hatch']", NS) is not None
    labels = _texts(root)
    assert "1,050,000.00" in labels
    assert "Budget (contract + approved change orders)" in labels


def test_a_program_over_the_whole_date_window_gets_a_label_a_decade():
    milestones = [
        Milestone(pk=1, name="First", baseline_date=EARLIEST_DATE, forecast_date=EARLIEST_DATE),
        Milestone(pk=2, name="Last", baseline_date=LATEST_DATE, forecast_date=LATEST_DATE),
    ]
    root = ET.fromstring(
        svg.timeline_chart(
            workstreams=[], milestones=milestones, today=TODAY, threshold_days=7, title="Widest"
        )
    )
    ticks = [t.text for t in _all(root, ".//svg:g[@class='axis']/svg:text")]
    assert ticks[:3] == ["Jan 1990", "Jan 2000", "Jan 2010"]
    assert len(ticks) <= svg.TL_MAX_TICKS
