"""Hand-built records for the KPI tests: each helper writes one row with only the fields a KPI
reads, straight to the table (the services' own rules are tested with the services)."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import time_machine
from django.utils import timezone

from comms.models import Comment
from deviations.models import Deviation
from governance.models import ActionItem, CadenceSchedule, Escalation, EscalationStep, Meeting
from portal import audit, clock
from portal.access import Audience
from portal.models import AuditEntry, User
from programs.models import Batch, ChangeOrder, Milestone, Program

_numbers = itertools.count(1)


def at(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    """A site-local wall-clock moment on `day`, as an aware datetime."""
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=clock.site_zone()
    ).astimezone(datetime.UTC)


def batch(
    program: Program,
    *,
    planned: datetime.date,
    released: datetime.date | None = None,
    disposition: str = Batch.Disposition.RELEASED,
    committed: str = "100",
    delivered: str | None = "100",
    reworked: bool = False,
) -> Batch:
    decided = disposition in Batch.DECIDED
    return Batch.objects.create(
        program=program,
        lot_number=f"L-{next(_numbers)}",
        planned_start=planned - datetime.timedelta(days=20),
        actual_start=planned - datetime.timedelta(days=20) if released else None,
        planned_release=planned,
        actual_release=released,
        quantity_committed=Decimal(committed),
        quantity_delivered=Decimal(delivered) if delivered is not None else None,
        disposition=disposition,
        reworked=reworked,
        disposition_at=at(released) if decided and released else None,
    )


def deviation(
    program: Program,
    user: User,
    *,
    aware: datetime.datetime,
    due_hours: int = 24,
    notified: datetime.datetime | None = None,
    acknowledged: datetime.datetime | None = None,
    status: str = Deviation.Status.OPEN,
    batches: tuple[Batch, ...] = (),
) -> Deviation:
    row = Deviation.objects.create(
        reference=f"DEV-2026-{next(_numbers):04d}",
        program=program,
        title="Temperature excursion",
        description="Hand-built for a KPI test.",
        classification=Deviation.Classification.MAJOR,
        status=status,
        occurred_at=aware,
        aware_at=aware,
        notification_due=aware + datetime.timedelta(hours=due_hours),
        sponsor_notified_at=notified,
        seconds_to_notify=int((notified - aware).total_seconds()) if notified else None,
        sponsor_acknowledged_at=acknowledged,
        seconds_to_acknowledge=(
            int((acknowledged - notified).total_seconds()) if acknowledged and notified else None
        ),
        investigation_due=aware + datetime.timedelta(days=30),
        logged_by=user,
    )
    row.batches.set(batches)
    return row


def milestone(program: Program, *, baseline: datetime.date, actual: datetime.date | None):
    return Milestone.objects.create(
        program=program,
        name=f"Milestone {next(_numbers)}",
        baseline_date=baseline,
        forecast_date=actual or baseline,
        actual_date=actual,
    )


def cadence(program: Program) -> CadenceSchedule:
    return CadenceSchedule.objects.create(
        program=program,
        frequency=CadenceSchedule.Frequency.WEEKLY,
        weekday=0,
        local_time=datetime.time(10),
        time_zone="UTC",
        starts_on=datetime.date(2025, 1, 1),
    )


def meeting(
    program: Program,
    *,
    starts: datetime.datetime,
    status: str = Meeting.Status.HELD,
    schedule: CadenceSchedule | None = None,
) -> Meeting:
    return Meeting.objects.create(
        program=program, schedule=schedule, title="Weekly call", starts_at=starts, status=status
    )


def share_minutes(meeting: Meeting, user: User, when: datetime.datetime) -> None:
    """What `meeting_share` (or a write-up shared at once) leaves behind at `when`: the audit
    entry that set the minutes' audience to sponsor."""
    Meeting.objects.filter(pk=meeting.pk).update(minutes_audience=Audience.SPONSOR)
    with time_machine.travel(when, tick=False):
        audit.record(
            actor=user,
            action=AuditEntry.Action.UPDATE,
            instance=meeting,
            changes={"minutes_audience": [Audience.INTERNAL, Audience.SPONSOR]},
            program_id=meeting.program_id,
        )


def action(
    program: Program,
    owner: User,
    *,
    due: datetime.date,
    completed: datetime.datetime | None = None,
    status: str | None = None,
    audience: str = Audience.SPONSOR,
) -> ActionItem:
    return ActionItem.objects.create(
        program=program,
        title=f"Action {next(_numbers)}",
        owner=owner,
        due_date=due,
        status=status or (ActionItem.Status.DONE if completed else ActionItem.Status.OPEN),
        completed_at=completed,
        audience=audience,
    )


