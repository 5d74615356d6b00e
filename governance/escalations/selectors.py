"""Reads for escalations: the path in force, who hears at a level, the leadership queue, the
look-ahead and the portfolio. Every list is scoped by `portal.access` and costs a fixed number
of queries whatever the number of rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.http import Http404

from governance.escalations.models import (
    REFERENCE_PREFIX,
    Escalation,
    EscalationLevel,
    EscalationPath,
)
from portal import access, bounds
from portal.models import Membership, Organisation, User
from programs.models import Milestone, Program, ProgramMember
from programs.selectors import quality_people

Role = EscalationLevel.Role

# The CDMO's path when leadership has not saved one: the PM, then QA, then leadership, each
# with one business day to acknowledge.
BUILT_IN_LEVELS = (
    (Role.PM, 1, "business_days"),
    (Role.QA, 1, "business_days"),
    (Role.LEADERSHIP, 1, "business_days"),
)

OPEN = Q(resolved_at__isnull=True)
UNACKNOWLEDGED = Q(acknowledged_at__isnull=True, resolved_at__isnull=True)
STATUS_FILTERS = {
    "open": OPEN,
    "unacknowledged": UNACKNOWLEDGED,
    "acknowledged": Q(acknowledged_at__isnull=False, resolved_at__isnull=True),
    "resolved": Q(resolved_at__isnull=False),
    "all": Q(),
}
LOOK_AHEAD = datetime.timedelta(hours=24)
FIRST_YEAR, LAST_YEAR = bounds.EARLIEST_DATE.year, bounds.LATEST_DATE.year


def due(at: datetime.datetime) -> Q:
    """Unacknowledged open escalations whose level's window has closed by `at` (the sweep's
    filter, served by the partial index `escalation_due`)."""
    return UNACKNOWLEDGED & Q(due_at__lte=at)


def path_levels(paths: list[EscalationPath]) -> list[EscalationLevel]:
    """The levels of the first saved path with levels, or the built-in ones."""
    for path in paths:
        levels = list(path.levels.all())
        if levels:
            return levels
    return [
        EscalationLevel(position=n, role=role, window=window, window_unit=unit)
        for n, (role, window, unit) in enumerate(BUILT_IN_LEVELS, start=1)
    ]


def effective_levels(program: Program) -> list[EscalationLevel]:
    """The program's own path, else the CDMO's default, else the built-in one."""
    paths = (
        EscalationPath.objects.filter(Q(program=program) | Q(site_default=True))
        .select_related("program")
        .prefetch_related("levels__person")
        .order_by("site_default")
    )
    return path_levels(list(paths))


def path_in_force(program: Program | None) -> tuple[list[EscalationLevel], bool]:
    """The levels in force for `program` (None: the CDMO's default path) and whether they are
    the built-in ones (no saved path applies). Two queries."""
    paths = list(
        EscalationPath.objects.filter(
            Q(site_default=True) if program is None else Q(program=program) | Q(site_default=True)
        )
        .prefetch_related("levels__person")
        .order_by("site_default")
    )
    saved = [path for path in paths if path.levels.all()]
    return path_levels(saved), not saved


def active_person(email: str) -> User | None:
    """The active account with this address (any case), for naming someone in a path or an
    assignment; the service decides whether they may be named."""
    return User.objects.filter(email__iexact=email, is_active=True).first()


def concern_level(levels: list[EscalationLevel]) -> int:
    """Where a sponsor's concern starts: the path's first leadership level (else its last)."""
    for level in levels:
        if level.role == Role.LEADERSHIP:
            return level.position
    return levels[-1].position


def level_recipients(escalation: Escalation) -> list[User]:
    """Who must hear about `escalation` at its current level: the named person, or the members
    of the level's role on the program (PM, team) or at the CDMO (QA, leadership)."""
    levels = effective_levels(escalation.program)
    level = next((lv for lv in levels if lv.position == escalation.level), levels[-1])
    if level.person_id is not None:
        return [level.person] if level.person else []
    users = User.objects.filter(is_active=True)
    members = ProgramMember.objects.active().filter(program_id=escalation.program_id)
    cdmo = Q(membership__organisation__kind=Organisation.Kind.CDMO)
    if level.role == Role.PM:
        users = users.filter(
            pk__in=members.filter(role=ProgramMember.Role.DEDICATED_PM).values("user_id")
        )
    elif level.role == Role.TEAM:  # an assignment as QA does not make one of the team
        team = members.exclude(role=ProgramMember.Role.QA)
        users = users.filter(cdmo, pk__in=team.values("user_id"))
    elif level.role == Role.QA:
        return list(quality_people(escalation.program_id))
    else:
        users = users.filter(cdmo, membership__role=Membership.Role.LEADERSHIP)
    return list(users.order_by("pk"))


def escalation_list(user: Any, *, status: str = "open") -> QuerySet[Escalation]:
    """The escalations `user` may see (a sponsor: their own programs' concerns only)."""
    queryset = Escalation.objects.visible_to(user).filter(STATUS_FILTERS.get(status, OPEN))
    return queryset.select_related(
        "program", "program__sponsor", "assigned_to", "acknowledged_by", "resolved_by", "raised_by"
    )


def escalation_by_reference(user: Any, reference: str) -> Escalation:
    """ESC-YYYY-NNNN → the escalation, a 404 for anything else or anything not visible."""
    parts = reference.split("-")
    if len(parts) != 3 or parts[0] != REFERENCE_PREFIX:
        raise Http404("No such escalation.")
    year, number = parts[1], parts[2]
    if not (year.isdigit() and len(year) == 4 and number.isdigit() and len(number) <= 9):
        raise Http404("No such escalation.")
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise Http404("No such escalation.")
    found = (
        escalation_list(user, status="all")
        .filter(pk=int(number), raised_at__year=int(year))
        .first()
    )
    if found is None:
        raise Http404("No such escalation.")
    return found


def escalation_grant(user: Any, pk: int) -> access.Grant[Escalation]:
    """One escalation the user may see, with what they may do to it."""
    queryset = escalation_list(user, status="all").prefetch_related("program__members")
    return access.grant(user, queryset, pk=pk, not_found="No such escalation.")


def look_ahead(until: datetime.datetime) -> QuerySet[Escalation]:
    """What the sweep would move to the next level by `until` (changes nothing)."""
    return (
        Escalation.objects.filter(due(until))
        .select_related("program", "program__sponsor")
        .order_by("due_at", "id")
    )


@dataclass(frozen=True)
class PortfolioRow:
    program: Program
    open_escalations: int
    top_level: int
    slips: int
    critical_deviations: int


def portfolio(user: Any, *, sponsor_id: int | None = None) -> list[PortfolioRow]:
    """Every program the user sees, with its health, open escalations, slipping milestones and
    open critical deviations: four queries, whatever the number of programs."""
    programs = Program.objects.visible_to(user).select_related("sponsor")
    if sponsor_id is not None:
        programs = programs.filter(sponsor_id=sponsor_id)
    programs = programs.annotate(
        critical=Count(
            "deviations",
            filter=Q(
                deviations__classification="critical",
                deviations__status__in=["open", "investigating", "pending_capa"],
            ),
        )
    ).order_by("sponsor__name", "code")
    rows = list(programs)
    ids = [program.pk for program in rows]
    escalations: dict[int, tuple[int, int]] = {}
    for item in (
        Escalation.objects.filter(OPEN, program_id__in=ids)
        .order_by()
        .values("program_id")
        .annotate(n=Count("id"), top=Max("level"))
    ):
        escalations[item["program_id"]] = (item["n"], item["top"])
    slips: dict[int, int] = {}
    thresholds = {program.pk: program.slip_threshold_days for program in rows}
    for milestone in Milestone.objects.filter(program_id__in=ids, actual_date__isnull=True).only(
        "program_id", "baseline_date", "forecast_date", "actual_date"
    ):
        if milestone.slip_days > thresholds[milestone.program_id]:
            slips[milestone.program_id] = slips.get(milestone.program_id, 0) + 1
    return [
        PortfolioRow(
            program=program,
            open_escalations=escalations.get(program.pk, (0, 0))[0],
            top_level=escalations.get(program.pk, (0, 0))[1],
            slips=slips.get(program.pk, 0),
            critical_deviations=program.critical,
        )
        for program in rows
    ]


def sponsors() -> QuerySet[Organisation]:
    return Organisation.objects.filter(kind=Organisation.Kind.SPONSOR).order_by("name")
