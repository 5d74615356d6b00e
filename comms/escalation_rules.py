"""The rules that raise escalations, each a small declaration on the one clock.

A rule is a set-based query for the subjects that are due by a moment `at` and have no open
escalation of that rule yet (the unique constraint on open (rule, subject) makes a second raise
impossible anyway), plus, where a business-day window cannot be expressed in SQL, an exact
check on the clock for the few candidates the query lets through. Evaluating a rule at a later
`at` is the look-ahead: `manage.py escalations --at` and nothing is written.

They live in comms because they read every app's open items, as the program health rule does.

| rule | subject | raised when |
| --- | --- | --- |
| deviation-notification | deviation | sponsor-notification window closes within 2 h, or closed |
| deviation-acknowledgement | deviation | unacknowledged 2 business days on (reminder at 1) |
| investigation-overdue | deviation | open past its investigation due moment |
| capa-overdue | deviation | one of its CAPA actions is open past its due date |
| action-overdue | action item | open 2 business days past its due date |
| milestone-slip | milestone | its forecast is more than the program's threshold behind baseline |
| question-unanswered | question | a sponsor question unanswered past its window (48 h) |
| change-order-waiting | change order | proposed and undecided after 5 business days |
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from comms.models import Comment
from comms.services.conversations import comment_thread_url
from deviations.models import CAPA, Deviation
from governance.escalations.models import Escalation
from governance.escalations.services import escalation_raise_by_rule
from governance.models import ActionItem
from portal import clock
from portal.access import Audience
from portal.transactions import atomic_service
from programs import changes
from programs.models import ChangeOrder, Event, Milestone

NOTIFY_LEAD = datetime.timedelta(hours=2)
ACK_REMIND_BUSINESS_DAYS = 1
ACK_ESCALATE_BUSINESS_DAYS = 2
ACTION_OVERDUE_BUSINESS_DAYS = 2
CHANGE_ORDER_BUSINESS_DAYS = 5
REMINDER_VERB = "deviation.acknowledgement_reminder"

Subject = Escalation.Subject


@dataclass(frozen=True)
class Candidate:
    """A subject a rule finds due."""

    program_id: int
    subject_id: str
    title: str
    url: str


@dataclass(frozen=True)
class Rule:
    name: str
    subject: str
    description: str
    find: Callable[[datetime.datetime, QuerySet], Iterable[Candidate]]

    def due(self, at: datetime.datetime) -> list[Candidate]:
        """The subjects due by `at` without an open escalation of this rule."""
        already = Escalation.objects.filter(
            rule=self.name,
            subject_kind=self.subject,
            subject_id=Cast(OuterRef("pk"), output_field=CharField()),
            resolved_at__isnull=True,
        )
        return list(self.find(at, already))


def _not(already: QuerySet) -> Q:
    return ~Q(Exists(already))


def _business_days_passed(start: datetime.datetime, days: int, at: datetime.datetime) -> bool:
    return clock.due_at(start, days, clock.Unit.BUSINESS_DAYS) <= at


def _day_end_plus(day: datetime.date, days: int) -> datetime.datetime:
    """The end of the `days`-th working day after `day`, site time."""
    return clock.day_end(clock.add_business_days(day, days))


def _deviation_url(deviation: Deviation) -> str:
    return reverse("deviation-detail", args=[deviation.reference])


def _open_deviations() -> QuerySet[Deviation]:
    return Deviation.objects.filter(status__in=Deviation.OPEN_STATUSES).only(
        "pk",
        "program_id",
        "reference",
        "title",
        "notification_due",
        "sponsor_notified_at",
        "investigation_due",
    )


def notification_window(at: datetime.datetime, already: QuerySet) -> Iterable[Candidate]:
    rows = _open_deviations().filter(
        _not(already), sponsor_notified_at__isnull=True, notification_due__lte=at + NOTIFY_LEAD
    )
    for d in rows:
        state = "was missed" if d.notification_due <= at else "is about to be missed"
        yield Candidate(
            d.program_id,
            str(d.pk),
            f"{d.reference}: sponsor notification {state} — {d.title}",
            _deviation_url(d),
        )


def acknowledgement_late(at: datetime.datetime, already: QuerySet) -> Iterable[Candidate]:
    # A business day is at least a calendar day: the query keeps the few that can be late.
    rows = _open_deviations().filter(
        _not(already),
        sponsor_notified_at__isnull=False,
        sponsor_acknowledged_at__isnull=True,
        sponsor_notified_at__lte=at - datetime.timedelta(days=ACK_ESCALATE_BUSINESS_DAYS),
    )
    for d in rows:
        assert d.sponsor_notified_at is not None
        if _business_days_passed(d.sponsor_notified_at, ACK_ESCALATE_BUSINESS_DAYS, at):
            yield Candidate(
                d.program_id,
                str(d.pk),
                f"{d.reference}: the sponsor has not acknowledged — {d.title}",
                _deviation_url(d),
            )


def investigation_overdue(at: datetime.datetime, already: QuerySet) -> Iterable[Candidate]:
    rows = _open_deviations().filter(
        _not(already),
        status__in=[Deviation.Status.OPEN, Deviation.Status.INVESTIGATING],
        investigation_due__lte=at,
    )
    for d in rows:
        yield Candidate(
            d.program_id,
            str(d.pk),
            f"{d.reference}: investigation past due — {d.title}",
            _deviation_url(d),
        )


def capa_overdue(at: datetime.datetime, already: QuerySet) -> Iterable[Candidate]:
    late_capa = CAPA.objects.filter(
        deviation=OuterRef("pk"),
        status=CAPA.Status.OPEN,
        due_date__lt=at.astimezone(clock.site_zone()).date(),
    )
    for d in _open_deviations().filter(_not(already), Exists(late_capa)):
        yield Candidate(
            d.program_id,
            str(d.pk),
            f"{d.reference}: a CAPA action is past due — {d.title}",
            _deviation_url(d),
        )


def action_overdue(at: datetime.datetime, already: QuerySet) -> Iterable[Candidate]:
    today = at.astimezone(clock.site_zone()).date()
    rows = (
        ActionItem.objects.filter(
            _not(already),
            status=ActionItem.Status.OPEN,
            due_date__lt=today - datetime.timedelta(days=ACTION_OVERDUE_BUSINESS_DAYS),
        )
        .select_related("program")
        .only("pk", "program__code", "title", "due_date")
    )
    for item in rows:
        if _day_end_plus(item.due_date, ACTION_OVERDUE_BUSINESS_DAYS) <= at:
            yield Candidate(
                item.program_id,
                str(item.pk),
                f"Action item overdue since {item.due_date:%d %b %Y}: {item.title}",
                reverse("action-list", args=[item.program.code]) + f"#action-{item.pk}",
            )


def milestone_slip(at: datetime.datetime, already: QuerySet) -> Iterable[Candidate]:
    rows = (
        Milestone.objects.filter(
            _not(already), actual_date__isnull=True, forecast_date__gt=F("baseline_date")
        )
        .select_related("program")
        .only(
            "pk",
            "name",
            "baseline_date",
            "forecast_date",
            "actual_date",
            "program__code",
            "program__slip_threshold_days",
        )
    )
    for m in rows:
        if m.slip_days > m.program.slip_threshold_days:
            yield Candidate(
                m.program_id,
                str(m.pk),
                f"“{m.name}” is {m.slip_days} days behind baseline",
                reverse("program-timeline", args=[m.program.code]),
            )


def question_unanswered(at: datetime.datetime, already: QuerySet) -> Iterable[Candidate]:
    window = datetime.timedelta(hours=Comment.ANSWER_WINDOW_HOURS)
    rows = Comment.objects.filter(
        _not(already), is_question=True, answered_at__isnull=True, created_at__lte=at - window
    ).select_related("program", "update", "milestone", "meeting", "deviation")
    for c in rows:
        if Comment.answer_due_after(c.created_at) <= at:
            body = " ".join(c.body.split())[:120]
            yield Candidate(
                c.program_id,
                str(c.pk),
                f"Sponsor question unanswered: {body}",
                comment_thread_url(c),
            )


def change_order_waiting(at: datetime.datetime, already: QuerySet) -> Iterable[Candidate]:
    rows = ChangeOrder.objects.filter(
        _not(already),
        status=ChangeOrder.Status.PROPOSED,
        proposed_at__lte=at - datetime.timedelta(days=CHANGE_ORDER_BUSINESS_DAYS),
    ).select_related("program")
    for co in rows:
        if _business_days_passed(co.proposed_at, CHANGE_ORDER_BUSINESS_DAYS, at):
            yield Candidate(
                co.program_id,
                str(co.pk),
                f"{co.reference} awaits the sponsor's decision: {co.title}",
                reverse("change-order-detail", args=[co.program.code, co.reference]),
            )


RULES = (
    Rule(
        "deviation-notification",
        Subject.DEVIATION,
        "Sponsor notification window about to be missed or missed",
        notification_window,
    ),
    Rule(
        "deviation-acknowledgement",
        Subject.DEVIATION,
        "Sponsor acknowledgement late",
        acknowledgement_late,
    ),
    Rule(
        "investigation-overdue", Subject.DEVIATION, "Investigation past due", investigation_overdue
    ),
    Rule("capa-overdue", Subject.DEVIATION, "CAPA past due", capa_overdue),
    Rule("action-overdue", Subject.ACTION_ITEM, "Action item overdue", action_overdue),
    Rule("milestone-slip", Subject.MILESTONE, "Milestone slipping past threshold", milestone_slip),
    Rule(
        "question-unanswered", Subject.QUESTION, "Sponsor question unanswered", question_unanswered
    ),
    Rule(
        "change-order-waiting",
        Subject.CHANGE_ORDER,
        "Change order awaiting the sponsor",
        change_order_waiting,
    ),
)


def reminders_due(at: datetime.datetime) -> list[Deviation]:
    """Deviations whose sponsor should be reminded to acknowledge (once each) by `at`."""
    reminded = Event.objects.filter(
        verb=REMINDER_VERB,
        subject_type="deviations.deviation",
        subject_id=Cast(OuterRef("pk"), output_field=CharField()),
    )
    rows = (
        _open_deviations()
        .filter(
            ~Q(Exists(reminded)),
            sponsor_notified_at__isnull=False,
            sponsor_acknowledged_at__isnull=True,
            sponsor_notified_at__lte=at - datetime.timedelta(days=ACK_REMIND_BUSINESS_DAYS),
        )
        .select_related("program")
    )
    return [
        d
        for d in rows
        if d.sponsor_notified_at is not None
        and _business_days_passed(d.sponsor_notified_at, ACK_REMIND_BUSINESS_DAYS, at)
    ]


@atomic_service
def deviation_acknowledgement_remind(*, deviation_id: int) -> bool:
    """Remind the sponsor, once, that a deviation awaits their acknowledgement."""
    deviation = Deviation.objects.select_related("program").get(pk=deviation_id)
    program = changes.lock_program(deviation.program_id)
    if Event.objects.filter(
        verb=REMINDER_VERB, subject_type="deviations.deviation", subject_id=str(deviation.pk)
    ).exists():
        return False
    changes.log(
        program=program,
        actor=None,
        subject=deviation,
        note=changes.Note(
            verb=REMINDER_VERB,
            summary=f"Reminder: {deviation.reference} awaits the sponsor's acknowledgement",
            audience=Audience.SPONSOR,
            significance="notable",
            url=_deviation_url(deviation),
        ),
        react=False,
    )
    return True


def raise_due(*, now: datetime.datetime | None = None) -> int:
    """Send the reminders and raise the escalations every rule finds due now; returns how many
    escalations were raised. Safe to run twice, or on two workers at once."""
    now = now or timezone.now()
    for deviation in reminders_due(now):
        deviation_acknowledgement_remind(deviation_id=deviation.pk)
    raised = 0
    for rule in RULES:
        for candidate in rule.due(now):
            escalation = escalation_raise_by_rule(
                program_id=candidate.program_id,
                rule=rule.name,
                subject_kind=rule.subject,
                subject_id=candidate.subject_id,
                title=candidate.title,
                url=candidate.url,
                now=now,
            )
            raised += escalation is not None
    return raised
