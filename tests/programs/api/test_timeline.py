"""Workstreams and milestones over REST: invalid input is a 400 naming the field, the
record's current state a 409."""

from programs.models import Event, Milestone, Workstream
from programs.services import timeline
from tests.programs.builders import day, milestone, workstream
from tests.support.api import assert_error, new_token, post_json, token_client

API = "/api/v1/programs/HLX-101"


def _api(world, persona):
    return token_client(new_token(getattr(world, persona)))


def test_milestones_read_with_their_workstream_and_slip(world):
    ws = workstream(world.program, "Tech transfer")
    m = milestone(world.program, "Engineering run", baseline=20, forecast=44, workstream=ws)
    milestone(world.program, "Board review", baseline=50)

    body = _api(world, "viewer_a").get(f"{API}/milestones/").json()

    assert body["count"] == 2
    first = body["results"][0]
    assert first == {
        "id": m.pk,
        "name": "Engineering run",
        "description": "",
        "workstream": "Tech transfer",
        "baseline_date": day(20).isoformat(),
        "forecast_date": day(44).isoformat(),
        "actual_date": None,
        "slip_days": 24,
        "is_complete": False,
        "forecast_changed_at": None,
    }
    assert body["results"][1]["workstream"] is None


def test_workstreams_read_with_their_owners_as_people(world):
    workstream(world.program, "Analytical", cdmo_owner=world.pm)

    ws = _api(world, "lead_a").get(f"{API}/workstreams/").json()["results"][0]

    assert ws["cdmo_owner"]["email"] == world.pm.email
    assert ws["sponsor_owner"] is None
    assert ws["has_both_owners"] is False


def test_the_pm_adds_a_workstream_naming_owners_by_email(world):
    response = post_json(
        _api(world, "pm"),
        f"{API}/workstreams/",
        {
            "name": "Fill-finish",
            "kind": "fill_finish",
            "cdmo_owner": world.staff.email.upper(),
            "sponsor_owner": world.viewer_a.email,
            "start_date": day(1).isoformat(),
            "end_date": day(90).isoformat(),
        },
    )

    assert response.status_code == 201
    assert response.json()["has_both_owners"] is True
    assert Workstream.objects.get(name="Fill-finish").sponsor_owner == world.viewer_a


def test_a_sponsor_owner_from_another_sponsor_is_invalid_input_naming_the_field(world):
    response = post_json(
        _api(world, "pm"),
        f"{API}/workstreams/",
        {"name": "Fill-finish", "sponsor_owner": world.lead_b.email},
    )

    error = assert_error(response, 400, "invalid", {"sponsor_owner"})
    assert error["message"] == timeline.SPONSOR_OWNER_INVALID
    assert not Workstream.objects.exists()


def test_dates_in_the_wrong_order_are_invalid_input_and_nothing_is_saved(world):
    response = post_json(
        _api(world, "pm"),
        f"{API}/workstreams/",
        {"name": "Fill-finish", "start_date": day(9).isoformat(), "end_date": day(3).isoformat()},
    )

    assert_error(response, 400, "invalid", {"end_date"})
    assert not Workstream.objects.exists()


def test_an_unknown_field_is_refused(world):
    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/",
        {"name": "X", "baseline_date": "2030-01-01", "forecast": "x"},
    )

    assert_error(response, 400, "invalid", {"forecast"})


def test_the_pm_adds_a_milestone_to_a_workstream_by_name(world):
    workstream(world.program, "Analytical")

    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/",
        {"name": "Method report", "workstream": "Analytical", "baseline_date": day(30).isoformat()},
    )

    assert response.status_code == 201
    assert response.json()["forecast_date"] == day(30).isoformat()
    assert Milestone.objects.get().workstream.name == "Analytical"


def test_a_workstream_of_another_program_is_not_found_by_name(world):
    workstream(world.program_b, "Analytical")

    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/",
        {"name": "Method report", "workstream": "Analytical", "baseline_date": day(30).isoformat()},
    )

    assert_error(response, 400, "invalid", {"workstream"})


def test_the_pm_reschedules_with_a_reason_and_a_big_slip_is_announced(world):
    m = milestone(world.program, baseline=20)

    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/{m.pk}/reschedule/",
        {"forecast_date": day(40).isoformat(), "reason": "Resin delayed"},
    )

    assert response.status_code == 200
    assert response.json()["slip_days"] == 20
    assert Event.objects.get(verb="milestone.rescheduled").announce is True


def test_a_reschedule_without_a_reason_is_refused(world):
    m = milestone(world.program, baseline=20)

    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/{m.pk}/reschedule/",
        {"forecast_date": day(40).isoformat()},
    )

    assert_error(response, 400, "invalid", {"reason"})
    m.refresh_from_db()
    assert m.forecast_date == day(20)


def test_a_forecast_in_the_past_is_invalid_input_naming_the_field(world):
    m = milestone(world.program, baseline=-5)

    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/{m.pk}/reschedule/",
        {"forecast_date": day(-1).isoformat(), "reason": "Late"},
    )

    error = assert_error(response, 400, "invalid", {"forecast_date"})
    assert error["message"] == timeline.FORECAST_IN_PAST


def test_moving_a_completed_milestone_is_a_conflict_with_its_state(world):
    m = milestone(world.program, baseline=-5, actual=-5)

    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/{m.pk}/reschedule/",
        {"forecast_date": day(3).isoformat(), "reason": "Again"},
    )

    error = assert_error(response, 409, "conflict")
    assert error["message"] == timeline.MILESTONE_COMPLETE


def test_another_programs_milestone_is_not_found(world):
    other = milestone(world.program_b)

    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/{other.pk}/reschedule/",
        {"forecast_date": day(40).isoformat(), "reason": "Wrong program"},
    )

    assert_error(response, 404, "not_found")
    other.refresh_from_db()
    assert other.forecast_date == day(30)


def test_a_huge_milestone_id_is_a_404_not_a_database_error(world):
    response = post_json(
        _api(world, "pm"),
        f"{API}/milestones/99999999999999999999/reschedule/",
        {"forecast_date": day(40).isoformat(), "reason": "x"},
    )

    assert response.status_code == 404
