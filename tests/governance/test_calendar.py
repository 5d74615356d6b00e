"""Calendar output parsed back with icalendar: time zones, a stable UID, SEQUENCE on changes,
CANCEL on cancellation; invite emails; the per-user feed behind its secret."""

import datetime
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from governance import calendar
from governance.models import CalendarFeed, Meeting
from governance.services.feeds import calendar_feed_rotate
from governance.services.meetings import meeting_cancel, meeting_reschedule
from governance.tasks import send_meeting_invites
from tests.governance.builders import meeting
from tests.support.world import client_for

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _next_tuesday_at_three() -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=7)
    while day.weekday() != 1:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(15), tzinfo=LONDON)


def _event(ics: bytes):
    parsed = Calendar.from_ical(ics)
    return parsed, parsed.walk("VEVENT")[0]


@pytest.fixture
def call(world):
    return meeting(
        world.program,
        title="Weekly call",
        starts_at=_next_tuesday_at_three(),
        time_zone="Europe/London",
        attendees=[world.pm, world.lead_a],
    )


def test_an_invite_is_a_request_in_the_meetings_time_zone(world, call):
    parsed, event = _event(calendar.meeting_ics(call))

    assert parsed["METHOD"] == "REQUEST"
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/London"]
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event.decoded("DTSTART").replace(tzinfo=None).time() == datetime.time(15)
    assert event.decoded("DTSTART") == call.starts_at
    assert event.decoded("DTEND") - event.decoded("DTSTART") == datetime.timedelta(minutes=60)
    assert str(event["UID"]) == f"{call.uid}@127.0.0.1"
    assert event["SEQUENCE"] == 0
    assert event["STATUS"] == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:pm@nb.example"
    assert sorted(str(a) for a in event["ATTENDEE"]) == [
        "mailto:lead@helix.example",
        "mailto:pm@nb.example",
    ]


def test_a_rescheduled_meeting_keeps_its_uid_with_a_higher_sequence(world, call):
    _, before = _event(calendar.meeting_ics(call))
    later = call.starts_at + datetime.timedelta(days=1, hours=1)

    moved = meeting_reschedule(actor=world.pm, meeting=call, starts_at=later)
    parsed, after = _event(calendar.meeting_ics(moved))

    assert parsed["METHOD"] == "REQUEST"
    assert after["UID"] == before["UID"]
    assert after["SEQUENCE"] == 1
    assert after.decoded("DTSTART") == later


def test_a_cancelled_meeting_is_a_cancel_with_status_cancelled(world, call):
    cancelled = meeting_cancel(actor=world.pm, meeting=call)

    parsed, event = _event(calendar.meeting_ics(cancelled))

    assert parsed["METHOD"] == "CANCEL"
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert str(event["UID"]) == f"{call.uid}@127.0.0.1"


