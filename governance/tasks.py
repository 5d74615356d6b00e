"""Governance tasks: ids in, a service or the calendar module does the work. Safe to run twice."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import DatabaseError

from governance import calendar, services
from governance.models import CadenceSchedule, Meeting


@shared_task(
    autoretry_for=(DatabaseError, SMTPException, OSError),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
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


@shared_task(acks_late=True, reject_on_worker_lost=True)
def generate_cadence_meetings() -> int:
    """Beat, daily: keep every active cadence generated eight weeks ahead."""
    created = 0
    for schedule in CadenceSchedule.objects.filter(active=True).order_by("id"):
        created += len(services.cadence_generate_meetings(schedule))
    return created
