"""The Celery app. Tasks take ids, never objects, and are safe to run twice."""

import os

from celery import Celery
from celery.signals import task_prerun
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    task_ignore_result=True,
    worker_prefetch_multiplier=1,
    task_default_retry_delay=10,
    broker_connection_retry_on_startup=True,
    # Every beat (`celery beat`, `worker -B`) sends only while it holds the leader lock.
    beat_scheduler="portal.beat:LeaderScheduler",
    beat_schedule={
        "refresh-program-health": {
            "task": "comms.tasks.refresh_all_health",
            "schedule": 300.0,
        },
        "post-announcements": {
            "task": "comms.tasks.sweep_announcements",
            "schedule": 60.0,
        },
        "sweep-notifications": {
            "task": "comms.tasks.sweep_notifications",
            "schedule": float(settings.NOTIFICATION_SWEEP_SECONDS),
        },
        "send-digests": {
            "task": "comms.tasks.send_digests",
            "schedule": float(settings.NOTIFICATION_SWEEP_SECONDS),
        },
        # Signed copies of the audit chains' heads, outside the database (docs/audit-trail.md).
        "anchor-audit-chains": {
            "task": "portal.tasks.anchor_audit_chains",
            "schedule": 15 * 60.0,
        },
        # Escalations (docs/escalations.md): the rules raise, the sweep moves what is due.
        "raise-escalations": {
            "task": "comms.tasks.raise_escalations",
            "schedule": 60.0,
        },
        "sweep-escalations": {
            "task": "governance.tasks.sweep_escalations",
            "schedule": 60.0,
        },
        # Webhook deliveries whose task was lost (broker down, worker killed mid-attempt).
        "sweep-webhooks": {
            "task": "integrations.tasks.sweep_webhooks",
            "schedule": 60.0,
        },
        # Replies by email from a self-hosted mailbox (nothing to do unless INBOUND_IMAP_HOST).
        "read-reply-mailbox": {
            "task": "integrations.tasks.read_reply_mailbox",
            "schedule": 60.0,
        },
        # Quarterly access reviews (docs/people.md): reminders once per kind and quarter.
        "remind-access-reviews": {
            "task": "people.tasks.remind_access_reviews",
            "schedule": 24 * 60 * 60.0,  # daily; idempotent
        },
        "generate-cadence-meetings": {
            "task": "governance.tasks.generate_cadence_meetings",
            "schedule": 24 * 60 * 60.0,  # daily; idempotent, so a restart's extra run is harmless
        },
    },
)
app.autodiscover_tasks()


@task_prerun.connect
def _give_task_a_request_id(task_id: str | None = None, **_: object) -> None:
    """Audit entries written by a task carry the task id as their request id."""
    from portal.request_context import set_request_id

    set_request_id(f"task-{task_id}" if task_id else None)
