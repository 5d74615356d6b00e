"""Governance over REST: meetings, action items, risks and the kick-off."""

import datetime

from django.utils import timezone

from governance.models import ActionItem, Risk
from tests.governance.builders import action_item, meeting, past_meeting, ready_for_kickoff, risk
from tests.support.api import assert_error, post_json


def test_meetings_list_filters_by_program_status_and_dates(world, api_as):
    soon = meeting(world.program, title="Soon")
    later = meeting(
        world.program, title="Later", starts_at=timezone.now() + datetime.timedelta(days=20)
    )
    past_meeting(world.program, title="Gone", status="cancelled")
    meeting(world.program_b, title="Borealis")
    client = api_as(world.pm)

    every = client.get("/api/v1/meetings/?program=HLX-101").json()
    scheduled = client.get("/api/v1/meetings/?program=HLX-101&status=scheduled").json()
    until = (timezone.localdate() + datetime.timedelta(days=10)).isoformat()
    window = client.get(f"/api/v1/meetings/?program=HLX-101&status=scheduled&starts_to={until}")

    assert every["count"] == 3
    assert [m["title"] for m in scheduled["results"]] == ["Soon", "Later"]
    assert [m["uid"] for m in window.json()["results"]] == [str(soon.uid)]
    assert later.uid


def test_a_sponsor_sees_only_its_own_meetings(world, api_as):
    meeting(world.program, title="Helix call")
    meeting(world.program_b, title="Borealis call")

    body = api_as(world.lead_b).get("/api/v1/meetings/").json()

    assert [m["title"] for m in body["results"]] == ["Borealis call"]
    assert body["results"][0]["program"] == "BOR-017"


def test_a_meeting_reads_by_uid_with_agenda_and_action_items(world, api_as):
    call = meeting(world.program, attendees=[world.pm])
    action_item(world.program, world.pm, title="From the call", meeting=call)

    body = api_as(world.viewer_a).get(f"/api/v1/meetings/{call.uid}/").json()

    assert body["uid"] == str(call.uid)
    assert body["attendees"][0]["email"] == "pm@nb.example"
    assert [s["key"] for s in body["agenda"]][:3] == [
        "overdue-action-items",
        "milestones",
        "top-risks",
    ]
    assert body["action_items"][0]["title"] == "From the call"


def test_another_sponsors_meeting_is_not_found(world, api_as):
    call = meeting(world.program)

    assert_error(api_as(world.lead_b).get(f"/api/v1/meetings/{call.uid}/"), 404, "not_found")
    assert_error(api_as(world.lead_a).get("/api/v1/meetings/not-a-uid/"), 404, "not_found")


def test_action_items_filter_overdue(world, api_as):
    action_item(world.program, world.pm, title="Late", due_in_days=-1)
    action_item(world.program, world.pm, title="Fine", due_in_days=3)

    body = api_as(world.lead_a).get("/api/v1/action-items/?program=HLX-101&overdue=true").json()

    assert [(i["title"], i["overdue"]) for i in body["results"]] == [("Late", True)]


def test_the_pm_creates_an_action_item_for_a_sponsor_user(world, api_as):
    response = post_json(
        api_as(world.pm),
        "/api/v1/action-items/",
        {
            "program": "HLX-101",
            "title": "Approve the label text",
            "owner": "lead@helix.example",
            "due_date": (timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
            "audience": "sponsor",
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["owner"]["email"] == "lead@helix.example"
    assert ActionItem.objects.get().title == "Approve the label text"


def test_creating_an_action_item_with_an_unknown_field_or_owner_is_refused(world, api_as):
    client = api_as(world.pm)
    base = {"program": "HLX-101", "title": "T", "due_date": "2030-01-01"}

    unknown = post_json(
        client, "/api/v1/action-items/", {**base, "owner": "pm@nb.example", "prio": 1}
    )
    stranger = post_json(
        client, "/api/v1/action-items/", {**base, "owner": "lead@borealis.example"}
    )

    assert_error(unknown, 400, "invalid", {"prio"})
    assert_error(stranger, 404, "not_found")
    assert not ActionItem.objects.exists()


def test_a_sponsor_cannot_create_action_items(world, api_as):
    response = post_json(
        api_as(world.lead_a),
        "/api/v1/action-items/",
        {
            "program": "HLX-101",
            "title": "T",
            "owner": "lead@helix.example",
            "due_date": "2030-01-01",
        },
    )

    assert_error(response, 403, "permission_denied")


def test_the_owner_marks_their_action_item_done_once(world, api_as):
    item = action_item(world.program, world.viewer_a)
    client = api_as(world.viewer_a)

    done = client.post(f"/api/v1/action-items/{item.pk}/complete/")
    again = client.post(f"/api/v1/action-items/{item.pk}/complete/")

    assert done.status_code == 200
    assert done.json()["status"] == "done"
    assert_error(again, 409, "conflict")


def test_a_huge_action_item_id_is_simply_not_found(world, api_as):
    response = api_as(world.pm).post(f"/api/v1/action-items/{2**70}/complete/")

    assert_error(response, 404, "not_found")


def test_risks_read_highest_first_and_the_pm_adds_one(world, api_as):
    risk(world.program, world.pm, title="Low", likelihood=1, impact=1)
    risk(world.program, world.pm, title="High", likelihood=5, impact=5)

    listed = api_as(world.viewer_a).get("/api/v1/programs/HLX-101/risks/").json()
    created = post_json(
        api_as(world.pm),
        "/api/v1/programs/HLX-101/risks/",
        {"title": "Fill line", "likelihood": 2, "impact": 4, "review_date": "2030-01-01"},
    )

    assert [(r["title"], r["score"]) for r in listed["results"]] == [("High", 25), ("Low", 1)]
    assert created.status_code == 201, created.content
    assert created.json()["owner"]["email"] == "pm@nb.example"
    assert Risk.objects.filter(title="Fill line").exists()


def test_a_risk_out_of_range_is_refused_with_the_field_named(world, api_as):
    response = post_json(
        api_as(world.pm),
        "/api/v1/programs/HLX-101/risks/",
        {"title": "Bad", "likelihood": 7, "impact": 1, "review_date": "2030-01-01"},
    )

    assert_error(response, 400, "invalid", {"likelihood"})


def test_the_kickoff_reads_with_its_checklist(world, api_as):
    ready_for_kickoff(world)

    body = api_as(world.lead_a).get("/api/v1/programs/HLX-101/kickoff/").json()

    assert body["program"] == "HLX-101"
    assert [i["done"] for i in body["checklist"]] == [True] * 5
    assert body["completed_at"] is None
    assert {a["email"] for a in body["attendees"]} == {"pm@nb.example", "lead@helix.example"}


def test_a_program_without_a_kickoff_reads_an_empty_one(world, api_as):
    body = api_as(world.lead_a).get("/api/v1/programs/HLX-101/kickoff/").json()

    assert body["held_on"] is None
    assert body["attendees"] == []
