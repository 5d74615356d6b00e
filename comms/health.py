"""The program health rule. It lives in comms because it reads every app's open items.

Red or amber, with the reasons spelled out, so that a sponsor reading the badge knows why.
The verdict is stored on the program by `programs.services.health.program_health_apply_rule`; the PM
can override it, with a reason.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.utils import timezone

from comms.models import Comment
from deviations.models import Deviation
from governance.escalations.selectors import OPEN as OPEN_ESCALATION
from governance.models import ActionItem, Escalation, Risk
from portal import clock
from portal.access import Audience
from programs.models import Milestone, Program

RED_SLIP_FACTOR = 3  # a slip of three times the program's threshold is off track
RED_RISK_SCORE = 20
AMBER_RISK_SCORE = 15
ACTION_GRACE_DAYS = 7  # "overdue by more than a week", in site days

Health = Program.Health


@dataclass
class Assessment:
    health: str = Health.GREEN
    reasons: list[str] = field(default_factory=list)

    def flag(self, level: str, reason: str) -> None:
        order: list[str] = [Health.GREEN, Health.AMBER, Health.RED]
        if order.index(level) > order.index(self.health):
            self.health = level
        self.reasons.append(reason)


def assess(program: Program) -> Assessment:
    result = Assessment()
    threshold = program.slip_threshold_days
    today = clock.site_today()

    for milestone in Milestone.objects.filter(program=program, actual_date__isnull=True).only(
        "name", "baseline_date", "forecast_date", "actual_date"
    ):
        slip = milestone.slip_days
        if slip > threshold * RED_SLIP_FACTOR:
            result.flag(Health.RED, f"“{milestone.name}” is {slip} days behind baseline")
        elif slip > threshold:
            result.flag(Health.AMBER, f"“{milestone.name}” is {slip} days behind baseline")

    top_risk = (
        Risk.objects.filter(program=program, status=Risk.Status.OPEN)
        .annotate(value=F("likelihood") * F("impact"))
        .order_by("-value")
        .only("title", "likelihood", "impact", "audience")
        .first()
    )
    if top_risk is not None and top_risk.score >= AMBER_RISK_SCORE:
        # The sponsor reads the reasons: an internal risk counts, but is not named.
        named = (
            f"Open risk “{top_risk.title}”"
            if top_risk.audience == Audience.SPONSOR
            else ("An open internal risk")
        )
        level = Health.RED if top_risk.score >= RED_RISK_SCORE else Health.AMBER
        result.flag(level, f"{named} scores {top_risk.score}")

    asked = Comment.objects.filter(
        program=program, is_question=True, answered_at__isnull=True
    ).values_list("created_at", flat=True)
    now = timezone.now()
    waiting = sum(1 for at in asked if Comment.answer_due_after(at) < now)
    if waiting:
        result.flag(
            Health.AMBER,
            f"{waiting} sponsor question(s) unanswered for over "
            f"{Comment.ANSWER_WINDOW_HOURS} hours",
        )

    overdue = ActionItem.objects.filter(
        program=program,
        status=ActionItem.Status.OPEN,
        due_date__lt=today - datetime.timedelta(days=ACTION_GRACE_DAYS),
    ).count()
    if overdue:
        result.flag(Health.AMBER, f"{overdue} action item(s) overdue by more than a week")

    _assess_deviations(program, result)
    _assess_escalations(program, result)
    return result


RED_ESCALATION_LEVEL = 3  # an escalation that climbed to the third level is off track


def _assess_escalations(program: Program, result: Assessment) -> None:
    """Open escalations are amber; one at the third level or above is red. Counted, never
    named: most are internal."""
    levels = list(
        Escalation.objects.filter(OPEN_ESCALATION, program=program).values_list("level", flat=True)
    )
    if not levels:
        return
    level = Health.RED if max(levels) >= RED_ESCALATION_LEVEL else Health.AMBER
    result.flag(level, f"{len(levels)} open escalation(s)")


def _assess_deviations(program: Program, result: Assessment) -> None:
    """An open critical deviation or a missed notification window is red; an open major one
    is amber."""
    open_deviations = Deviation.objects.filter(program=program, status__in=Deviation.OPEN_STATUSES)
    counts = {
        row["classification"]: row["n"]
        for row in open_deviations.order_by().values("classification").annotate(n=Count("id"))
    }
    late = open_deviations.filter(
        Q(sponsor_notified_at__isnull=True, notification_due__lt=timezone.now())
        | Q(sponsor_notified_at__gt=F("notification_due"))
    ).count()
    if counts.get(Deviation.Classification.CRITICAL):
        result.flag(Health.RED, f"{counts['critical']} open critical deviation(s)")
    if late:
        result.flag(Health.RED, f"{late} deviation(s) not notified within the agreed window")
    if counts.get(Deviation.Classification.MAJOR):
        result.flag(Health.AMBER, f"{counts['major']} open major deviation(s)")
