"""Charts drawn on the server as inline SVG: the timeline (a Gantt of milestones grouped by
workstream) and the cost bars.

Built with ElementTree, so every name is escaped and the output is well-formed XML. Colours
are presentation attributes, never `style=""` (the CSP forbids inline styles), and every
series differs in shape or fill as well as in colour, so a chart still reads in greyscale and
on paper. Each chart is `role="img"` with a <title> and a <desc> that says in words what it
shows; the pages that embed one also carry a table with the same figures. The viewBox lets
the chart scale to its container, on screen and in print.

A chart whose marks link somewhere is a `role="group"` instead: an image's children are
presentational, so a link inside one is an interactive element nested in another (axe:
nested-interactive) that keyboard and screen-reader users reach without a name or a context.
As a group, its title and description still name it, the links are ordinary links, and the
legend and axis, which only explain the drawing, are hidden from assistive technology.
"""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from programs.models import Milestone, Workstream
from programs.money import MINUS, format_amount, format_money
from programs.selectors import CostSummary, DriverCosts

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"

# The portal's palette (static/css/portal.css tokens), as SVG attributes.
INK = "#1b2533"
MUTED = "#56627a"
GRID = "#d8dee6"
BAND = "#f3f5f8"
SURFACE = "#ffffff"
NAVY = "#15406a"
BLUE = "#3b78c4"
BLUE_DARK = "#1c4f8f"
GREEN = "#1f9d55"
GREEN_TEXT = "#13653b"
AMBER = "#c47a00"
AMBER_TEXT = "#8a4a00"
RED = "#d1332b"
RED_TEXT = "#a61d24"
RED_TINT = "#fdeaea"
TEAL = "#0a6b72"
TEAL_TINT = "#eaf6f5"


