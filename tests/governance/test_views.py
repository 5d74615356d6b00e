"""Governance pages: full pages, their HTMX fragments, and forms answering 422 with inline
errors (nothing saved) or the fresh fragment on success."""

import datetime

from django.utils import timezone

from governance.models import ActionItem, CadenceSchedule, Kickoff, Meeting, Risk
from programs.models import Program
from tests.conftest import client_for
from tests.governance.builders import action_item, meeting, past_meeting, ready_for_kickoff, risk

HX = {"HTTP_HX_REQUEST": "true"}


def _body(response) -> str:
    return response.content.decode()


def test_the_kickoff_page_shows_the_checklist_to_the_sponsor(world):
    body = _body(client_for(world, "lead_a").get("/programs/HLX-101/kickoff/"))

    assert "Baseline timeline agreed" in body
    assert "0 of 5" in body
    assert "Complete the kick-off" not in body


def test_the_progress_fragment_is_small_and_standalone(world):
    response = client_for(world, "viewer_a").get(
        "/programs/HLX-101/kickoff/?fragment=progress", **HX
    )

    body = _body(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="kickoff-progress"')
    assert "<html" not in body
    assert "sse:program-HLX-101" in body


def test_completing_an_incomplete_kickoff_answers_422_with_what_is_missing(world):
    response = client_for(world, "pm").post("/programs/HLX-101/kickoff/complete/", {}, **HX)

    assert response.status_code == 422
    assert "Still missing" in _body(response)
    assert not Kickoff.objects.filter(completed_at__isnull=False).exists()


def test_the_pm_completes_a_ready_kickoff_with_htmx(world):
    ready_for_kickoff(world)

    response = client_for(world, "pm").post("/programs/HLX-101/kickoff/complete/", {}, **HX)

    assert response.status_code == 200
    assert "kickoff-changed" in response["HX-Trigger"]
    assert "The baseline timeline is frozen" in _body(response)
    assert Program.objects.get(code="HLX-101").baseline_frozen_at is not None


def test_the_kickoff_record_form_answers_422_on_a_future_date(world):
    future = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()

    response = client_for(world, "pm").post(
        "/programs/HLX-101/kickoff/record/", {"held_on": future}, **HX
    )

    assert response.status_code == 422
    assert "cannot be in the future" in _body(response)
    assert not Kickoff.objects.exists()


def test_the_meetings_page_lists_upcoming_and_past(world):
    meeting(world.program, title="Next call")
    past_meeting(world.program, title="Last call")
    meeting(world.program_b, title="Borealis call")

    body = _body(client_for(world, "lead_a").get("/programs/HLX-101/meetings/"))

    assert "Next call" in body
    assert "Last call" in body
    assert "Borealis call" not in body
    assert "Agree a cadence" not in body


def test_agreeing_a_cadence_with_bad_input_answers_422_and_saves_nothing(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/cadence/",
        {"title": "Weekly", "frequency": "daily", "weekday": "1", "local_time": "15:00"},
        **HX,
    )

    assert response.status_code == 422
    assert 'class="field-error"' in _body(response)
    assert not CadenceSchedule.objects.exists()


def test_the_pm_agrees_a_cadence_and_its_meetings_appear(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/cadence/",
        {
            "title": "Weekly call",
            "frequency": "weekly",
            "weekday": "1",
            "local_time": "15:00",
            "time_zone": "Europe/London",
            "duration_minutes": "60",
            "starts_on": timezone.localdate().isoformat(),
            "attendees": [world.pm.pk, world.lead_a.pk],
        },
        **HX,
    )

    assert response.status_code == 200
    assert "meetings-changed" in response["HX-Trigger"]
    assert Meeting.objects.filter(program=world.program).count() >= 8


def test_the_meeting_page_shows_the_composed_agenda(world):
    upcoming = meeting(world.program)
    action_item(world.program, world.lead_a, title="Chase the CoA", due_in_days=-2)

    body = _body(client_for(world, "viewer_a").get(f"/programs/HLX-101/meetings/{upcoming.pk}/"))

    assert "Overdue action items" in body
    assert "Chase the CoA" in body
    assert "Write up this meeting" not in body


def _write_up_data(world, **extra):
    data = {
        "present": [world.pm.pk, world.lead_a.pk],
        "minutes": "All good.",
        "decisions": "",
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
        "actions-0-title": "Send the report",
        "actions-0-owner": str(world.lead_a.pk),
        "actions-0-due_date": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "actions-1-title": "",
        "actions-1-owner": "",
        "actions-1-due_date": "",
    }
    data.update(extra)
    return data


def test_the_pm_writes_up_a_meeting_with_an_action_item_inline(world):
    held = past_meeting(world.program, attendees=[world.pm, world.lead_a])

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/meetings/{held.pk}/write-up/", _write_up_data(world), **HX
    )

    assert response.status_code == 200, _body(response)[:2000]
    assert "meeting-changed" in response["HX-Trigger"]
    held.refresh_from_db()
    assert held.status == "held"
    assert ActionItem.objects.get(meeting=held).title == "Send the report"


