"""Delivery tasks: ids in, service call, bounded retries. Safe to run twice."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from comms import services
from comms.models import Update
from programs.models import Audience, Event, Program


@shared_task(
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def deliver_update_notifications(update_id: int) -> int:
    return services.update_notifications_deliver(update_id=update_id)


@shared_task(
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    reject_on_worker_lost=True,
)
def announce_event(event_id: int) -> bool:
    return services.update_announce_event(event_id=event_id) is not None


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sweep_pending_notifications() -> int:
    """Catch what a lost enqueue left behind (broker down at commit time, worker crash)."""
    cutoff = timezone.now() - timedelta(minutes=1)
    pending = Update.objects.filter(
        audience=Audience.SPONSOR, notified_at__isnull=True, published_at__lt=cutoff
    ).values_list("id", flat=True)[:500]
    unannounced = Event.objects.filter(
        announce=True, announcement__isnull=True, at__lt=cutoff
    ).values_list("id", flat=True)[:500]
    for event_id in unannounced:
        services.update_announce_event(event_id=event_id)
    return sum(services.update_notifications_deliver(update_id=pk) for pk in pending)


@shared_task(acks_late=True, reject_on_worker_lost=True, max_retries=3)
def refresh_health(program_id: int) -> bool:
    return services.program_health_refresh(program_id=program_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_all_health() -> int:
    """Time moves rules on (a question ages, an action falls overdue) without any event."""
    active = Program.objects.filter(status=Program.Status.ACTIVE).values_list("id", flat=True)
    return sum(services.program_health_refresh(program_id=pk) for pk in active)
