"""Enqueueing after commit without ever failing the request that committed.

If the broker is unreachable, the row that needs delivering is already in the database and the
beat sweep picks it up: losing an enqueue delays a notification, it never loses one.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)

PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def _send(task_name: str, args: tuple[Any, ...], **options: Any) -> None:
    from portal.celery import app

    try:
        app.send_task(task_name, args=args, retry=True, retry_policy=PUBLISH_RETRY, **options)
    except Exception:  # the broker being down must not fail a committed request
        logger.warning("could not enqueue %s%r; the sweep will deliver it", task_name, args)


def enqueue_on_commit(task: Task | str, *args: Any, countdown: float | None = None) -> None:
    """Send the task once the transaction commits (to run no sooner than `countdown` seconds
    later). A name lets a lower app ask a higher one (comms reacts to programs' events) without
    importing it."""
    name = task if isinstance(task, str) else task.name
    if countdown is None:
        transaction.on_commit(lambda: _send(name, args))
    else:
        transaction.on_commit(lambda: _send(name, args, countdown=countdown))
