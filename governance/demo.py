"""Demo kick-offs, cadences with written-up meetings and action items, and risk registers.

Runs after programs.demo (the workstreams and their owners exist) and through the services.
Past meetings are made by running the cadence generator with its clock set weeks back, exactly
as the daily task would have done at the time; then they are written up.

HLX-101: kick-off complete (baselines frozen), weekly on Tuesdays 15:00 London, past calls
written up with some action items overdue. HLX-204: bi-weekly, running smoothly. BOR-017:
kick-off in progress, three of five checklist items done.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from governance.models import CadenceSchedule, Meeting
from governance.services.actions import action_item_complete
from governance.services.cadence import cadence_create, cadence_generate_meetings
from governance.services.kickoff import kickoff_complete, kickoff_confirm, kickoff_record
from governance.services.meetings import ActionItemDraft, meeting_write_up
from governance.services.risks import risk_create
from portal import clock
from portal.access import Audience
from portal.models import User
from programs.kpi_catalogue import Kpi
from programs.models import Program
from programs.services.targets import kpi_targets_set

if TYPE_CHECKING:
    from programs.demo import Demo

PM = "pm@northbridge.example"
QA = "qa@northbridge.example"
LEADER = "leader@northbridge.example"
HELIX_LEAD = "sponsor@helix.example"
HELIX_VIEWER = "viewer@helix.example"
BOREALIS_LEAD = "sponsor@borealis.example"

# Minutes of past calls, oldest first: (minutes, decisions, [(action, owner, due in days)]).
HLX_101_CALLS = [
    (
        "Reviewed the tech transfer package. Helix confirmed the reference standard lot for the "
        "analytical transfer. Northbridge raised the Protein A resin lead time.",
        "Proceed with the engineering run scheduling on the current process description.",
        [
            ("Send the signed process description v1.2", HELIX_LEAD, 5),
            ("Confirm resin lot reservation with the alternate distributor", PM, 7),
        ],
    ),
    (
        "Analytical method transfer: two of five methods passed comparability. The HCP ELISA "
        "needs a second run. Resin: alternate lot reserved, delivery in week 14.",
        "Keep GMP batch 1 start date under review until the resin delivery is confirmed.",
        [
            ("Share the HCP ELISA critical reagent certificate", HELIX_VIEWER, 4),
            ("Issue the engineering run batch record for Helix review", QA, 10),
        ],
    ),
    (
        "Engineering run preparation on track. Helix asked for a walkthrough of the deviation "
        "handling process before GMP batch 1.",
        "Deviation process walkthrough added to the next call.",
        [("Prepare the deviation handling walkthrough", QA, 30)],
    ),
]
HLX_204_CALLS = [
    (
        "Batch 24-118 released two days early. Q3 forecast confirmed. No open deviations.",
        "Keep the rolling 12-week forecast cadence.",
        [("Send the updated 12-week supply forecast", PM, 30)],
    ),
]


def _past_and_future_meetings(schedule: CadenceSchedule, weeks_back: int) -> None:
    """Run the generator as it ran `weeks_back` weeks ago (creating the calls held since),
    then as today (creating the calls ahead)."""
    then = timezone.now() - datetime.timedelta(weeks=weeks_back)
    cadence_generate_meetings(schedule, horizon_weeks=weeks_back, now=then)
    cadence_generate_meetings(schedule)


def _write_up(
    meetings: list[Meeting],
    calls: list[tuple[str, str, list[tuple[str, str, int]]]],
    people: dict[str, User],
    pm: User,
) -> None:
    for held, (minutes, decisions, actions) in zip(meetings, calls, strict=False):
        day = held.local_start.date()
        meeting_write_up(
            actor=pm,
            meeting=held,
            present=list(held.attendees.all()),
            minutes=minutes,
            minutes_audience=Audience.SPONSOR,
            decisions=decisions,
            decisions_audience=Audience.SPONSOR,
            action_items=[
                ActionItemDraft(
                    title=title,
                    owner=people[owner],
                    due_date=day + datetime.timedelta(days=due_in),
                    audience=Audience.SPONSOR,
                )
                for title, owner, due_in in actions
            ],
        )


def _past(schedule: CadenceSchedule) -> list[Meeting]:
    return list(schedule.meetings.filter(starts_at__lt=timezone.now()).order_by("starts_at"))


# What the demo's kick-offs agreed (the decisions text names the first two).
DEMO_TARGETS: dict[str, Decimal | None] = {
    Kpi.ON_TIME_RELEASE: Decimal(95),
    Kpi.RIGHT_FIRST_TIME: Decimal(90),
    Kpi.OTIF: Decimal(90),
    Kpi.DEVIATIONS_PER_BATCH: Decimal("0.5"),
    Kpi.TIME_TO_NOTIFY: Decimal(24),
    Kpi.NOTIFIED_IN_WINDOW: Decimal(100),
    Kpi.TIME_TO_ACKNOWLEDGE: Decimal(48),
    Kpi.MILESTONES_ON_TIME: Decimal(85),
    Kpi.CADENCE_ADHERENCE: Decimal(90),
    Kpi.MINUTES_ON_TIME: Decimal(90),
    Kpi.ACTIONS_ON_TIME: Decimal(80),
    Kpi.TIME_TO_ANSWER: Decimal(48),
    Kpi.CHANGE_ORDER_TURNAROUND: Decimal(10),
    Kpi.ESCALATIONS_IN_WINDOW: Decimal(90),
}


def _kickoff(
    program: Program,
    pm: User,
    attendees: list[User],
    held_days_ago: int,
    *,
    confirm_baseline: bool = True,
    targets: bool = True,
    complete: bool = True,
) -> None:
    kickoff_record(
        actor=pm,
        program=program,
        held_on=clock.site_today() - datetime.timedelta(days=held_days_ago),
        attendees=attendees,
        agenda=(
            "1. Full timeline and baseline dates\n2. Workstream owners on both sides\n"
            "3. Meeting cadence and escalation path\n4. KPI targets: on-time release, "
            "right-first-time, supply continuity"
        ),
        decisions=(
            "Baseline timeline agreed as presented. Weekly call with the core team; "
            "leadership joins monthly. KPI targets: 95% on-time batch release, 90% "
            "right-first-time."
        ),
    )
    if confirm_baseline:
        kickoff_confirm(actor=pm, program=program, item="baseline")
    if targets:
        kpi_targets_set(actor=pm, program=program, targets=DEMO_TARGETS)
    if complete:
        program.forget_members()
        kickoff_complete(actor=pm, program=program)


def _risks(
    program: Program,
    pm: User,
    rows: list[tuple[str, int, int, str, str, str, int]],
    *,
    internal: tuple[str, ...] = (),
) -> None:
    """Shared with the sponsor, except the titles in `internal` (the CDMO's own concerns)."""
    today = clock.site_today()
    for title, likelihood, impact, mitigation, contingency, status, review_in in rows:
        risk_create(
            actor=pm,
            program=program,
            title=title,
            likelihood=likelihood,
            impact=impact,
            owner=pm,
            mitigation=mitigation,
            contingency=contingency,
            status=status,
            review_date=today + datetime.timedelta(days=review_in),
            audience=Audience.INTERNAL if title in internal else Audience.SPONSOR,
        )


def seed(demo: Demo) -> None:
    people, programs = demo.people, demo.programs
    pm, qa, leader = people[PM], people[QA], people[LEADER]
    helix, viewer, borealis = people[HELIX_LEAD], people[HELIX_VIEWER], people[BOREALIS_LEAD]
    today = clock.site_today()

    hlx101 = programs["HLX-101"]
    weekly = cadence_create(
        actor=pm,
        program=hlx101,
        title="Weekly program call",
        frequency=CadenceSchedule.Frequency.WEEKLY,
        weekday=CadenceSchedule.Weekday.TUESDAY,
        local_time=datetime.time(15, 0),
        time_zone="Europe/London",
        starts_on=today - datetime.timedelta(weeks=10),
        attendees=[pm, qa, helix, viewer],
    )
    _kickoff(hlx101, pm, [pm, leader, qa, helix, viewer], held_days_ago=120)
    _past_and_future_meetings(weekly, weeks_back=4)
    past = _past(weekly)
    _write_up(past[-len(HLX_101_CALLS) - 1 : -1], HLX_101_CALLS, people, pm)
    first_action = past[0].action_items.order_by("id").first() if past else None
    if first_action is not None:
        action_item_complete(actor=helix, item=first_action)
    _risks(
        hlx101,
        pm,
        [
            (
                "Protein A resin supply delay",
                4,
                5,
                "Second lot reserved with the alternate distributor; weekly supplier calls.",
                "Start GMP batch 1 with the reserved lot; re-sequence batches 2 and 3.",
                "open",
                7,
            ),
            (
                "HCP ELISA method transfer fails comparability",
                3,
                3,
                "Second comparability run with Helix's critical reagent lot.",
                "Release batch 1 on Helix's lab results under a technical agreement.",
                "open",
                14,
            ),
            (
                "Bioreactor 2 maintenance overruns",
                2,
                3,
                "Maintenance window booked before the engineering run.",
                "Move the engineering run to bioreactor 3 (same scale).",
                "mitigated",
                30,
            ),
        ],
        internal=("Bioreactor 2 maintenance overruns",),
    )

    hlx204 = programs["HLX-204"]
    biweekly = cadence_create(
        actor=pm,
        program=hlx204,
        title="Velaprex supply review",
        frequency=CadenceSchedule.Frequency.BIWEEKLY,
        weekday=CadenceSchedule.Weekday.THURSDAY,
        local_time=datetime.time(16, 0),
        time_zone="Europe/London",
        starts_on=today - datetime.timedelta(weeks=30),
        attendees=[pm, helix],
    )
    _kickoff(hlx204, pm, [pm, leader, helix], held_days_ago=600)
    _past_and_future_meetings(biweekly, weeks_back=4)
    _write_up(_past(biweekly)[-1:], HLX_204_CALLS, people, pm)
    _risks(
        hlx204,
        pm,
        [
            (
                "API supplier single source",
                2,
                4,
                "Second API supplier qualification in progress (Helix regulatory).",
                "Draw on the 16-week safety stock at the Rotterdam depot.",
                "open",
                30,
            ),
            (
                "Blister foil price increase",
                3,
                2,
                "Annual price agreement signed until December.",
                "Pass-through per the supply agreement.",
                "open",
                60,
            ),
        ],
    )

    bor017 = programs["BOR-017"]
    _kickoff(bor017, pm, [pm, borealis], held_days_ago=2, targets=False, complete=False)
    cadence_create(
        actor=pm,
        program=bor017,
        title="Weekly program call",
        frequency=CadenceSchedule.Frequency.WEEKLY,
        weekday=CadenceSchedule.Weekday.WEDNESDAY,
        local_time=datetime.time(14, 0),
        time_zone="Europe/Helsinki",
        starts_on=today,
        attendees=[pm, borealis],
    )
    _risks(
        bor017,
        pm,
        [
            (
                "Vein-to-vein logistics exceed the 48 h stability window",
                3,
                5,
                "Qualified courier with temperature logging; shipping lanes validated.",
                "Cryopreserve at the apheresis site and ship frozen.",
                "open",
                10,
            ),
            (
                "Viral vector lot release slips",
                3,
                3,
                "Release testing slots booked with the vector supplier.",
                "Start the first patient lots with the engineering vector lot under deviation.",
                "open",
                21,
            ),
        ],
    )
