"""Selectors for the program dashboard and the PM workspace: one screen each, composed from
every app's selectors (which is why they live in comms, the top app), each a fixed number of
queries however much data there is."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet

from comms import selectors as comms_selectors
from comms.models import Comment
from deviations import selectors as deviation_selectors
from deviations.models import Deviation
from governance import selectors as governance_selectors
from governance.models import ActionItem, Meeting, Risk
from portal import clock
from portal.api import conditional
from portal.models import User
from programs import selectors as program_selectors
from programs.models import Milestone, Program

OVERVIEW_LIMIT = 5


@dataclass
class Overview:
    """What "how is my program doing?" needs, beyond the program row itself."""

    next_milestones: list[Milestone]
    slipped: list[Milestone]
    open_questions: list[Comment]
    open_question_count: int
    next_meeting: Meeting | None
    overdue_actions: list[ActionItem]
    open_action_count: int
    top_risks: list[Risk]
    costs: program_selectors.CostSummary
    kickoff: governance_selectors.KickoffProgress
    open_deviations: dict[str, int]

    @property
    def open_deviation_count(self) -> int:
        return sum(self.open_deviations.values())


# The overview is the same for everyone of an audience (sponsor or CDMO) at a program version,
# so it is built once per version and audience and kept (portal/api/conditional.py) until the
# program changes or time alone moves it (`overview_expiry`).
OVERVIEW_FORMAT = 1  # raise when Overview changes shape: kept ones are then ignored


def overview_expiry(overview: Overview) -> datetime.datetime:
    """When time alone changes the overview: the site's midnight (overdue items, "next"
    milestones, the KPI windows) or the next meeting's start, whichever comes first."""
    until = clock.day_start(clock.site_today() + datetime.timedelta(days=1))
    if overview.next_meeting is not None:
        until = min(until, overview.next_meeting.starts_at)
    return until


def kept_program_overview(*, user: User, program: Program) -> Overview:
    """`program_overview`, built once per program version and audience."""
    kind, audience = f"overview-{OVERVIEW_FORMAT}", conditional.audience_of(user)
    overview = conditional.kept(kind, program.pk, program.version, audience)
    if overview is None:
        overview = program_overview(user=user, program=program)
        until = overview_expiry(overview).timestamp()
        conditional.keep(kind, program.pk, program.version, audience, overview, until)
    return overview


def program_overview(*, user: User, program: Program) -> Overview:
    slipped = list(program_selectors.slipped_milestones(user, program)[:OVERVIEW_LIMIT])
    return Overview(
        next_milestones=list(program_selectors.next_milestones(user, program, OVERVIEW_LIMIT)),
        slipped=slipped,
        open_questions=list(comms_selectors.open_questions(user, program)[:OVERVIEW_LIMIT]),
        open_question_count=comms_selectors.open_question_count(user, program),
        next_meeting=governance_selectors.next_meeting(user, program),
        overdue_actions=list(
            governance_selectors.overdue_action_items(user, program)[:OVERVIEW_LIMIT]
        ),
        open_action_count=governance_selectors.open_action_items(user, program).count(),
        top_risks=governance_selectors.top_risks(user, program, limit=3),
        costs=program_selectors.cost_summary(user, program),
        kickoff=governance_selectors.kickoff_progress(program),
        open_deviations=deviation_selectors.counts_by_class(
            Deviation.objects.visible_to(user).filter(program=program)
        ),
    )


@dataclass
class Workspace:
    """A PM's morning: their programs and what needs them today."""

    programs: QuerySet[Program]
    questions: list[Comment]
    overdue_actions: list[ActionItem]
    to_write_up: list[Meeting]
    stale_forecasts: list[Milestone]

    @property
    def is_clear(self) -> bool:
        return not (
            self.questions or self.overdue_actions or self.to_write_up or self.stale_forecasts
        )


WORKSPACE_LIMIT = 25


def pm_workspace(*, user: User) -> Workspace:
    mine = (
        comms_selectors.portfolio(user=user)
        .filter(members__user=user, members__ended_at__isnull=True)
        .distinct()
    )
    return Workspace(
        programs=mine,
        questions=list(comms_selectors.questions_waiting_on_me(user)[:WORKSPACE_LIMIT]),
        overdue_actions=list(
            governance_selectors.overdue_action_items(user, None)
            .filter(program__in=mine.values("pk"))
            .select_related("program", "owner")[:WORKSPACE_LIMIT]
        ),
        to_write_up=list(
            governance_selectors.meetings_to_write_up(user).select_related("program")[
                :WORKSPACE_LIMIT
            ]
        ),
        stale_forecasts=list(
            program_selectors.stale_forecasts(user).select_related("program")[:WORKSPACE_LIMIT]
        ),
    )
