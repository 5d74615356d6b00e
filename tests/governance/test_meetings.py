"""Meetings: the composed agenda, the write-up with its action items, moving and cancelling."""

import datetime

import pytest
from django.utils import timezone

from governance import agenda, services
from governance.models import ActionItem, Meeting
from portal.errors import ServiceError
from portal.models import AuditEntry
from programs.models import Event, Milestone
from tests.governance.builders import action_item, meeting, past_meeting, risk


def _draft(world, title="Send the deviation report", days=7, owner=None):
    return services.ActionItemDraft(
        title=title,
        owner=owner or world.lead_a,
        due_date=timezone.localdate() + datetime.timedelta(days=days),
    )


def _write_up(world, held, **overrides):
    fields = {
        "actor": world.pm,
        "meeting": held,
        "present": [world.pm, world.lead_a],
        "minutes": "Engineering run on track.",
        "decisions": "Go for GMP batch 1.",
        "action_items": [_draft(world)],
    }
    fields.update(overrides)
    return services.meeting_write_up(**fields)


def test_the_agenda_lists_overdue_actions_due_or_slipping_milestones_and_top_risks(world):
    held = meeting(world.program)
    action_item(world.program, world.lead_a, title="Overdue thing", due_in_days=-3)
    action_item(world.program, world.lead_a, title="Not yet due", due_in_days=10)
    today = timezone.localdate()
    Milestone.objects.create(
        program=world.program,
        name="Due soon",
        baseline_date=today,
        forecast_date=today + datetime.timedelta(days=5),
    )
    Milestone.objects.create(
        program=world.program,
        name="Far and on time",
        baseline_date=today + datetime.timedelta(days=90),
        forecast_date=today + datetime.timedelta(days=90),
    )
    risk(world.program, world.pm, title="Big", likelihood=5, impact=4)
    risk(world.program, world.pm, title="Closed", likelihood=5, impact=5, status="closed")

    sections = {s.key: s for s in agenda.compose_agenda(world.program, held)}

    assert [i.text for i in sections["overdue-action-items"].items] == ["Overdue thing"]
    assert [i.text for i in sections["milestones"].items] == ["Due soon"]
    assert "days behind the baseline" in sections["milestones"].items[0].detail
    assert [i.text for i in sections["top-risks"].items] == ["Big"]


def test_other_apps_add_agenda_sections_through_the_registry(world, monkeypatch):
    monkeypatch.setattr(agenda, "REGISTRY", {})
    agenda.register_section("open questions", lambda program, m: [f"Any news on {program.code}?"])
    agenda.register_section("broken", lambda program, m: 1 / 0)

    sections = agenda.compose_agenda(world.program, meeting(world.program))

    assert [s.key for s in sections][-1] == "open-questions"
    assert sections[-1].title == "Open questions"
    assert sections[-1].items[0].text == "Any news on HLX-101?"


def test_writing_up_records_minutes_attendance_actions_and_the_agenda_as_it_stood(world):
    held = past_meeting(world.program, attendees=[world.pm, world.lead_a, world.viewer_a])
    action_item(world.program, world.lead_a, title="Overdue thing", due_in_days=-3)

    written = _write_up(world, held)

    assert written.status == Meeting.Status.HELD
    assert written.written_up_by == world.pm
    assert set(written.present.all()) == {world.pm, world.lead_a}
    assert written.agenda[0]["items"][0]["text"] == "Overdue thing"
    new = ActionItem.objects.get(meeting=held)
    assert (new.title, new.owner, new.status) == ("Send the deviation report", world.lead_a, "open")
    verbs = list(Event.objects.filter(program=world.program).values_list("verb", flat=True))
    assert "meeting.written_up" in verbs
    assert "action.created" in verbs
    assert AuditEntry.objects.filter(model="governance.actionitem").exists()


def test_a_second_write_up_amends_it_and_keeps_the_first_agenda(world):
    held = past_meeting(world.program)
    first = _write_up(world, held, action_items=[])
    action_item(world.program, world.lead_a, title="Overdue later", due_in_days=-1)

    amended = _write_up(world, held, minutes="Corrected minutes.", action_items=[])

    assert amended.minutes == "Corrected minutes."
    assert amended.agenda == first.agenda
    assert Event.objects.filter(verb="meeting.amended").exists()


def test_minutes_on_a_cancelled_meeting_are_refused_and_nothing_changes(world):
    held = past_meeting(world.program, status=Meeting.Status.CANCELLED)

    with pytest.raises(ServiceError) as exc:
        _write_up(world, held)

    assert exc.value.message == services.MEETING_CANCELLED
    held.refresh_from_db()
    assert held.minutes == ""
    assert not ActionItem.objects.exists()


