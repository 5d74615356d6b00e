"""A KPI's trend as a small server-drawn SVG line, with its target as a dashed rule.

Drawn with the same pieces and palette as the timeline and cost charts (`programs.svg`): an
`img` with a <title> and a <desc> that say the figures in words, presentation attributes only
(the CSP forbids inline styles), and the page carries a table with the same figures.
A period with nothing to measure is a gap in the line, never a zero.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal

from django.utils.safestring import SafeString, mark_safe

from outcomes.scorecard import TrendPoint
from programs import kpi_catalogue
from programs.kpi_catalogue import KpiDefinition
from programs.svg import BLUE_DARK, GRID, MUTED, RED, _el, _n, _root

WIDTH = 240
HEIGHT = 64
PAD_X = 6
PAD_Y = 8


def _shown(value: Decimal | None, definition: KpiDefinition) -> str:
    if value is None:
        return "no data"
    return f"{value} {definition.unit_label}"


def trend_description(
    definition: KpiDefinition, points: Sequence[TrendPoint], target: Decimal | None
) -> str:
    said = "; ".join(f"{p.period.label}: {_shown(p.value.value, definition)}" for p in points)
    goal = f" Target: {_shown(target, definition)}." if target is not None else ""
    return f"{definition.name}, {len(points)} periods. {said}.{goal}"


def trend_chart(
    definition: KpiDefinition,
    points: Sequence[TrendPoint],
    target: Decimal | None,
    *,
    id_prefix: str,
) -> SafeString:
    values = [p.value.value for p in points]
    known = [v for v in values if v is not None]
    top = (
        kpi_catalogue.unit_limit(definition.unit)
        if definition.unit == kpi_catalogue.Unit.PERCENT
        else max([*known, target or Decimal(0), Decimal(1)]) * Decimal("1.15")
    )
    root = _root(
        width=WIDTH,
        height=HEIGHT,
        id_prefix=id_prefix,
        title=f"{definition.name}: trend",
        desc=trend_description(definition, points, target),
        css="kpi-trend",
    )
    step = (WIDTH - 2 * PAD_X) / max(len(points) - 1, 1)

    def y(value: Decimal) -> float:
        return HEIGHT - PAD_Y - float(value / top) * (HEIGHT - 2 * PAD_Y)

    _el(
        root,
        "line",
        x1=PAD_X,
        x2=WIDTH - PAD_X,
        y1=_n(y(Decimal(0))),
        y2=_n(y(Decimal(0))),
        stroke=GRID,
    )
    if target is not None:
        _el(
            root,
            "line",
            x1=PAD_X,
            x2=WIDTH - PAD_X,
            y1=_n(y(target)),
            y2=_n(y(target)),
            stroke=RED,
            stroke_dasharray="4 3",
            stroke_width=1,
        )
    runs: list[list[str]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
            continue
        x, at = _n(PAD_X + index * step), _n(y(value))
        runs[-1].append(f"{x},{at}")
        _el(root, "circle", cx=x, cy=at, r=2.5, fill=BLUE_DARK)
    for run in runs:
        if len(run) > 1:
            _el(
                root,
                "polyline",
                points=" ".join(run),
                fill="none",
                stroke=BLUE_DARK,
                stroke_width=1.5,
            )
    if not known:
        _el(root, "text", "No data", x=WIDTH / 2, y=HEIGHT / 2, text_anchor="middle", fill=MUTED)
    return mark_safe(ET.tostring(root, encoding="unicode"))  # noqa: S308  # ElementTree escaped it
