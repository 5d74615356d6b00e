"""A real Celery worker delivers an update's notifications once the update commits.

The worker is a subprocess on Redis and on this test's own database (its name differs per xdist
worker), so the test commits for real (`transaction=True`). It consumes a queue of its own, so
that parallel runs never take each other's tasks. Every wait has a deadline.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from comms.models import Notification, Update
from comms.services.updates import update_post
from comms.tasks import fan_out_events
from portal.celery import app as celery_app
from programs.models import Event
from tests.support.celery_worker import (
    Worker,
    forget_queue,
    start_worker,
    stop_worker,
    wait_until,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

DELIVERY_TIMEOUT = 20


@contextmanager
def running_worker(monkeypatch, **environment: str) -> Iterator[Worker]:
    """A worker subprocess on this test's database and a queue of its own, with `environment`
    on top of the production one; stopped (warm) and its queue removed afterwards."""
    queue = f"test-worker-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    worker = start_worker(queue, celery_app.conf.broker_url, **environment)
    try:
        yield worker
    finally:
        stop_worker(worker)
        forget_queue(celery_app.conf.broker_url, queue)


@pytest.fixture
def celery_worker(transactional_db, monkeypatch) -> Iterator[Worker]:
    with running_worker(monkeypatch) as worker:
        yield worker


def recipients_of(update: Update) -> set[str]:
    return set(
        Notification.objects.filter(update=update).values_list("recipient__email", flat=True)
    )


def task_result(worker: Worker, task_id: str) -> str | None:
    """What the worker logged as the task's return value, once it has succeeded."""
    match = re.search(rf"\[{re.escape(task_id)}\] succeeded in [\d.]+s: (.*)", worker.output.text)
    return match.group(1).strip() if match else None


def test_the_worker_notifies_the_sponsor_once_the_update_commits(world, celery_worker):
    update = update_post(
        actor=world.pm,
        program=world.program,
        title="Batch 24-017 released",
        body="Released by QA this morning; shipping Thursday.",
    )
    sponsor_a = {world.lead_a.email, world.viewer_a.email}

    delivered = wait_until(lambda: recipients_of(update) == sponsor_a, DELIVERY_TIMEOUT)

    assert delivered, f"got {recipients_of(update)}; worker said:\n{celery_worker.output.text}"
    assert not Notification.objects.filter(recipient=world.lead_b).exists()
    assert "comms.tasks.fan_out_events" in celery_worker.output.text


def test_running_the_task_again_creates_nothing_new(world, celery_worker):
    update = update_post(
        actor=world.pm, program=world.program, title="Stability pull at 6 months", body="On time."
    )
    assert wait_until(lambda: len(recipients_of(update)) == 2, DELIVERY_TIMEOUT)
    before = set(Notification.objects.values_list("id", flat=True))

    posted = Event.objects.get(verb="update.posted", subject_id=str(update.pk))
    again = fan_out_events.apply_async(args=[[posted.pk]])  # a redelivered message

    assert wait_until(lambda: task_result(celery_worker, again.id) is not None, DELIVERY_TIMEOUT)
    assert task_result(celery_worker, again.id) == "0"
    assert set(Notification.objects.values_list("id", flat=True)) == before