def question(
    program: Program, author: User, *, asked: datetime.datetime, answered: datetime.datetime | None
) -> Comment:
    target = Milestone.objects.filter(program=program).first() or milestone(
        program, baseline=asked.date(), actual=None
    )
    row = Comment.objects.create(
        program=program,
        milestone=target,
        author=author,
        body="When will the lot ship?",
        audience=Audience.SPONSOR,
        is_question=True,
        answered_at=answered,
        answer_seconds=int((answered - asked).total_seconds()) if answered else None,
    )
    Comment.objects.filter(pk=row.pk).update(created_at=asked)
    return row


def change_order(
    program: Program,
    user: User,
    *,
    proposed: datetime.datetime,
    decided: datetime.datetime | None,
    status: str = ChangeOrder.Status.APPROVED,
) -> ChangeOrder:
    row = ChangeOrder.objects.create(
        program=program,
        reference=f"CO-{next(_numbers):03d}",
        title="Extra batch",
        rationale="Demand.",
        amount=Decimal("1000"),
        status=status if decided else ChangeOrder.Status.PROPOSED,
        proposed_by=user,
        decided_by=user if decided else None,
        decided_at=decided,
    )
    ChangeOrder.objects.filter(pk=row.pk).update(proposed_at=proposed)
    return row


def escalation(
    program: Program,
    *,
    raised: datetime.datetime,
    window_hours: int = 24,
    acknowledged: datetime.datetime | None = None,
    resolved: datetime.datetime | None = None,
    moved_at: datetime.datetime | None = None,
    audience: str = Audience.INTERNAL,
) -> Escalation:
    due = raised + datetime.timedelta(hours=window_hours)
    row = Escalation.objects.create(
        program=program,
        subject_kind=Escalation.Subject.ISSUE,
        title="Supply at risk",
        raised_at=raised,
        audience=audience,
        level=2 if moved_at else 1,
        level_started_at=moved_at or raised,
        due_at=None if moved_at else due,
        acknowledged_at=acknowledged,
        resolved_at=resolved,
        resolution="Resolved." if resolved else "",
    )
    EscalationStep.objects.create(escalation=row, level=1, at=raised, due_at=due)
    if moved_at:
        EscalationStep.objects.create(escalation=row, level=2, at=moved_at)
    return row


def now() -> datetime.datetime:
    return timezone.now()


def fill(program: Program, pm: User, sponsor: User, n: int, month: datetime.date) -> None:
    """`n` records of every kind a KPI counts, in the month starting `month`, with mixed
    outcomes (on time and late, shared and internal, in and out of the window)."""
    schedule = cadence(program)
    hour = datetime.timedelta(hours=1)
    for i in range(n):
        day = month + datetime.timedelta(days=i % 27)
        late = i % 3 == 0
        lot = batch(
            program,
            planned=day,
            released=day + datetime.timedelta(days=1 if late else 0),
            delivered="90" if i % 4 == 0 else "100",
            reworked=i % 5 == 0,
            disposition=Batch.Disposition.REJECTED if i % 7 == 0 else Batch.Disposition.RELEASED,
        )
        aware = at(day, 8)
        deviation(
            program,
            pm,
            aware=aware,
            notified=aware + (30 if late else 3) * hour,
            acknowledged=aware + (40 if late else 5) * hour,
            batches=(lot,) if i % 2 else (),
        )
        milestone(program, baseline=day, actual=day + datetime.timedelta(days=late))
        held = meeting(
            program,
            starts=at(day, 10),
            schedule=schedule,
            status=Meeting.Status.CANCELLED if late else Meeting.Status.HELD,
        )
        if not late and i % 2:
            share_minutes(held, pm, at(day, 18))
        action(
            program,
            pm,
            due=day,
            completed=at(day + datetime.timedelta(days=late), 9),
            audience=Audience.INTERNAL if i % 2 else Audience.SPONSOR,
        )
        question(program, sponsor, asked=at(day, 9), answered=at(day, 9) + (i + 1) * hour)
        change_order(program, pm, proposed=at(day, 9), decided=at(day, 9) + (i + 1) * 24 * hour)
        escalation(
            program,
            raised=at(day, 9),
            acknowledged=at(day, 9) + (30 if late else 2) * hour,
            resolved=at(day, 9) + 48 * hour,
            moved_at=at(day, 9) + 24 * hour if late else None,
            audience=Audience.SPONSOR if i % 2 else Audience.INTERNAL,
        )
