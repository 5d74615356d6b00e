"""Calendar output with the `icalendar` library: one meeting as an invite, an update or a
cancellation, a user's subscription feed, and the invite emails.

Calendar clients match events by UID and keep the one with the highest SEQUENCE, so a meeting's
UID never changes and every reschedule or cancellation raises its sequence; that is what keeps
Outlook from showing the same call twice.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from email.mime.text import MIMEText
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from governance.models import Meeting
from governance.selectors import invite_recipients
from portal.models import User

PRODID = "-//Northbridge Biologics//CDMO Partnership Portal//EN"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
CONTENT_TYPE = "text/calendar; charset=utf-8"
# VTIMEZONE definitions cover the meetings with a year's margin: short, and still correct.
ZONE_MARGIN = datetime.timedelta(days=366)


def site_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "portal.invalid"


def meeting_uid(meeting: Meeting) -> str:
    """Stable for the meeting's whole life: its own UUID at the portal's host."""
    return f"{meeting.uid}@{site_host()}"


def meeting_link(meeting: Meeting) -> str:
    path = reverse("meeting-detail", args=[meeting.program.code, meeting.pk])
    return settings.SITE_URL.rstrip("/") + path


def method_for(meeting: Meeting) -> str:
    return CANCEL if meeting.status == Meeting.Status.CANCELLED else REQUEST


def _address(email: str, name: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(name)
    return address


def _organizer(meeting: Meeting) -> vCalAddress:
    """The program's dedicated PM; the portal's own address while none is assigned."""
    pm = meeting.program.dedicated_pm
    if pm is not None:
        return _address(pm.user.email, pm.user.display_name)
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return _address(email, name or "CDMO Portal")


def _attendee(user: User) -> vCalAddress:
    address = _address(user.email, user.display_name)
    address.params["CUTYPE"] = "INDIVIDUAL"
    address.params["ROLE"] = "REQ-PARTICIPANT"
    address.params["PARTSTAT"] = "NEEDS-ACTION"
    address.params["RSVP"] = "TRUE"
    return address


def _vevent(meeting: Meeting, stamp: datetime.datetime) -> Event:
    zone = zoneinfo.ZoneInfo(meeting.time_zone)
    start = meeting.starts_at.astimezone(zone)
    event = Event()
    event.add("uid", meeting_uid(meeting))
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + datetime.timedelta(minutes=meeting.duration_minutes))
    event.add("summary", f"{meeting.program.code}: {meeting.title}")
    event.add(
        "description",
        f"{meeting.program.code} {meeting.program.name}. Agenda, minutes and action items: "
        f"{meeting_link(meeting)}",
    )
    event.add("url", meeting_link(meeting))
    event.add("status", "CANCELLED" if meeting.status == Meeting.Status.CANCELLED else "CONFIRMED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _organizer(meeting))
    for user in meeting.attendees.all():
        event.add("attendee", _attendee(user))
    return event


def _calendar(meetings: list[Meeting], method: str | None, name: str | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    stamp = timezone.now()
    for meeting in meetings:
        calendar.add_component(_vevent(meeting, stamp))
    if meetings:
        starts = [m.starts_at.date() for m in meetings]
        calendar.add_missing_timezones(
            first_date=min(starts) - ZONE_MARGIN, last_date=max(starts) + ZONE_MARGIN
        )
    return calendar.to_ical()


def meeting_ics(meeting: Meeting) -> bytes:
    """The meeting as its attendees' calendars should now hold it: METHOD:REQUEST for an
    invite or update, METHOD:CANCEL with STATUS:CANCELLED once cancelled."""
    return _calendar([meeting], method_for(meeting))


def feed_ics(meetings: Iterable[Meeting], name: str) -> bytes:
    """A subscription feed: no METHOD (it publishes, it does not invite)."""
    return _calendar(list(meetings), None, name=name)


def _subject(meeting: Meeting, method: str) -> str:
    """One line: a header cannot hold a line break, and a title typed with one must not stop
    the invite from leaving."""
    when = f"{meeting.local_start:%a %d %b %Y %H:%M} {meeting.time_zone}"
    prefix = "Cancelled: " if method == CANCEL else ("Updated: " if meeting.sequence else "")
    return " ".join(f"{prefix}{meeting.program.code} {meeting.title}, {when}".split())


def _body(meeting: Meeting, method: str) -> str:
    if method == CANCEL:
        opening = "This meeting has been cancelled. Your calendar will remove it."
    elif meeting.sequence:
        opening = "This meeting has changed. Your calendar will update the existing entry."
    else:
        opening = "You are invited to this meeting. Accept it to add it to your calendar."
    return (
        f"{opening}\n\n{meeting.program.code} {meeting.program.name}\n"
        f"Agenda, minutes and action items: {meeting_link(meeting)}\n"
    )


def send_invites(meeting: Meeting, sequence: int) -> int:
    """Email the meeting's .ics to each attendee who may still see the meeting; returns how
    many messages left.

    A task carries the sequence it was asked to send; if the meeting has changed since, a newer
    task is on its way and this one sends nothing. Sending the same sequence twice is harmless:
    calendars just update the event to what it already is.
    """
    if meeting.sequence != sequence:
        return 0
    method = method_for(meeting)
    ics = meeting_ics(meeting).decode()
    messages = []
    for user in invite_recipients(meeting):
        message = EmailMessage(
            subject=_subject(meeting, method), body=_body(meeting, method), to=[user.email]
        )
        part = MIMEText(ics, "calendar", "utf-8")
        part.set_param("method", method)
        part.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(part)
        messages.append(message)
    if not messages:
        return 0
    return get_connection().send_messages(messages) or 0
