"""The health rule: which open items turn a program amber or red, and why."""

import datetime
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from comms.health import assess
from comms.models import Comment
from comms.services import conversations
from comms.services.health import program_health_refresh
from governance.models import ActionItem, Risk
from portal import clock
from portal.models import AuditEntry
from programs.models import Milestone
from tests.comms.conversation_data import shared_update


def _milestone(world, slip_days, done=False):
    today = clock.site_today()
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


@pytest.mark.parametrize(
    ("audience", "reason"),
    [
        ("sponsor", "Open risk “Resin supplier exit” scores 20"),
        ("internal", "An open internal risk scores 20"),
    ],
)
def test_an_internal_risk_counts_without_being_named_to_the_sponsor(world, audience, reason):
    Risk.objects.create(
        program=world.program,
        title="Resin supplier exit",
        likelihood=4,
        impact=5,
        owner=world.pm,
        review_date=clock.site_today(),
        audience=audience,
    )

    assessment = assess(world.program)

    assert assessment.health == "red"
    assert assessment.reasons == [reason]


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
        review_date=clock.site_today(),
    )
    assert assess(world.program).health == health


def test_a_question_waiting_over_two_days_turns_it_amber(world):
    from comms.models import Update

    update = Update.objects.create(
        program=world.program,
        title="t",
        body="b",
        author=world.pm,
        audience="sponsor",
        published_at=timezone.now(),
    )
    question = Comment.objects.create(
        program=world.program,
        update=update,
        author=world.lead_a,
        body="When?",
        is_question=True,
        audience="sponsor",
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
        due_date=clock.site_today() - timedelta(days=8),
    )
    assert assess(world.program).health == "amber"


def test_refresh_stores_the_verdict_with_its_reasons(world):
    _milestone(world, 10)
    assert program_health_refresh(program_id=world.program.pk)
    world.program.refresh_from_db()
    assert world.program.health == "amber"
    assert world.program.health_reason == "“Slip 10” is 10 days behind baseline"


def _deviation(world, classification, *, late=False):
    from deviations.services.reporting import deviation_log

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


# --- The one clock --------------------------------------------------------------------------

# 23:30 UTC on 14 July is 00:30 on 15 July at the London site (BST): the site's day has turned.
LATE_EVENING_UTC = datetime.datetime(2026, 7, 14, 23, 30, tzinfo=datetime.UTC)


@pytest.fixture
def london_site(settings):
    settings.SITE_TIME_ZONE = "Europe/London"


def test_a_week_overdue_is_judged_by_the_sites_day_not_utcs(world, london_site):
    ActionItem.objects.create(
        program=world.program,
        title="Send CoA",
        owner=world.pm,
        due_date=datetime.date(2026, 7, 7),
        audience="sponsor",
    )
    with time_machine.travel(LATE_EVENING_UTC - datetime.timedelta(hours=1), tick=False):
        assert assess(world.program).health == "green"  # site: 14 July, a week exactly
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        verdict = assess(world.program)  # site: 15 July, UTC still 14 July
    assert verdict.health == "amber"
    assert verdict.reasons == ["1 action item(s) overdue by more than a week"]


def test_a_question_falls_due_when_the_clocks_answer_window_closes(world):
    question = Comment.objects.create(
        program=world.program,
        milestone=_milestone(world, 0),
        author=world.lead_a,
        body="When?",
        is_question=True,
        audience="sponsor",
    )
    due = clock.due_at(question.created_at, 48, clock.Unit.HOURS)
    assert question.answer_due == due
    with time_machine.travel(due - datetime.timedelta(minutes=1), tick=False):
        assert assess(world.program).health == "green"
        assert not question.is_waiting_too_long
    with time_machine.travel(due + datetime.timedelta(minutes=1), tick=False):
        assert assess(world.program).health == "amber"
        assert question.is_waiting_too_long


# --- One reaction per program and transaction --------------------------------------------


def test_answering_changes_two_rows_but_reacts_once(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    question = Comment.objects.create(
        program=world.program,
        update=shared_update(world),
        author=world.lead_a,
        body="When?",
        is_question=True,
        audience="sponsor",
    )
    version = world.program.version
    tasks: list[str] = []
    monkeypatch.setattr("portal.queue._send", lambda name, args: tasks.append(name))
    monkeypatch.setattr("portal.live.publish", lambda events: None)

    with django_capture_on_commit_callbacks(execute=True):
        conversations.question_answer(actor=world.pm, question=question, body="Week 14.")

    world.program.refresh_from_db()
    assert world.program.version == version + 1
    assert tasks == ["comms.tasks.fan_out_events", "comms.tasks.refresh_health"]
    assert AuditEntry.objects.filter(model="comms.comment", action="update").count() == 1


def test_open_escalations_turn_a_program_amber_and_red_from_level_three(world):
    from governance.escalations.services import concern_raise, escalation_resolve, issue_raise

    issue_raise(actor=world.pm, program=world.program, title="Resin supply")
    verdict = assess(world.program)
    assert (verdict.health, verdict.reasons) == ("amber", ["1 open escalation(s)"])

    concern = concern_raise(actor=world.lead_a, program=world.program, title="Dates moving")
    assert assess(world.program).health == "red"  # a concern sits at leadership, level 3

    escalation_resolve(actor=world.leader, escalation=concern, resolution="Briefed the VP.")
    assert assess(world.program).health == "amber"