def test_a_new_york_meeting_carries_its_own_zone(world):
    start = datetime.datetime(2027, 3, 16, 10, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    call = meeting(world.program, starts_at=start, time_zone="America/New_York")

    parsed, event = _event(calendar.meeting_ics(call))

    assert parsed.walk("VTIMEZONE")[0]["TZID"] == "America/New_York"
    assert event.decoded("DTSTART").utcoffset() == datetime.timedelta(hours=-4)


def test_the_download_link_serves_the_invite(world, call):
    response = client_for(world, "viewer_a").get(f"/programs/HLX-101/meetings/{call.pk}/invite.ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "method=REQUEST" in response["Content-Type"]
    _, event = _event(response.content)
    assert str(event["UID"]) == f"{call.uid}@127.0.0.1"


def test_invites_are_emailed_to_each_attendee_with_the_calendar_attached(world, call):
    sent = send_meeting_invites(call.pk, call.sequence)

    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["lead@helix.example", "pm@nb.example"]
    part = mail.outbox[0].attachments[0]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    _, event = _event(part.get_payload(decode=True))
    assert str(event["UID"]) == f"{call.uid}@127.0.0.1"


def test_a_cancellation_email_carries_method_cancel(world, call):
    cancelled = meeting_cancel(actor=world.pm, meeting=call)

    send_meeting_invites(cancelled.pk, cancelled.sequence)

    assert mail.outbox[0].subject.startswith("Cancelled: HLX-101")
    assert mail.outbox[0].attachments[0].get_param("method") == "CANCEL"


def test_an_outdated_invite_task_sends_nothing(world, call):
    meeting_reschedule(
        actor=world.pm, meeting=call, starts_at=call.starts_at + datetime.timedelta(hours=1)
    )

    assert send_meeting_invites(call.pk, 0) == 0
    assert mail.outbox == []


def _feed(user):
    return calendar_feed_rotate(user=user)


def test_the_feed_lists_my_meetings_behind_my_secret(world, call):
    feed = _feed(world.lead_a)

    response = client_for(world, "anonymous").get(f"/calendar/{feed.secret}.ics")

    assert response.status_code == 200
    parsed = Calendar.from_ical(response.content)
    assert "METHOD" not in parsed
    assert [str(e["UID"]) for e in parsed.walk("VEVENT")] == [f"{call.uid}@127.0.0.1"]


def test_a_wrong_or_rotated_secret_is_not_found(world, call):
    old = _feed(world.lead_a).secret
    new = _feed(world.lead_a).secret
    anonymous = client_for(world, "anonymous")

    assert anonymous.get(f"/calendar/{old}.ics").status_code == 404
    assert anonymous.get("/calendar/not-a-real-secret-at-all-x.ics").status_code == 404
    assert anonymous.get(f"/calendar/{new}.ics").status_code == 200
    assert CalendarFeed.objects.count() == 1


def test_a_sponsors_feed_never_contains_another_sponsors_meetings(world, call):
    call.attendees.add(world.lead_b)  # even a wrong invitation does not open the door
    theirs = meeting(world.program_b, title="Borealis call", attendees=[world.lead_b])
    feed = _feed(world.lead_b)

    parsed = Calendar.from_ical(
        client_for(world, "anonymous").get(f"/calendar/{feed.secret}.ics").content
    )

    assert [str(e["UID"]) for e in parsed.walk("VEVENT")] == [f"{theirs.uid}@127.0.0.1"]


def test_the_pms_feed_has_the_meetings_of_their_programs(world, call):
    other = meeting(world.program_b, title="Borealis call")
    feed = _feed(world.pm)

    parsed = Calendar.from_ical(
        client_for(world, "anonymous").get(f"/calendar/{feed.secret}.ics").content
    )

    assert {str(e["UID"]) for e in parsed.walk("VEVENT")} == {
        f"{call.uid}@127.0.0.1",
        f"{other.uid}@127.0.0.1",
    }


def test_the_settings_page_creates_and_rotates_the_feed(world):
    client = client_for(world, "viewer_a")

    assert "Create my calendar feed" in client.get("/settings/calendar/").content.decode()
    client.post("/settings/calendar/")
    first = CalendarFeed.objects.get(user=world.viewer_a).secret
    client.post("/settings/calendar/")

    assert CalendarFeed.objects.get(user=world.viewer_a).secret != first
    assert (
        f"/calendar/{CalendarFeed.objects.get().secret}.ics"
        in client.get("/settings/calendar/").content.decode()
    )


def test_a_line_break_in_the_title_still_sends_one_line_subjects(world, call):
    Meeting.objects.filter(pk=call.pk).update(title="Weekly\ncall")
    call.refresh_from_db()

    sent = send_meeting_invites(call.pk, call.sequence)

    assert sent == 2
    assert all("\n" not in message.subject for message in mail.outbox)
    _, event = _event(mail.outbox[0].attachments[0].get_payload(decode=True))
    assert str(event["summary"]) == "HLX-101: Weekly\ncall"
