"""Program pages: the full page, its HTMX fragments, and the update form."""

import pytest

from comms.models import Update
from portal import clock
from tests.support.world import client_for


def test_a_sponsor_sees_their_programs_with_the_latest_update(world):
    from tests.factories import UpdateFactory

    UpdateFactory(program=world.program, title="Batch 3 released", author=world.pm)
    response = client_for(world, "lead_a").get("/programs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "HLX-101" in body
    assert "Batch 3 released" in body
    assert "BOR-017" not in body


def test_the_cdmo_sees_every_sponsors_programs(world):
    body = client_for(world, "staff").get("/programs/").content.decode()
    assert "HLX-101" in body
    assert "BOR-017" in body


def test_an_htmx_request_gets_only_the_fragment(world):
    response = client_for(world, "lead_a").get(
        "/programs/HLX-101/?fragment=feed", HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="feed"')
    assert "<html" not in body
    assert response.headers["Vary"].count("HX-Request") == 1


def test_a_fragment_name_without_htmx_gets_the_full_page(world):
    body = client_for(world, "lead_a").get("/programs/HLX-101/?fragment=feed").content.decode()
    assert "<html" in body


def test_internal_drafts_never_reach_the_sponsor_page(world):
    from tests.factories import UpdateFactory

    UpdateFactory(
        program=world.program,
        title="Secret draft",
        audience="internal",
        published_at=None,
        author=world.pm,
    )
    assert (
        "Secret draft" not in client_for(world, "lead_a").get("/programs/HLX-101/").content.decode()
    )
    assert "Secret draft" in client_for(world, "pm").get("/programs/HLX-101/").content.decode()


def test_the_pm_posts_an_update_with_htmx(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/updates/",
        {
            "title": "Fill complete",
            "body": "All vials filled.",
            "category": "milestone",
            "significance": "notable",
            "audience": "sponsor",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == '{"update-posted": {}}'
    assert "Update posted" in response.content.decode()
    assert Update.objects.get().title == "Fill complete"


def test_an_invalid_form_shows_inline_errors_and_saves_nothing(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/updates/",
        {
            "title": "",
            "body": "",
            "category": "milestone",
            "significance": "loud",
            "audience": "sponsor",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 422
    assert body.lstrip().startswith('<section id="update-form"')
    assert body.count('class="field-error"') == 3
    assert not Update.objects.exists()


def test_a_plain_form_post_redirects_back_to_the_program(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/updates/",
        {
            "title": "Fill complete",
            "body": "Done.",
            "category": "general",
            "significance": "info",
            "audience": "sponsor",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/programs/HLX-101/"


@pytest.mark.parametrize("persona", ["lead_a", "staff"])
def test_the_form_is_refused_to_people_outside_the_team(world, persona):
    response = client_for(world, persona).post(
        "/programs/HLX-101/updates/",
        {
            "title": "Hello",
            "body": "Hi",
            "category": "general",
            "significance": "info",
            "audience": "sponsor",
        },
    )
    assert response.status_code == 403
    assert not Update.objects.exists()


def test_notifications_page_lists_and_marks_read_on_request(world):
    from comms.services.notifications import events_fan_out
    from comms.services.updates import update_post

    update = update_post(actor=world.pm, program=world.program, title="Shipped", body="On its way.")
    events_fan_out(event_ids=update.program.events.values_list("pk", flat=True))
    client = client_for(world, "viewer_a")
    assert "HLX-101: Info update: Shipped" in client.get("/notifications/").content.decode()
    assert "Info update: Shipped" in client.get("/notifications/?unread=1").content.decode()
    assert world.viewer_a.notifications.filter(channel="in_app", read_at__isnull=True).count() == 1

    client.post("/notifications/read/", {"all": "1"})

    assert world.viewer_a.notifications.filter(channel="in_app", read_at__isnull=True).count() == 0
    assert "Shipped" not in client.get("/notifications/?unread=1").content.decode()


def test_the_portfolio_shows_each_programs_next_milestone_and_open_questions(world):
    from datetime import timedelta

    from comms.models import Comment
    from programs.models import Milestone
    from tests.factories import UpdateFactory

    today = clock.site_today()
    Milestone.objects.create(
        program=world.program,
        name="GMP batch 1",
        baseline_date=today + timedelta(days=10),
        forecast_date=today + timedelta(days=24),
    )
    update = UpdateFactory(program=world.program, author=world.pm)
    Comment.objects.create(
        program=world.program,
        update=update,
        author=world.lead_a,
        body="?",
        is_question=True,
        audience="sponsor",
    )
    body = client_for(world, "lead_a").get("/programs/").content.decode()
    assert "GMP batch 1" in body
    assert '<span class="slip over">+14 d</span>' in body
    assert '<a href="/programs/HLX-101/questions/">1</a>' in body
