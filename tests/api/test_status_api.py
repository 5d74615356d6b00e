"""GET /api/v1/programs/{code}/status/: one call, a constant number of queries."""

import datetime

import pytest
from django.utils import timezone

from comms.models import Update
from portal import clock
from programs.models import ProgramMember
from tests.factories import ProgramFactory, UpdateFactory
from tests.support.api import assert_error, new_token, token_client
from tests.support.queries import count_queries
from tests.test_query_budgets import fill_program

URL = "/api/v1/programs/HLX-101/status/"


def _post_updates(world, count, **fields):
    start = timezone.now() - datetime.timedelta(days=count)
    for n in range(count):
        update = UpdateFactory(
            program=world.program, title=f"Update {n}", author=world.pm, **fields
        )
        Update.objects.filter(pk=update.pk).update(created_at=start + datetime.timedelta(days=n))


def test_it_answers_how_the_program_is_doing(world, api_as):
    world.program.health = "amber"
    world.program.health_reason = "Fill-finish slot moved by two weeks."
    world.program.save()
    world.pm.title = "Program director"
    world.pm.save()
    _post_updates(world, 7)

    status = api_as(world.lead_a).get(URL).json()

    assert status["code"] == "HLX-101"
    assert status["name"] == "Helix mAb"
    assert status["sponsor"] == {"name": "Helix"}
    assert status["phase"] == "phase_2"
    assert status["status"] == "active"
    assert status["health"] == "amber"
    assert status["health_reason"] == "Fill-finish slot moved by two weeks."
    assert status["dedicated_pm"] == {
        "name": "Pat Manager",
        "email": "pm@nb.example",
        "title": "Program director",
    }
    titles = [u["title"] for u in status["latest_updates"]]
    assert titles == ["Update 6", "Update 5", "Update 4", "Update 3", "Update 2"]


def test_the_sponsor_never_sees_internal_updates_in_the_status(world, api_as):
    _post_updates(world, 2)
    _post_updates(world, 1, audience="internal", published_at=None)

    sponsor_view = api_as(world.viewer_a).get(URL).json()["latest_updates"]
    cdmo_view = api_as(world.pm).get(URL).json()["latest_updates"]

    assert {u["audience"] for u in sponsor_view} == {"sponsor"}
    assert len(sponsor_view) == 2
    assert len(cdmo_view) == 3


def test_a_handed_over_program_names_the_current_pm(world, api_as):
    from programs.services.members import program_member_assign
    from tests.factories import member

    successor = member(world.cdmo, "pm", email="new.pm@nb.example", display_name="Nia Ward")
    program_member_assign(actor=None, program=world.program, user=successor, role="dedicated_pm")

    status = api_as(world.lead_a).get(URL).json()

    assert status["dedicated_pm"]["name"] == "Nia Ward"
    assert ProgramMember.objects.filter(program=world.program, ended_at__isnull=False).exists()


def test_a_quiet_program_without_a_pm_still_answers(world, api_as):
    ProgramFactory(sponsor=world.sponsor_a, code="HLX-900")

    status = api_as(world.lead_a).get("/api/v1/programs/HLX-900/status/").json()

    assert status["dedicated_pm"] is None
    assert status["latest_updates"] == []


def test_another_sponsors_status_is_not_found(world, api_as):
    assert_error(api_as(world.lead_b).get(URL), 404, "not_found")


def test_anonymous_is_401(world):
    assert_error(token_client(None).get(URL), 401, "not_authenticated")


@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_the_status_costs_the_same_queries_for_one_update_or_many(world, persona):
    client = token_client(new_token(getattr(world, persona)))
    client.get(URL)  # the token's first use also stamps last_used_at
    _post_updates(world, 1)
    one = count_queries(client, URL)  # cold: building the body, not the one kept

    _post_updates(world, 40)
    fill_program(world, world.program, world.pm, 30)
    for n in range(10):
        ProgramFactory(sponsor=world.sponsor_a, code=f"HLX-{600 + n}")
    many = count_queries(client, URL)

    assert many == one
    # 21 before the headline KPIs; they add one query per kind of record (batches, deviations,
    # milestones) and one for the targets; the kick-off checklist reads the targets it needs.
    # One more looks up the program's version, which a kept body is found by.
    assert one <= 27


def test_the_status_carries_timeline_meeting_risks_costs_and_kickoff(world, api_as):
    from datetime import timedelta

    from django.utils import timezone

    from governance.models import Meeting, Risk
    from programs.models import Budget, Milestone

    today = clock.site_today()
    Milestone.objects.create(
        program=world.program,
        name="Engineering run",
        baseline_date=today,
        forecast_date=today + timedelta(days=12),
    )
    meeting = Meeting.objects.create(
        program=world.program, title="Weekly", starts_at=timezone.now() + timedelta(days=1)
    )
    Risk.objects.create(
        program=world.program,
        title="Resin",
        likelihood=4,
        impact=5,
        owner=world.pm,
        review_date=today,
        audience="sponsor",
    )
    Budget.objects.create(program=world.program, contract_value="1000000.00")

    body = api_as(world.viewer_a).get(URL).json()

    assert body["slipped_milestones"][0]["slip_days"] == 12
    assert body["next_milestones"][0]["name"] == "Engineering run"
    assert body["next_meeting"]["uid"] == str(meeting.uid)
    assert body["top_risks"][0] == {"title": "Resin", "likelihood": 4, "impact": 5, "score": 20}
    assert body["costs"]["effective_budget"] == "1000000.00"
    assert body["kickoff"] == {"complete": False, "done": body["kickoff"]["done"], "total": 5}
    assert body["open_questions"] == 0
    assert body["action_items"] == {"open": 0, "overdue": 0}
    assert body["open_deviations"] == {"critical": 0, "major": 0, "minor": 0}
