"""Meeting services: one-off meetings, moving, cancelling, writing up and sharing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.models import ActionItem, Meeting
from governance.services.actions import DUE_BEFORE_MEETING, MEETING_CANCELLED
from governance.services.common import NOT_PROGRAM_TEAM
from governance.services.meetings import (
    MEETING_ALREADY_CANCELLED,
    MEETING_ALREADY_HELD,
    MEETING_NOT_STARTED,
    NOT_WRITTEN_UP,
    TIME_IN_PAST,
    ActionItemDraft,
    meeting_cancel,
    meeting_reschedule,
    meeting_schedule,
    meeting_share,
    meeting_write_up,
)
from portal.access import Audience
from portal.bounds import LINE_REFUSED
from portal.errors import Conflict, Invalid, ServiceError
from portal.models import AuditEntry
from programs.changes import HEALTH_TASK
from programs.models import Event, Program
from tests.governance.builders import action_item, meeting, past_meeting


def _draft(world, title="Send the deviation report", days=7, owner=None):
    return ActionItemDraft(
        title=title,
        owner=owner or world.lead_a,
        due_date=timezone.localdate() + datetime.timedelta(days=days),
        audience=Audience.SPONSOR,
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
    return meeting_write_up(**fields)


def test_minutes_on_a_cancelled_meeting_are_refused_and_nothing_changes(world):
    held = past_meeting(world.program, status=Meeting.Status.CANCELLED)

    with pytest.raises(ServiceError) as exc:
        _write_up(world, held)

    assert exc.value.message == MEETING_CANCELLED
    held.refresh_from_db()
    assert held.minutes == ""
    assert not ActionItem.objects.exists()


def test_a_meeting_cannot_be_written_up_before_it_starts(world):
    upcoming = meeting(world.program)

    with pytest.raises(ServiceError) as exc:
        _write_up(world, upcoming)

    assert exc.value.message == MEETING_NOT_STARTED


def test_minutes_are_required(world):
    with pytest.raises(ServiceError) as exc:
        _write_up(world, past_meeting(world.program), minutes="  ")

    assert exc.value.field == "minutes"


def test_an_action_due_before_the_meeting_is_refused_and_nothing_is_saved(world):
    held = past_meeting(world.program, days_ago=2)

    with pytest.raises(ServiceError) as exc:
        _write_up(world, held, action_items=[_draft(world), _draft(world, days=-5)])

    assert exc.value.message == DUE_BEFORE_MEETING
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

    assert exc.value.message == NOT_PROGRAM_TEAM


def test_rescheduling_keeps_the_uid_and_raises_the_sequence(world):
    upcoming = meeting(world.program)
    uid = upcoming.uid
    later = upcoming.starts_at + datetime.timedelta(hours=2)

    moved = meeting_reschedule(actor=world.pm, meeting=upcoming, starts_at=later)
    moved_again = meeting_reschedule(
        actor=world.pm, meeting=moved, starts_at=later + datetime.timedelta(days=1)
    )

    assert (moved_again.uid, moved_again.sequence) == (uid, 2)
    assert Event.objects.filter(verb="meeting.rescheduled").count() == 2


def test_rescheduling_into_the_past_is_refused(world):
    upcoming = meeting(world.program)

    with pytest.raises(ServiceError) as exc:
        meeting_reschedule(
            actor=world.pm,
            meeting=upcoming,
            starts_at=timezone.now() - datetime.timedelta(hours=1),
        )

    assert exc.value.field == "starts_at"
    upcoming.refresh_from_db()
    assert upcoming.sequence == 0


def test_cancelling_sets_the_status_and_raises_the_sequence_once(world):
    upcoming = meeting(world.program)

    cancelled = meeting_cancel(actor=world.pm, meeting=upcoming, reason="Holiday")

    assert (cancelled.status, cancelled.sequence) == (Meeting.Status.CANCELLED, 1)
    with pytest.raises(ServiceError) as exc:
        meeting_cancel(actor=world.pm, meeting=cancelled)
    assert exc.value.message == MEETING_ALREADY_CANCELLED
    assert AuditEntry.objects.get(model="governance.meeting", reason="Holiday")


def test_a_held_meeting_can_no_longer_be_moved(world):
    held = _write_up(world, past_meeting(world.program), action_items=[])

    with pytest.raises(ServiceError) as exc:
        meeting_cancel(actor=world.pm, meeting=held)

    assert exc.value.message == MEETING_ALREADY_HELD


def test_a_one_off_meeting_is_scheduled_with_its_attendees(world):
    starts = timezone.now() + datetime.timedelta(days=3)

    one_off = meeting_schedule(
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
        meeting_schedule(
            actor=world.pm,
            program=world.program,
            title="Too late",
            starts_at=timezone.now() - datetime.timedelta(days=1),
            time_zone="UTC",
        )

    assert exc.value.message == TIME_IN_PAST
    assert not Meeting.objects.exists()


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


def test_each_section_of_a_write_up_keeps_its_own_audience(world):
    held = past_meeting(world.program)

    written = _write_up(
        world,
        held,
        minutes_audience=Audience.SPONSOR,
        decisions_audience=Audience.INTERNAL,
        action_items=[],
    )

    assert (written.minutes_audience, written.decisions_audience) == ("sponsor", "internal")
    assert Event.objects.get(verb="meeting.written_up").audience == Audience.SPONSOR


def test_internal_minutes_are_not_announced_to_the_sponsor(world):
    held = past_meeting(world.program)

    _write_up(world, held, action_items=[])

    assert Event.objects.get(verb="meeting.written_up").audience == Audience.INTERNAL


def test_sharing_the_decisions_is_audited_and_told_to_the_sponsor(world):
    held = past_meeting(world.program)
    _write_up(world, held, action_items=[])

    shared = meeting_share(actor=world.pm, meeting=held, section="decisions")

    assert (shared.minutes_audience, shared.decisions_audience) == ("internal", "sponsor")
    entry = AuditEntry.objects.filter(model="governance.meeting").latest("id")
    assert entry.changes == {"decisions_audience": ["internal", "sponsor"]}
    assert Event.objects.get(verb="meeting.shared").audience == Audience.SPONSOR
    with pytest.raises(Conflict):
        meeting_share(actor=world.pm, meeting=held, section="decisions")


def test_only_a_written_up_section_can_be_shared(world):
    held = past_meeting(world.program)

    with pytest.raises(Conflict) as not_yet:
        meeting_share(actor=world.pm, meeting=held, section="minutes")
    with pytest.raises(Invalid) as unknown:
        meeting_share(actor=world.pm, meeting=held, section="agenda")

    assert not_yet.value.message == NOT_WRITTEN_UP
    assert unknown.value.field == "section"


def test_a_write_up_with_two_actions_bumps_the_version_once_and_refreshes_health_once(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("portal.queue._send", lambda name, args: sent.append((name, args)))
    held = past_meeting(world.program)
    before = Program.objects.get(pk=world.program.pk).version

    with django_capture_on_commit_callbacks(execute=True):
        _write_up(world, held, action_items=[_draft(world), _draft(world, title="Second")])

    assert Program.objects.get(pk=world.program.pk).version == before + 1
    assert sent.count((HEALTH_TASK, (world.program.pk,))) == 1
    assert ActionItem.objects.count() == 2


def test_a_line_break_in_a_title_is_refused_naming_the_title(world):
    with pytest.raises(ValidationError) as refused:
        meeting_schedule(
            actor=world.pm,
            program=world.program,
            title="Steering\r\ncommittee",
            starts_at=timezone.now() + datetime.timedelta(days=3),
            time_zone="Europe/London",
        )

    assert refused.value.message_dict == {
        "title": [LINE_REFUSED.format(what="line break", code=13)]
    }
    assert not Meeting.objects.exists()
