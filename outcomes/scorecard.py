"""The partnership scorecard: each program's KPIs against their targets, side by side, and one
figure per sponsor (or for the whole portfolio) computed from the rows, never averaged.

Reads only: the programs come from the caller's scoped queryset, the figures from
`outcomes.kpis` with the caller as the reader (a sponsor's figure counts only what the sponsor
may see). The query count does not depend on the number of programs, sponsors or records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.http import Http404

from outcomes import kpis, periods
from outcomes.periods import Period, PeriodKind
from portal import access
from portal.models import Organisation
from programs import kpi_catalogue
from programs.kpi_catalogue import KpiDefinition
from programs.models import KpiTarget, Program

# How many points a trend has for each kind of period.
TREND_POINTS = {PeriodKind.MONTH: 12, PeriodKind.QUARTER: 8, PeriodKind.ROLLING_12: 12}


@dataclass(frozen=True)
class Figure:
    """One KPI's value in a period against its target (None where none was agreed)."""

    value: kpis.KpiValue
    target: Decimal | None

    @property
    def definition(self) -> KpiDefinition:
        return self.value.definition

    @property
    def status(self) -> kpis.KpiStatus:
        return kpis.status_against(self.value, self.target)


@dataclass
class ProgramCard:
    program: Program
    figures: list[Figure]


@dataclass
class ScorecardRow:
    definition: KpiDefinition
    cells: list[tuple[Program, Figure]]
    overall: Figure


@dataclass
class SponsorCard:
    sponsor: Organisation
    overall: list[Figure]
    programs: list[ProgramCard] = field(default_factory=list)

    def rows(self) -> list[ScorecardRow]:
        """The card as the page lays it out: a row per KPI, a column per program."""
        return [
            ScorecardRow(
                definition,
                [(card.program, card.figures[index]) for card in self.programs],
                self.overall[index],
            )
            for index, definition in enumerate(kpi_catalogue.CATALOGUE)
        ]


@dataclass
class TrendPoint:
    period: Period
    value: kpis.KpiValue


def targets_of(program_ids: Sequence[int]) -> dict[int, dict[str, Decimal]]:
    agreed: dict[int, dict[str, Decimal]] = defaultdict(dict)
    rows = KpiTarget.objects.filter(program_id__in=program_ids).values_list(
        "program_id", "kpi", "target"
    )
    for program_id, key, target in rows:
        agreed[program_id][key] = target
    return agreed


def program_figures(program: Program, period: Period, user: Any) -> list[Figure]:
    values = kpis.kpis_for(program_ids=[program.pk], period=period, user=user)[program.pk]
    agreed = targets_of([program.pk])[program.pk]
    return [Figure(values[d.key], agreed.get(d.key)) for d in kpi_catalogue.CATALOGUE]


def trend_periods(period: Period) -> list[Period]:
    """The points of a trend ending with `period`: months for a month or the rolling year
    (the rolling year's trend is the year month by month), quarters for a quarter."""
    if period.kind == PeriodKind.QUARTER:
        return periods.series(PeriodKind.QUARTER, TREND_POINTS[PeriodKind.QUARTER], period)
    last = periods.ending(PeriodKind.MONTH, period.last_day)
    return [
        p
        for p in periods.series(PeriodKind.MONTH, TREND_POINTS[PeriodKind.MONTH], last)
        if p.start >= periods.oldest_retained()
    ]


def program_trends(program: Program, period: Period, user: Any) -> dict[str, list[TrendPoint]]:
    """Each KPI of the program over the trend's periods: one query per KPI's kind of record."""
    points = trend_periods(period)
    return {
        d.key: [
            TrendPoint(p, v)
            for p, v in zip(
                points,
                kpis.kpi_trend(program_ids=[program.pk], kpi=d.key, periods=points, user=user),
                strict=True,
            )
        ]
        for d in kpi_catalogue.CATALOGUE
    }


def sponsor_cards(programs: Sequence[Program], period: Period, user: Any) -> list[SponsorCard]:
    """One card per sponsor of `programs` (already scoped to `user`), each program's figures
    and the sponsor's overall figures from all its programs' rows."""
    ids = [p.pk for p in programs]
    values = kpis.kpis_for(program_ids=ids, period=period, user=user)
    agreed = targets_of(ids)
    by_sponsor: dict[int, list[Program]] = defaultdict(list)
    for program in programs:
        by_sponsor[program.sponsor_id].append(program)
    cards = []
    for sponsor_programs in by_sponsor.values():
        overall = kpis.kpis_overall(
            program_ids=[p.pk for p in sponsor_programs], period=period, user=user
        )
        card = SponsorCard(
            sponsor=sponsor_programs[0].sponsor,
            overall=[Figure(overall[d.key], None) for d in kpi_catalogue.CATALOGUE],
        )
        for program in sponsor_programs:
            card.programs.append(
                ProgramCard(
                    program,
                    [
                        Figure(values[program.pk][d.key], agreed[program.pk].get(d.key))
                        for d in kpi_catalogue.CATALOGUE
                    ],
                )
            )
        cards.append(card)
    return sorted(cards, key=lambda c: c.sponsor.name)


def portfolio(programs: Sequence[Program], period: Period, user: Any) -> list[Figure]:
    """The overall figures across every program in `programs` (leadership's portfolio)."""
    overall = kpis.kpis_overall(program_ids=[p.pk for p in programs], period=period, user=user)
    return [Figure(overall[d.key], None) for d in kpi_catalogue.CATALOGUE]


def scorecard_programs(user: Any, sponsor: Organisation | None = None) -> list[Program]:
    """The active and completed programs `user` may see (of `sponsor`, when given)."""
    programs = Program.objects.visible_to(user).select_related("sponsor")
    if sponsor is not None:
        programs = programs.filter(sponsor=sponsor)
    return list(
        programs.exclude(status=Program.Status.TERMINATED).order_by("sponsor__name", "code")
    )


def sponsor_for(user: Any, slug: str) -> Organisation:
    """The sponsor organisation named by `slug` if `user` may see its scorecard: CDMO members
    see every sponsor's, a sponsor's users only their own (another's is a 404)."""
    who = access.viewer(user)
    sponsor = Organisation.objects.filter(slug=slug, kind=Organisation.Kind.SPONSOR).first()
    if who is None or sponsor is None:
        raise Http404("No such sponsor.")
    if not who.is_cdmo and who.organisation_id != sponsor.pk:
        raise Http404("No such sponsor.")
    return sponsor
