"""The health rule: which open items turn a program amber or red, and why."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.health import assess
from comms.models import Comment
from comms.services import program_health_refresh
from governance.models import ActionItem, Risk
from programs.models import Milestone


def _milestone(world, slip_days, done=False):
    today = timezone.localdate()
    return Milestone.objects.create(
        program=world.program,
        name=f"Slip {slip_days}",
        baseline_date=today,
        forecast_date=today + timedelta(days=slip_days),
        actual_date=today if done else None,
    )


def test_a_program_with_nothing_open_is_green_with_no_reasons(world):
    verdict = assess(world.program)
    assert (verdict.health, verdict.reasons) == ("green", [])


@pytest.mark.parametrize(("slip", "health"), [(7, "green"), (8, "amber"), (22, "red")])
def test_slips_are_measured_against_the_programs_threshold(world, slip, health):
    _milestone(world, slip)
    assert assess(world.program).health == health


def test_finished_milestones_no_longer_count(world):
    _milestone(world, 40, done=True)
    assert assess(world.program).health == "green"


@pytest.mark.parametrize(
    ("likelihood", "impact", "health"), [(3, 4, "green"), (3, 5, "amber"), (4, 5, "red")]
)
def test_open_risks_count_by_score(world, likelihood, impact, health):
    Risk.objects.create(
        program=world.program,
        title="Resin",
        likelihood=likelihood,
        impact=impact,
        owner=world.pm,
        review_date=timezone.localdate(),
    )
    assert assess(world.program).health == health


def test_a_question_waiting_over_two_days_turns_it_amber(world):
    from comms.models import Update

    update = Update.objects.create(
        program=world.program, title="t", body="b", author=world.pm, published_at=timezone.now()
    )
    question = Comment.objects.create(
        program=world.program, update=update, author=world.lead_a, body="When?", is_question=True
    )
    assert assess(world.program).health == "green"
    Comment.objects.filter(pk=question.pk).update(created_at=timezone.now() - timedelta(hours=49))
    verdict = assess(world.program)
    assert verdict.health == "amber"
    assert verdict.reasons == ["1 sponsor question(s) unanswered for over 48 hours"]


def test_actions_overdue_by_more_than_a_week_turn_it_amber(world):
    ActionItem.objects.create(
        program=world.program,
        title="Send CoA",
        owner=world.pm,
        due_date=timezone.localdate() - timedelta(days=8),
    )
    assert assess(world.program).health == "amber"


def test_refresh_stores_the_verdict_with_its_reasons(world):
    _milestone(world, 10)
    assert program_health_refresh(program_id=world.program.pk)
    world.program.refresh_from_db()
    assert world.program.health == "amber"
    assert world.program.health_reason == "“Slip 10” is 10 days behind baseline"


def _deviation(world, classification, *, late=False):
    from deviations.services import deviation_log

    aware = timezone.now() - timedelta(hours=100 if late else 1)
    return deviation_log(
        actor=world.pm,
        program=world.program,
        title="Deviation",
        description="x",
        classification=classification,
        occurred_at=aware,
        aware_at=aware,
    )


@pytest.mark.parametrize(
    ("classification", "health"), [("critical", "red"), ("major", "amber"), ("minor", "green")]
)
def test_open_deviations_count_by_class(world, classification, health):
    _deviation(world, classification)
    assert assess(world.program).health == health


def test_a_missed_notification_window_turns_it_red(world):
    _deviation(world, "minor", late=True)  # minor: 7 days; logged 100 h late is within
    assert assess(world.program).health == "green"
    _deviation(world, "major", late=True)  # major: 72 h, missed
    verdict = assess(world.program)
    assert verdict.health == "red"
    assert "1 deviation(s) not notified within the agreed window" in verdict.reasons
