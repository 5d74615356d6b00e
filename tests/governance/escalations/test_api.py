"""Escalations over REST: the bad inputs of issue 10 answer clearly and change nothing."""

from governance.escalations.models import Escalation, EscalationPath
from governance.escalations.services import ALREADY_ACKNOWLEDGED, RESOLUTION_REQUIRED
from tests.governance.escalations.builders import concern, issue
from tests.support.api import assert_error, post_json


def _url(escalation: Escalation, action: str = "") -> str:
    return f"/api/v1/escalations/{escalation.reference}/" + (f"{action}/" if action else "")


def test_a_sponsor_raises_a_concern_and_reads_it_by_reference(world, api_as):
    client = api_as(world.lead_a)
    response = post_json(
        client, "/api/v1/programs/HLX-101/escalations/", {"title": "Timeline unclear"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["reference"].startswith("ESC-")
    assert (body["subject"], body["level"], body["status"]) == ("concern", 3, "open")
    assert client.get(f"/api/v1/escalations/{body['reference']}/").json()["title"] == (
        "Timeline unclear"
    )


def test_a_concern_on_another_sponsors_program_is_not_found(world, api_as):
    response = post_json(
        api_as(world.lead_b), "/api/v1/programs/HLX-101/escalations/", {"title": "Sneaky"}
    )

    assert_error(response, 404, "not_found")
    assert not Escalation.objects.exists()


def test_acknowledging_twice_is_a_conflict(world, api_as):
    escalation = concern(world)
    client = api_as(world.leader)

    assert post_json(client, _url(escalation, "acknowledge"), {}).status_code == 200
    body = assert_error(post_json(client, _url(escalation, "acknowledge"), {}), 409, "conflict")
    assert body["message"] == ALREADY_ACKNOWLEDGED


def test_resolving_without_a_note_is_refused_naming_the_field(world, api_as):
    escalation = concern(world)
    response = post_json(api_as(world.leader), _url(escalation, "resolve"), {"resolution": ""})

    body = assert_error(response, 400, "invalid", {"resolution"})
    assert RESOLUTION_REQUIRED in str(body)
    escalation.refresh_from_db()
    assert escalation.resolved_at is None


def test_the_sponsor_sees_the_resolution_of_their_concern(world, api_as):
    escalation = concern(world)
    post_json(api_as(world.leader), _url(escalation, "resolve"), {"resolution": "Slot booked."})

    body = api_as(world.viewer_a).get(_url(escalation)).json()

    assert (body["status"], body["resolution"]) == ("resolved", "Slot booked.")
    assert body["acknowledged_by"]["name"] == world.leader.display_name


def test_the_list_filters_by_program_status_and_level(world, api_as):
    concern(world)
    issue(world)
    client = api_as(world.leader)

    assert client.get("/api/v1/escalations/?level=1").json()["count"] == 1
    assert client.get("/api/v1/escalations/?status=resolved").json()["count"] == 0
    assert client.get("/api/v1/escalations/?program=BOR-017").json()["count"] == 0
    assert api_as(world.lead_a).get("/api/v1/escalations/").json()["count"] == 1


def test_a_path_without_levels_or_with_a_zero_window_is_refused_naming_the_field(world, api_as):
    client = api_as(world.pm)
    url = "/api/v1/escalation-paths/HLX-101/"

    assert_error(post_json(client, url, {"levels": []}), 400, "invalid", {"levels"})
    assert_error(
        post_json(client, url, {"levels": [{"role": "pm", "window": 0}]}),
        400,
        "invalid",
        {"levels[0].window"},
    )
    assert not EscalationPath.objects.exists()

    ok = post_json(client, url, {"levels": [{"person": "qa@nb.example", "window": 2}]})
    assert ok.status_code == 200, ok.content
    assert ok.json()["levels"][0]["person"] == "qa@nb.example"