def test_a_write_up_with_an_action_due_before_the_meeting_answers_422_inline(world):
    held = past_meeting(world.program, days_ago=3)
    early = (timezone.localdate() - datetime.timedelta(days=10)).isoformat()

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/meetings/{held.pk}/write-up/",
        _write_up_data(world, **{"actions-0-due_date": early}),
        **HX,
    )

    assert response.status_code == 422
    assert "The due date cannot be before the meeting." in _body(response)
    assert 'id="id_actions-0-due_date_error"' in _body(response)
    held.refresh_from_db()
    assert held.written_up_at is None
    assert not ActionItem.objects.exists()


def test_minutes_on_a_cancelled_meeting_answer_422(world):
    cancelled = past_meeting(world.program, status="cancelled")

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/meetings/{cancelled.pk}/write-up/", _write_up_data(world), **HX
    )

    assert response.status_code == 422
    assert "minutes cannot be recorded" in _body(response)
    assert not ActionItem.objects.exists()


def test_another_action_row_comes_with_the_new_form_count(world):
    held = past_meeting(world.program)

    response = client_for(world, "pm").get(
        f"/programs/HLX-101/meetings/{held.pk}/?fragment=action-row&actions-TOTAL_FORMS=2", **HX
    )

    body = _body(response)
    assert 'name="actions-2-title"' in body
    assert 'hx-swap-oob="true"' in body
    assert 'value="3"' in body


def test_rescheduling_with_a_time_in_the_past_answers_422(world):
    upcoming = meeting(world.program)

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/meetings/{upcoming.pk}/reschedule/",
        {"starts_at": "2020-01-01T10:00", "duration_minutes": "60"},
        **HX,
    )

    assert response.status_code == 422
    assert "Choose a time in the future." in _body(response)
    upcoming.refresh_from_db()
    assert upcoming.sequence == 0


def test_cancelling_a_meeting_refreshes_the_page(world):
    upcoming = meeting(world.program)

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/meetings/{upcoming.pk}/cancel/", {"cancel-reason": "Holiday"}, **HX
    )

    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    upcoming.refresh_from_db()
    assert (upcoming.status, upcoming.sequence) == ("cancelled", 1)


def test_the_action_items_page_filters_open_overdue_and_done(world):
    action_item(world.program, world.lead_a, title="Late one", due_in_days=-2)
    action_item(world.program, world.lead_a, title="Future one", due_in_days=5)
    action_item(world.program, world.lead_a, title="Finished", status="done")
    client = client_for(world, "viewer_a")

    overdue = _body(client.get("/programs/HLX-101/actions/?state=overdue"))
    done = _body(client.get("/programs/HLX-101/actions/?state=done"))

    assert "Late one" in overdue
    assert "Future one" not in overdue
    assert "Finished" in done
    assert "Late one" not in done


def test_the_owner_marks_an_action_done_from_the_list(world):
    item = action_item(world.program, world.viewer_a, title="Mine")

    response = client_for(world, "viewer_a").post(
        f"/programs/HLX-101/actions/{item.pk}/done/", {"state": "open"}, **HX
    )

    assert response.status_code == 200
    assert "actions-changed" in response["HX-Trigger"]
    item.refresh_from_db()
    assert item.status == "done"


def test_adding_an_action_without_a_title_answers_422(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/actions/new/",
        {"title": "", "owner": world.pm.pk, "due_date": timezone.localdate().isoformat()},
        **HX,
    )

    assert response.status_code == 422
    assert not ActionItem.objects.exists()


def test_the_risk_page_has_an_accessible_heat_map_and_a_table_alternative(world):
    risk(world.program, world.pm, title="Resin", likelihood=5, impact=4)

    body = _body(client_for(world, "viewer_a").get("/programs/HLX-101/risks/"))

    assert '<svg viewBox="0 0 380 372" role="img"' in body
    assert '<title id="heat-title">' in body
    assert "Likelihood 5, impact 4: 1 risk." in body
    assert "The heat map as a table" in body
    assert "Resin" in body
    assert "Add a risk" not in body


def test_adding_a_risk_out_of_range_answers_422(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/risks/new/",
        {
            "title": "Too likely",
            "likelihood": "9",
            "impact": "2",
            "owner": world.pm.pk,
            "status": "open",
            "review_date": timezone.localdate().isoformat(),
        },
        **HX,
    )

    assert response.status_code == 422
    assert not Risk.objects.exists()


def test_the_pm_edits_a_risk(world):
    entry = risk(world.program, world.pm, title="Resin")

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/risks/{entry.pk}/",
        {
            "title": "Resin supply",
            "likelihood": "2",
            "impact": "2",
            "owner": world.pm.pk,
            "status": "mitigated",
            "review_date": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.title, entry.status) == ("Resin supply", "mitigated")
