"""The sponsor's program dashboard and the PM's workspace."""

from datetime import timedelta

from django.utils import timezone

from comms.models import Comment, Update
from governance.models import ActionItem, Meeting, Risk
from portal import clock
from programs.models import Milestone
from tests.support.world import client_for


def _seed_overview(world):
    today = clock.site_today()
    Milestone.objects.create(
        program=world.program,
        name="Engineering run",
        baseline_date=today,
        forecast_date=today + timedelta(days=20),
    )
    Risk.objects.create(
        program=world.program,
        title="Resin supply",
        likelihood=4,
        impact=4,
        owner=world.pm,
        review_date=today,
        audience="sponsor",
    )
    Meeting.objects.create(
        program=world.program, title="Weekly call", starts_at=timezone.now() + timedelta(days=2)
    )
    ActionItem.objects.create(
        program=world.program,
        title="Send CoA",
        owner=world.pm,
        due_date=today - timedelta(days=1),
        audience="sponsor",
    )
    update = Update.objects.create(
        program=world.program,
        title="Resin",
        body="b",
        author=world.pm,
        audience="sponsor",
        published_at=timezone.now(),
    )
    Comment.objects.create(
        program=world.program,
        update=update,
        author=world.lead_a,
        body="Is batch 2 at risk?",
        is_question=True,
        audience="sponsor",
    )


def test_the_dashboard_answers_how_is_my_program_doing(world):
    _seed_overview(world)
    body = client_for(world, "viewer_a").get("/programs/HLX-101/").content.decode()
    for expected in (
        "Engineering run",
        "+20 d",
        "Resin supply",
        "Weekly call",
        "Send CoA",
        "Is batch 2 at risk?",
        "Your dedicated project manager",
        "Pat Manager",
        "Kick-off: ",
    ):
        assert expected in body, expected


def test_the_dashboard_counts_open_deviations_by_class(world):
    from deviations.services.reporting import deviation_log

    now = timezone.now()
    deviation_log(
        actor=world.pm,
        program=world.program,
        title="Bioburden over limit",
        description="Batch on hold.",
        classification="critical",
        occurred_at=now - timedelta(hours=3),
        aware_at=now - timedelta(hours=2),
    )
    body = client_for(world, "lead_a").get("/programs/HLX-101/").content.decode()
    assert "1 critical · 0 major · 0 minor" in body
    assert "tile-alert" in body
    status = client_for(world, "lead_a").get("/api/v1/programs/HLX-101/status/").json()
    assert status["open_deviations"] == {"critical": 1, "major": 0, "minor": 0}


def test_the_overview_fragment_refreshes_alone(world):
    response = client_for(world, "lead_a").get(
        "/programs/HLX-101/?fragment=overview", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="overview"')
    assert 'hx-trigger="sse:program-HLX-101, every 60s"' in body


def test_only_the_team_sees_the_health_override(world):
    assert (
        "Override health"
        not in client_for(world, "lead_a").get("/programs/HLX-101/").content.decode()
    )
    assert "Override health" in client_for(world, "pm").get("/programs/HLX-101/").content.decode()


def test_the_pm_overrides_health_with_a_reason(world):
    client = client_for(world, "pm")
    response = client.post(
        "/programs/HLX-101/health/", {"health": "red", "reason": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.content.decode()
    world.program.refresh_from_db()
    assert world.program.health == "green"

    response = client.post(
        "/programs/HLX-101/health/",
        {"health": "red", "reason": "Audit finding"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    world.program.refresh_from_db()
    assert (world.program.health, world.program.health_reason) == ("red", "Audit finding")
    sponsor_view = client_for(world, "lead_a").get("/programs/HLX-101/").content.decode()
    assert "Audit finding" in sponsor_view


def test_the_workspace_shows_what_needs_the_pm_today(world):
    _seed_overview(world)
    Meeting.objects.create(
        program=world.program,
        title="Last week's call",
        starts_at=timezone.now() - timedelta(days=5),
    )
    body = client_for(world, "pm").get("/workspace/").content.decode()
    assert "Is batch 2 at risk?" in body
    assert "Last week&#x27;s call" in body
    assert "Send CoA" in body
    assert "HLX-101" in body


def test_a_pm_lands_on_the_workspace_and_a_sponsor_on_their_programs(world):
    assert client_for(world, "pm").get("/").headers["Location"] == "/workspace/"
    assert client_for(world, "lead_a").get("/").headers["Location"] == "/programs/"
    assert client_for(world, "lead_a").get("/workspace/").headers["Location"] == "/programs/"
