"""Demo conversations: questions open and answered, comments on both sides, an internal note,
read receipts on the critical resin update, and a sponsor viewer with digest preferences.

Everything goes through the services; only `created_at` of two questions is moved back
afterwards (a queryset update, demo only), so the pages show a question that has waited three
days and another answered in a few hours.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import F
from django.utils import timezone

from comms.models import Comment, DigestSchedule, Timing, Update
from comms.services.conversations import comment_post, question_answer
from comms.services.notifications import notification_preferences_save
from comms.services.updates import update_reads_record
from governance.models import Meeting
from portal.access import Audience
from programs.models import Milestone

if TYPE_CHECKING:
    from programs.demo import Demo

PM = "pm@northbridge.example"
QA = "qa@northbridge.example"
HELIX_LEAD = "sponsor@helix.example"
HELIX_VIEWER = "viewer@helix.example"
BOREALIS_LEAD = "sponsor@borealis.example"


def _backdate(comment: Comment, age: datetime.timedelta) -> None:
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - age)
    comment.refresh_from_db()


def seed(demo: Demo) -> None:
    people = demo.people
    hlx101 = demo.programs["HLX-101"]
    updates = {
        u.title: u
        for u in Update.objects.filter(program__in=demo.programs.values()).select_related("program")
    }
    resin = updates["Resin lead time extended by four weeks"]
    signed_off = updates["Tech transfer: process description signed off"]

    # An open question on the critical update, waiting three days.
    waiting = comment_post(
        actor=people[HELIX_VIEWER],
        target=resin,
        body=(
            "If GMP batch 1 uses the resin lot from the alternate distributor, do we need a "
            "comparability assessment first? Our QA would like to plan for it."
        ),
        is_question=True,
    )
    _backdate(waiting, datetime.timedelta(days=3, hours=1))

    # The CDMO side's own view of the same update, never shown to Helix.
    comment_post(
        actor=people[QA],
        target=resin,
        body=(
            "Incoming QC release of the alternate lot takes about ten days. Confirm the "
            "comparability position with regulatory before we answer Helix."
        ),
        audience=Audience.INTERNAL,
    )

    # A question on the most slipped milestone, answered a few hours after it was asked.
    milestone = (
        Milestone.objects.filter(program=hlx101, actual_date__isnull=True)
        .order_by(F("baseline_date") - F("forecast_date"), "forecast_date", "id")
        .first()
    )
    asked_on = milestone or signed_off
    answered = comment_post(
        actor=people[HELIX_LEAD],
        target=asked_on,
        body="Does this slip move GMP batch 1 as well, or is there float before it?",
        is_question=True,
    )
    _backdate(answered, datetime.timedelta(hours=4, minutes=10))
    question_answer(
        actor=people[PM],
        question=answered,
        body=(
            "Batch 1 holds for now: there are four weeks of float between the engineering run "
            "and batch 1, and we hold enough resin for the run. We will confirm the batch 1 "
            "start at Thursday's call."
        ),
    )

    # Comments from both sides on the updates.
    comment_post(
        actor=people[HELIX_LEAD],
        target=signed_off,
        body="Great news. Could you share the signed v1.2 with our QA team?",
    )
    comment_post(
        actor=people[PM],
        target=signed_off,
        body="Done: it is in the shared tech-transfer folder, and Marcus's team has a copy.",
    )
    comment_post(
        actor=people[HELIX_LEAD],
        target=updates["Batch 24-118 released on time"],
        body="Thank you. Rotterdam has confirmed the receiving slot for Thursday.",
    )
    comment_post(
        actor=people[BOREALIS_LEAD],
        target=updates["Kick-off agenda circulated"],
        body="Received. Our workstream owners are confirmed; names follow by email today.",
    )
    meeting = Meeting.objects.filter(program=hlx101).order_by("starts_at", "id").first()
    if meeting is not None:
        comment_post(
            actor=people[HELIX_LEAD],
            target=meeting,
            body="Could we take the resin mitigation plan first on the agenda?",
        )

    # Sarah, who asked about it, has read the critical update; James has not, and the PM
    # sees that.
    update_reads_record(user=people[HELIX_VIEWER], updates=[resin])

    # Sarah reads most news in a morning digest at 07:00 her time (New York), the cost news
    # in a weekly one on Fridays, answers to her questions at once, and no meeting emails.
    notification_preferences_save(
        user=people[HELIX_VIEWER],
        timings={
            "update": Timing.DAILY,
            "milestone": Timing.DAILY,
            "deviation": Timing.DAILY,
            "comment": Timing.IMMEDIATELY,
            "cost": Timing.WEEKLY,
            "meeting": Timing.OFF,
        },
        hour=7,
        weekday=DigestSchedule.Weekday.FRIDAY,
        digests_enabled=True,
    )
