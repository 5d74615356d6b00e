"""Meeting pages: the list, cadences, the agenda, write-ups, moving and cancelling."""

import datetime
import zoneinfo

from django.utils import timezone

from governance.models import ActionItem, CadenceSchedule, Meeting
from tests.governance.builders import action_item, meeting, past_meeting
from tests.support.world import client_for

HX = {"HTTP_HX_REQUEST": "true"}


def _body(response) -> str:
    return response.content.decode()


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
        "minutes_audience": "sponsor",
        "decisions": "",
        "decisions_audience": "sponsor",
        "actions-TOTAL_FORMS": "2",
        "actions-INITIAL_FORMS": "0",
        "actions-MIN_NUM_FORMS": "0",
        "actions-MAX_NUM_FORMS": "20",
        "actions-0-title": "Send the report",
        "actions-0-owner": str(world.lead_a.pk),
        "actions-0-due_date": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "actions-0-audience": "sponsor",
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


def test_the_meeting_page_gives_the_time_in_the_meetings_own_zone(world):
    new_york = zoneinfo.ZoneInfo("America/New_York")
    call = meeting(
        world.program,
        starts_at=datetime.datetime(2027, 3, 2, 15, 0, tzinfo=new_york),
        time_zone="America/New_York",
    )

    body = _body(client_for(world, "lead_a").get(f"/programs/HLX-101/meetings/{call.pk}/"))

    assert "Tuesday 2 March 2027, 15:00</time></strong> America/New_York" in body