def test_a_meeting_cannot_be_written_up_before_it_starts(world):
    upcoming = meeting(world.program)

    with pytest.raises(ServiceError) as exc:
        _write_up(world, upcoming)

    assert exc.value.message == services.MEETING_NOT_STARTED


def test_minutes_are_required(world):
    with pytest.raises(ServiceError) as exc:
        _write_up(world, past_meeting(world.program), minutes="  ")

    assert exc.value.field == "minutes"


def test_an_action_due_before_the_meeting_is_refused_and_nothing_is_saved(world):
    held = past_meeting(world.program, days_ago=2)

    with pytest.raises(ServiceError) as exc:
        _write_up(world, held, action_items=[_draft(world), _draft(world, days=-5)])

    assert exc.value.message == services.DUE_BEFORE_MEETING
    assert exc.value.field == "action_items.1.due_date"
    held.refresh_from_db()
    assert held.written_up_at is None
    assert not ActionItem.objects.exists()


def test_an_action_owner_must_be_on_the_program(world):
    with pytest.raises(ServiceError) as exc:
        _write_up(
            world, past_meeting(world.program), action_items=[_draft(world, owner=world.lead_b)]
        )

    assert exc.value.field == "action_items.0.owner"


def test_only_the_program_team_writes_up(world):
    with pytest.raises(ServiceError) as exc:
        _write_up(world, past_meeting(world.program), actor=world.lead_a)

    assert exc.value.message == services.NOT_PROGRAM_TEAM


def test_rescheduling_keeps_the_uid_and_raises_the_sequence(world):
    upcoming = meeting(world.program)
    uid = upcoming.uid
    later = upcoming.starts_at + datetime.timedelta(hours=2)

    moved = services.meeting_reschedule(actor=world.pm, meeting=upcoming, starts_at=later)
    moved_again = services.meeting_reschedule(
        actor=world.pm, meeting=moved, starts_at=later + datetime.timedelta(days=1)
    )

    assert (moved_again.uid, moved_again.sequence) == (uid, 2)
    assert Event.objects.filter(verb="meeting.rescheduled").count() == 2


def test_rescheduling_into_the_past_is_refused(world):
    upcoming = meeting(world.program)

    with pytest.raises(ServiceError) as exc:
        services.meeting_reschedule(
            actor=world.pm,
            meeting=upcoming,
            starts_at=timezone.now() - datetime.timedelta(hours=1),
        )

    assert exc.value.field == "starts_at"
    upcoming.refresh_from_db()
    assert upcoming.sequence == 0


def test_cancelling_sets_the_status_and_raises_the_sequence_once(world):
    upcoming = meeting(world.program)

    cancelled = services.meeting_cancel(actor=world.pm, meeting=upcoming, reason="Holiday")

    assert (cancelled.status, cancelled.sequence) == (Meeting.Status.CANCELLED, 1)
    with pytest.raises(ServiceError) as exc:
        services.meeting_cancel(actor=world.pm, meeting=cancelled)
    assert exc.value.message == services.MEETING_ALREADY_CANCELLED
    assert AuditEntry.objects.get(model="governance.meeting", reason="Holiday")


def test_a_held_meeting_can_no_longer_be_moved(world):
    held = _write_up(world, past_meeting(world.program), action_items=[])

    with pytest.raises(ServiceError) as exc:
        services.meeting_cancel(actor=world.pm, meeting=held)

    assert exc.value.message == services.MEETING_ALREADY_HELD


def test_a_one_off_meeting_is_scheduled_with_its_attendees(world):
    starts = timezone.now() + datetime.timedelta(days=3)

    one_off = services.meeting_schedule(
        actor=world.pm,
        program=world.program,
        title="Steering committee",
        starts_at=starts,
        time_zone="America/New_York",
        attendees=[world.lead_a, world.leader],
    )

    assert one_off.schedule is None
    assert set(one_off.attendees.all()) == {world.lead_a, world.leader}
    assert Event.objects.filter(verb="meeting.scheduled").exists()


def test_a_one_off_meeting_in_the_past_is_refused(world):
    with pytest.raises(ServiceError) as exc:
        services.meeting_schedule(
            actor=world.pm,
            program=world.program,
            title="Too late",
            starts_at=timezone.now() - datetime.timedelta(days=1),
            time_zone="UTC",
        )

    assert exc.value.message == services.TIME_IN_PAST
    assert not Meeting.objects.exists()