def _n(value: float) -> str:
    """Coordinates with at most one decimal: small output, no float noise."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: object) -> ET.Element:
    element = ET.SubElement(
        parent, tag, {key.rstrip("_").replace("_", "-"): str(v) for key, v in attrs.items()}
    )
    if text is not None:
        element.text = text
    return element


def _root(
    *,
    width: int,
    height: int,
    id_prefix: str,
    title: str,
    desc: str,
    css: str,
    role: str = "img",
) -> ET.Element:
    root = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {width} {height}",
            "width": str(width),
            "height": str(height),
            "role": role,
            "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc",
            "class": f"chart {css}",
            "font-family": FONT,
            "font-size": "13",
            "fill": INK,
            "preserveAspectRatio": "xMinYMin meet",
        },
    )
    _el(root, "title", title, id=f"{id_prefix}-title")
    _el(root, "desc", desc, id=f"{id_prefix}-desc")
    return root


def _day(value: datetime.date) -> str:
    return f"{value.day} {value:%b %Y}"


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _days(n: int) -> str:
    return f"{n} day" if abs(n) == 1 else f"{n} days"


# --- Timeline ---------------------------------------------------------------------------------

TL_WIDTH = 1200
TL_LABEL_X = 12
TL_PLOT_LEFT = 340
TL_PLOT_RIGHT = 1130
TL_LEGEND_Y = 22
TL_AXIS_Y = 58
TL_PLOT_TOP = 68
TL_GROUP_H = 30
TL_ROW_H = 26
TL_BOTTOM = 28
TL_LABEL_CHARS = 44
PROGRAM_WIDE = "Program-wide"


@dataclass(frozen=True)
class TimelineGroup:
    """One band of the chart: a workstream (or the program itself) and its milestones."""

    name: str
    workstream: Workstream | None
    milestones: list[Milestone]


def timeline_groups(
    workstreams: Sequence[Workstream], milestones: Sequence[Milestone]
) -> list[TimelineGroup]:
    """Workstreams in their order, each with its milestones; milestones that belong to no
    workstream come last, under the program."""
    by_workstream: dict[int | None, list[Milestone]] = {}
    for milestone in milestones:
        by_workstream.setdefault(milestone.workstream_id, []).append(milestone)
    groups = [TimelineGroup(w.name, w, by_workstream.get(w.pk, [])) for w in workstreams]
    if None in by_workstream:
        groups.append(TimelineGroup(PROGRAM_WIDE, None, by_workstream[None]))
    return groups


def is_beyond_threshold(milestone: Milestone, threshold_days: int) -> bool:
    return milestone.slip_days > threshold_days


def timeline_description(
    milestones: Sequence[Milestone], threshold_days: int, workstream_count: int
) -> str:
    """The chart in words, for screen readers and for anyone reading the page without it."""
    if not milestones:
        return "No milestones yet."
    first = min(m.baseline_date for m in milestones)
    last = max(m.actual_date or m.forecast_date for m in milestones)
    done = sum(1 for m in milestones if m.is_done)
    slipped = [m for m in milestones if not m.is_done and m.slip_days > 0]
    beyond = [m for m in slipped if is_beyond_threshold(m, threshold_days)]
    parts = [
        f"{len(milestones)} milestones in {workstream_count} workstreams, "
        f"from {_day(first)} to {_day(last)}.",
        f"{done} complete, {len(slipped)} open milestones slipped behind baseline.",
    ]
    if beyond:
        names = "; ".join(f"{m.name} ({_days(m.slip_days)} late)" for m in beyond)
        parts.append(f"Beyond the {threshold_days}-day slip threshold: {names}.")
    else:
        parts.append(f"None beyond the {threshold_days}-day slip threshold.")
    return " ".join(parts)


def _month_start(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


def _next_month(value: datetime.date) -> datetime.date:
    return (value.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _span(
    workstreams: Sequence[Workstream], milestones: Sequence[Milestone], today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """Whole months around every date on the chart, today included; at least three months."""
    dates = [today]
    for m in milestones:
        dates += [m.baseline_date, m.forecast_date]
        if m.actual_date:
            dates.append(m.actual_date)
    for w in workstreams:
        dates += [d for d in (w.start_date, w.end_date) if d]
    start = _month_start(min(dates))
    end = _next_month(max(dates))
    while (end.year - start.year) * 12 + end.month - start.month < 3:
        end = _next_month(end)
    return start, end


TL_MAX_TICKS = 15
TICK_STEPS = (1, 2, 3, 6, 12, 24, 60, 120)  # months: up to a decade, for the widest window


def _tick_step(months: int) -> int:
    """Months between labelled ticks: at most `TL_MAX_TICKS` across the plot (a program over
    the whole date window of portal/bounds.py, 111 years, gets one a decade)."""
    return next((s for s in TICK_STEPS if months <= s * TL_MAX_TICKS), TICK_STEPS[-1])


class _Scale:
    def __init__(self, start: datetime.date, end: datetime.date, left: float, right: float):
        self.start, self.days = start, max((end - start).days, 1)
        self.left, self.width = left, right - left

    def __call__(self, value: datetime.date) -> float:
        return self.left + (value - self.start).days / self.days * self.width


def _diamond(parent: ET.Element, x: float, y: float, r: float = 7) -> ET.Element:
    points = f"{_n(x)},{_n(y - r)} {_n(x + r)},{_n(y)} {_n(x)},{_n(y + r)} {_n(x - r)},{_n(y)}"
    return _el(
        parent,
        "polygon",
        points=points,
        fill=SURFACE,
        stroke=NAVY,
        stroke_width=2,
        class_="ms-baseline",
    )


def _forecast_dot(parent: ET.Element, x: float, y: float, beyond: bool) -> ET.Element:
    return _el(
        parent,
        "circle",
        cx=_n(x),
        cy=_n(y),
        r=6,
        fill=RED if beyond else BLUE,
        stroke=RED_TEXT if beyond else BLUE_DARK,
        stroke_width=1.5,
        class_="ms-forecast beyond" if beyond else "ms-forecast",
    )


def _actual_square(parent: ET.Element, x: float, y: float) -> ET.Element:
    return _el(
        parent,
        "rect",
        x=_n(x - 6),
        y=_n(y - 6),
        width=12,
        height=12,
        fill=GREEN,
        stroke=GREEN_TEXT,
        stroke_width=1.5,
        class_="ms-actual",
    )


def _slip_line(parent: ET.Element, x1: float, x2: float, y: float, beyond: bool) -> ET.Element:
    attrs: dict[str, Any] = {
        "x1": _n(x1),
        "x2": _n(x2),
        "y1": _n(y),
        "y2": _n(y),
        "stroke": RED if beyond else AMBER,
        "stroke_width": 3 if beyond else 2,
        "class_": "ms-slip beyond" if beyond else "ms-slip",
    }
    if not beyond:
        attrs["stroke_dasharray"] = "5 3"
    return _el(parent, "line", **attrs)


def _legend_symbol(parent: ET.Element, kind: str, x: float, y: float) -> None:
    if kind == "baseline":
        _diamond(parent, x + 7, y, 6)
    elif kind == "forecast":
        _forecast_dot(parent, x + 7, y, beyond=False)
    elif kind == "actual":
        _actual_square(parent, x + 7, y)
    elif kind == "slip":
        _slip_line(parent, x, x + 22, y, beyond=False)
    elif kind == "beyond":
        _slip_line(parent, x, x + 16, y, beyond=True)
        _forecast_dot(parent, x + 20, y, beyond=True)
    else:
        _el(
            parent,
            "line",
            x1=_n(x + 8),
            x2=_n(x + 8),
            y1=_n(y - 8),
            y2=_n(y + 8),
            stroke=TEAL,
            stroke_width=2,
            stroke_dasharray="2 3",
        )


def _legend(root: ET.Element, threshold_days: int) -> None:
    legend = _el(root, "g", class_="legend", font_size=12, aria_hidden="true")
    entries = [
        ("baseline", "Baseline (agreed)"),
        ("forecast", "Forecast"),
        ("actual", "Actual (complete)"),
        ("slip", "Slip"),
        ("beyond", f"Slip over {_days(threshold_days)}"),
        ("today", "Today"),
    ]
    x = float(TL_LABEL_X)
    for kind, label in entries:
        _legend_symbol(legend, kind, x, TL_LEGEND_Y - 4)
        _el(legend, "text", label, x=_n(x + 32), y=TL_LEGEND_Y)
        x += 32 + len(label) * 7 + 24


def _axis(
    root: ET.Element, scale: _Scale, start: datetime.date, end: datetime.date, bottom: float
) -> None:
    axis = _el(root, "g", class_="axis", font_size=11, fill=MUTED, aria_hidden="true")
    months = (end.year - start.year) * 12 + end.month - start.month
    step = _tick_step(months)
    month, index, first = start, 0, True
    while month <= end:
        if index % step == 0:
            x = scale(month)
            _el(
                axis,
                "line",
                x1=_n(x),
                x2=_n(x),
                y1=TL_PLOT_TOP - 4,
                y2=_n(bottom),
                stroke=GRID,
                stroke_width=1,
            )
            if month < end:
                yearly = first or month.month == 1 or step >= 12
                label = f"{month:%b %Y}" if yearly else f"{month:%b}"
                _el(axis, "text", label, x=_n(x + 4), y=TL_AXIS_Y)
                first = False
        month, index = _next_month(month), index + 1


def _milestone_title(milestone: Milestone, group: str) -> str:
    parts = [f"{milestone.name} ({group})", f"baseline {_day(milestone.baseline_date)}"]
    if milestone.is_done:
        parts.append(f"completed {_day(milestone.actual_date)}")  # type: ignore[arg-type]
    else:
        parts.append(f"forecast {_day(milestone.forecast_date)}")
    slip = milestone.slip_days
    if slip > 0:
        parts.append(f"{_days(slip)} late")
    elif slip < 0:
        parts.append(f"{_days(-slip)} early")
    else:
        parts.append("on baseline")
    return ", ".join(parts)


def _milestone_row(
    parent: ET.Element,
    milestone: Milestone,
    group: str,
    y: float,
    scale: _Scale,
    threshold_days: int,
    link: Callable[[Milestone], str] | None,
) -> None:
    slip = milestone.slip_days
    beyond = is_beyond_threshold(milestone, threshold_days)
    row_class = "milestone beyond" if beyond else "milestone"
    row = _el(parent, "g", class_=row_class, id=f"tl-ms-{milestone.pk}")
    _el(row, "title", _milestone_title(milestone, group))
    if beyond:
        _el(
            row,
            "rect",
            x=0,
            y=_n(y),
            width=TL_WIDTH,
            height=TL_ROW_H,
            fill=RED_TINT,
            class_="slip-highlight",
        )
    cy = y + TL_ROW_H / 2
    label_parent = row
    if link is not None:
        label_parent = _el(row, "a", href=link(milestone))
    _el(
        label_parent,
        "text",
        _shorten(milestone.name, TL_LABEL_CHARS),
        x=TL_LABEL_X + 14,
        y=_n(cy + 4),
        fill=RED_TEXT if beyond else INK,
        font_weight="600" if beyond else "400",
    )
    bx = scale(milestone.baseline_date)
    end_date = milestone.actual_date or milestone.forecast_date
    ex = scale(end_date)
    if slip > 0:
        _slip_line(row, bx, ex, cy, beyond)
    _diamond(row, bx, cy)
    if milestone.is_done:
        _actual_square(row, ex, cy)
    else:
        _forecast_dot(row, ex, cy, beyond)
    if slip:
        _el(
            row,
            "text",
            f"+{slip} d" if slip > 0 else f"{MINUS}{-slip} d",
            x=_n(max(bx, ex) + 12),
            y=_n(cy + 4),
            font_size=11,
            font_weight="700" if beyond else "400",
            fill=(RED_TEXT if beyond else AMBER_TEXT) if slip > 0 else GREEN_TEXT,
            class_="slip-label",
        )


def timeline_chart(
    *,
    workstreams: Sequence[Workstream],
    milestones: Sequence[Milestone],
    today: datetime.date,
    threshold_days: int,
    title: str,
    link: Callable[[Milestone], str] | None = None,
    id_prefix: str = "timeline",
) -> str:
    """The Gantt: for each milestone its baseline (hollow diamond), forecast (dot) or actual
    (square), a line from baseline to forecast when it slipped (solid red beyond the
    threshold), month ticks, a today line and a legend. With `link`, each milestone's name
    links to it and the chart is a group rather than an image (see the module docstring)."""
    groups = timeline_groups(workstreams, milestones)
    rows = sum(len(g.milestones) for g in groups)
    height = TL_PLOT_TOP + len(groups) * TL_GROUP_H + rows * TL_ROW_H + TL_BOTTOM
    bottom = height - TL_BOTTOM + 4
    start, end = _span(workstreams, milestones, today)
    scale = _Scale(start, end, TL_PLOT_LEFT, TL_PLOT_RIGHT)
    root = _root(
        width=TL_WIDTH,
        height=height,
        id_prefix=id_prefix,
        title=title,
        desc=timeline_description(milestones, threshold_days, len(workstreams)),
        css="timeline-chart",
        role="img" if link is None else "group",
    )
    _legend(root, threshold_days)

    body = _el(root, "g", class_="rows")
    y = float(TL_PLOT_TOP)
    for group in groups:
        band = _el(body, "g", class_="workstream")
        _el(band, "rect", x=0, y=_n(y), width=TL_WIDTH, height=TL_GROUP_H, fill=BAND)
        _el(
            band,
            "text",
            _shorten(group.name, TL_LABEL_CHARS),
            x=TL_LABEL_X,
            y=_n(y + TL_GROUP_H / 2 + 5),
            font_weight="700",
        )
        ws = group.workstream
        if ws is not None and ws.start_date and ws.end_date:
            x1, x2 = scale(ws.start_date), scale(ws.end_date)
            _el(
                band,
                "rect",
                x=_n(x1),
                y=_n(y + TL_GROUP_H / 2 - 4),
                width=_n(max(x2 - x1, 2)),
                height=8,
                rx=4,
                fill=GRID,
                class_="workstream-span",
            )
        y += TL_GROUP_H
        for milestone in group.milestones:
            _milestone_row(body, milestone, group.name, y, scale, threshold_days, link)
            y += TL_ROW_H

    _axis(root, scale, start, end, bottom)
    _el(
        root,
        "line",
        x1=TL_PLOT_LEFT - 12,
        x2=TL_PLOT_LEFT - 12,
        y1=TL_PLOT_TOP,
        y2=_n(bottom),
        stroke=GRID,
        stroke_width=1,
    )
    x_today = scale(today)
    today_mark = _el(root, "g", class_="today")
    _el(today_mark, "title", f"Today, {_day(today)}")
    _el(
        today_mark,
        "line",
        x1=_n(x_today),
        x2=_n(x_today),
        y1=TL_PLOT_TOP - 4,
        y2=_n(bottom),
        stroke=TEAL,
        stroke_width=2,
        stroke_dasharray="2 3",
    )
    _el(
        today_mark,
        "text",
        "Today",
        x=_n(x_today),
        y=_n(height - 6),
        text_anchor="middle",
        font_size=11,
        font_weight="700",
        fill=TEAL,
    )
    return ET.tostring(root, encoding="unicode")


# --- Costs ------------------------------------------------------------------------------------

CC_WIDTH = 760
CC_LABEL_X = 8
CC_PLOT_LEFT = 130
CC_PLOT_RIGHT = 600
CC_LEGEND_Y = 18
CC_TOP = 40
CC_BAR_H = 14
CC_BAR_GAP = 4
CC_GROUP_GAP = 14
CC_BOTTOM = 8


@dataclass(frozen=True)
class _Bar:
    kind: str  # budget | committed | invoiced
    label: str
    value: Decimal


def cost_description(summary: CostSummary, drivers: Sequence[DriverCosts]) -> str:
    money = summary.currency
    if summary.has_budget:
        head = (
            f"Effective budget {format_money(summary.effective_budget, money)} (contract "
            f"{format_money(summary.contract_value, money)} plus approved change orders "
            f"{format_money(summary.approved_change_orders, money)})."
        )
    else:
        head = "No budget recorded yet."
    totals = (
        f"Committed {format_money(summary.committed, money)}, "
        f"invoiced {format_money(summary.invoiced, money)}."
    )
    if summary.over_budget:
        totals += " Commitments exceed the budget."
    by_driver = "; ".join(
        f"{d.label}: committed {format_amount(d.committed)}, invoiced {format_amount(d.invoiced)}"
        for d in drivers
    )
    return f"{head} {totals} By driver ({money}): {by_driver}."


def _cost_groups(
    summary: CostSummary, drivers: Sequence[DriverCosts]
) -> list[tuple[str, list[_Bar]]]:
    total = [
        _Bar("committed", "Committed", summary.committed),
        _Bar("invoiced", "Invoiced", summary.invoiced),
    ]
    if summary.has_budget:
        total.insert(0, _Bar("budget", "Budget", summary.effective_budget))
    groups = [("Total", total)]
    for d in drivers:
        groups.append(
            (
                d.label,
                [
                    _Bar("committed", "Committed", d.committed),
                    _Bar("invoiced", "Invoiced", d.invoiced),
                ],
            )
        )
    return groups


def _cost_bar(
    parent: ET.Element, bar: _Bar, x: float, y: float, width: float, pattern: str, over: bool
) -> None:
    attrs: dict[str, Any] = {
        "x": _n(x),
        "y": _n(y),
        "width": _n(max(width, 1.5)),
        "height": CC_BAR_H,
        "class_": f"bar {bar.kind}",
    }
    if bar.kind == "budget":
        attrs.update(fill=SURFACE, stroke=NAVY, stroke_width=2)
    elif bar.kind == "committed":
        attrs.update(fill=RED if over else NAVY)
    else:
        attrs.update(fill=f"url(#{pattern})", stroke=TEAL, stroke_width=1.5)
    _el(parent, "rect", **attrs)


def cost_chart(
    *,
    summary: CostSummary,
    drivers: Sequence[DriverCosts],
    title: str,
    id_prefix: str = "costs",
) -> str:
    """Budget (hollow), committed (solid) and invoiced (hatched) bars: the total first, then
    committed and invoiced for each cost driver."""
    groups = _cost_groups(summary, drivers)
    bars = sum(len(b) for _, b in groups)
    height = CC_TOP + bars * (CC_BAR_H + CC_BAR_GAP) + len(groups) * CC_GROUP_GAP + CC_BOTTOM
    root = _root(
        width=CC_WIDTH,
        height=height,
        id_prefix=id_prefix,
        title=title,
        desc=cost_description(summary, drivers),
        css="cost-chart",
    )
    pattern = f"{id_prefix}-hatch"
    defs = _el(root, "defs")
    hatch = _el(
        defs,
        "pattern",
        id=pattern,
        width=6,
        height=6,
        patternUnits="userSpaceOnUse",
        patternTransform="rotate(45)",
    )
    _el(hatch, "rect", width=6, height=6, fill=TEAL_TINT)
    _el(hatch, "line", x1=0, y1=0, x2=0, y2=6, stroke=TEAL, stroke_width=3)

    legend = _el(root, "g", class_="legend", font_size=12)
    x = float(CC_LABEL_X)
    for bar in (
        _Bar("budget", "Budget (contract + approved change orders)", Decimal(1)),
        _Bar("committed", "Committed", Decimal(1)),
        _Bar("invoiced", "Invoiced", Decimal(1)),
    ):
        _cost_bar(legend, bar, x, CC_LEGEND_Y - 11, 18, pattern, over=False)
        _el(legend, "text", bar.label, x=_n(x + 24), y=CC_LEGEND_Y)
        x += 24 + len(bar.label) * 6.6 + 22

    peak = max([b.value for _, group in groups for b in group] + [Decimal(1)])
    plot = CC_PLOT_RIGHT - CC_PLOT_LEFT
    y = float(CC_TOP)
    over = summary.over_budget
    for name, group in groups:
        block = _el(root, "g", class_="cost-group")
        group_height = len(group) * (CC_BAR_H + CC_BAR_GAP) - CC_BAR_GAP
        _el(
            block,
            "text",
            name,
            x=CC_LABEL_X,
            y=_n(y + group_height / 2 + 4),
            font_weight="700" if name == "Total" else "400",
        )
        for bar in group:
            width = float(bar.value / peak) * plot
            item = _el(block, "g")
            _el(
                item,
                "title",
                f"{name}, {bar.label.lower()}: {format_money(bar.value, summary.currency)}",
            )
            is_over = over and name == "Total" and bar.kind == "committed"
            _cost_bar(item, bar, CC_PLOT_LEFT, y, width, pattern, over=is_over)
            _el(
                item,
                "text",
                format_amount(bar.value),
                x=_n(CC_PLOT_LEFT + max(width, 1.5) + 6),
                y=_n(y + CC_BAR_H - 3),
                font_size=11,
                fill=MUTED,
            )
            y += CC_BAR_H + CC_BAR_GAP
        y += CC_GROUP_GAP
    _el(
        root,
        "line",
        x1=CC_PLOT_LEFT,
        x2=CC_PLOT_LEFT,
        y1=CC_TOP - 4,
        y2=_n(y - CC_GROUP_GAP),
        stroke=INK,
        stroke_width=1,
    )
    return ET.tostring(root, encoding="unicode")
