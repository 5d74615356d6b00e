"""Governance tasks: ids in, a service or the calendar module does the work. Safe to run twice."""

from __future__ import annotations

from smtplib import SMTPException

from governance import calendar
from governance.escalations import sweep
from governance.models import CadenceSchedule, Meeting
from governance.services.cadence import cadence_generate_meetings
from portal.transactions import service_task


@service_task(SMTPException, OSError)
def send_meeting_invites(meeting_id: int, sequence: int) -> int:
    """Email the invite, update or cancellation for one version (`sequence`) of a meeting."""
    meeting = (
        Meeting.objects.select_related("program")
        .prefetch_related("attendees")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None:
        return 0
    return calendar.send_invites(meeting, sequence)


@service_task()
def generate_cadence_meetings() -> int:
    """Beat, daily: keep every active cadence generated eight weeks ahead."""
    created = 0
    for schedule in CadenceSchedule.objects.filter(active=True).order_by("id"):
        created += len(cadence_generate_meetings(schedule))
    return created


@service_task()
def sweep_escalations() -> int:
    """Beat, every minute: move unacknowledged escalations whose window closed up a level."""
    return sweep.sweep()
