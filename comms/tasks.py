"""Delivery tasks: ids in, service call, bounded retries. Safe to run twice."""

from __future__ import annotations

from datetime import timedelta
from smtplib import SMTPException

from django.utils import timezone

from comms import escalation_rules
from comms.services import digests, health, notifications, updates
from portal.transactions import service_task
from programs.models import Event, Program


@service_task()
def announce_event(event_id: int) -> bool:
    return updates.update_announce_event(event_id=event_id) is not None


@service_task()
def sweep_announcements() -> int:
    """Post the updates of announced events whose task a lost enqueue left behind (broker down
    at commit time, worker crash). Returns how many were posted."""
    cutoff = timezone.now() - timedelta(minutes=1)
    unannounced = Event.objects.filter(
        announce=True, announcement__isnull=True, at__lt=cutoff
    ).values_list("id", flat=True)[:500]
    return sum(updates.update_announce_event(event_id=pk) is not None for pk in unannounced)


@service_task()
def fan_out_events(event_ids: list[int]) -> int:
    return notifications.events_fan_out(event_ids=event_ids)


@service_task(OSError, SMTPException)
def deliver_notification_emails(notification_ids: list[int]) -> int:
    """Send email notifications; an SMTP or network failure retries with backoff."""
    return notifications.notification_emails_deliver(notification_ids=notification_ids)


@service_task()
def sweep_notifications() -> tuple[int, int]:
    """Beat, every minute: what a lost enqueue or a dead worker left, fanned out and sent."""
    return notifications.notifications_sweep()


@service_task(OSError, SMTPException)
def send_digests() -> int:
    """Beat, every minute: the digests whose hour has come, in each person's time zone."""
    return digests.digests_send()


@service_task()
def refresh_health(program_id: int) -> bool:
    return health.program_health_refresh(program_id=program_id)


@service_task()
def refresh_all_health() -> int:
    """Time moves rules on (a question ages, an action falls overdue) without any event."""
    active = Program.objects.filter(status=Program.Status.ACTIVE).values_list("id", flat=True)
    return sum(health.program_health_refresh(program_id=pk) for pk in active)


@service_task()
def raise_escalations() -> int:
    """Beat, every minute: raise what the escalation rules find due (once per subject)."""
    return escalation_rules.raise_due()
