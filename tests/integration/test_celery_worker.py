"""A real Celery worker delivers an update's notifications once the update commits.

The worker is a subprocess on Redis and on this test's own database (its name differs per xdist
worker), so the test commits for real (`transaction=True`). It consumes a queue of its own, so
that parallel runs never take each other's tasks. Every wait has a deadline.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from comms.models import Notification, Update
from comms.services.updates import update_post
from comms.tasks import deliver_update_notifications
from portal.celery import app as celery_app
from tests.support.processes import production_environment

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
READY_TIMEOUT = 60
DELIVERY_TIMEOUT = 20
SHUTDOWN_TIMEOUT = 30


class Output:
    """The worker's merged output, read on a thread so that waits can poll it."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._lock:
                self._lines.append(line)

    @property
    def text(self) -> str:
        with self._lock:
            return "".join(self._lines)


@dataclass
class Worker:
    process: subprocess.Popen[str]
    output: Output
    queue: str


def worker_database_url() -> str:
    """This test run's database, for the worker process."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s["PASSWORD"]:
        auth += ":" + quote(s["PASSWORD"], safe="")
    host = s["HOST"] or "localhost"
    port = s["PORT"] or "5432"
    return f"postgres://{auth}@{host}:{port}/{quote(s['NAME'], safe='')}"


def wait_until(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@contextmanager
def running_worker(monkeypatch, **environment: str) -> Iterator[Worker]:
    """A worker subprocess on this test's database and a queue of its own, with `environment`
    on top of the production one; stopped (warm) and its queue removed afterwards."""
    if connection.vendor != "postgresql":
        pytest.fail("the worker test needs DATABASE_URL to point at PostgreSQL")
    queue = f"test-worker-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    env = production_environment(
        DATABASE_URL=worker_database_url(),
        CELERY_BROKER_URL=celery_app.conf.broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        **environment,
    )
    command = [str(CELERY), "-A", "portal", "worker", "--pool=solo", "--loglevel=info"]
    command += ["--queues", queue, "--hostname", f"{queue}@%h"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = Output(process.stdout)

    def started_or_exited() -> bool:
        return " ready." in output.text or process.poll() is not None

    try:
        if not wait_until(started_or_exited, READY_TIMEOUT):
            pytest.fail(f"the worker did not start:\n{output.text[-4000:]}")
        if process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}):\n{output.text[-4000:]}")
        yield Worker(process, output, queue)
    finally:
        process.send_signal(signal.SIGTERM)  # warm shutdown: finishes the task in hand
        try:
            process.wait(SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        broker = redis.Redis.from_url(celery_app.conf.broker_url)
        try:
            for key in broker.scan_iter(match=f"*{queue}*"):  # the list and kombu's bindings
                broker.delete(key)
        finally:
            broker.close()


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
    update.refresh_from_db()
    assert update.notified_at is not None
    assert "comms.tasks.deliver_update_notifications" in celery_worker.output.text


def test_running_the_task_again_creates_nothing_new(world, celery_worker):
    update = update_post(
        actor=world.pm, program=world.program, title="Stability pull at 6 months", body="On time."
    )
    assert wait_until(lambda: len(recipients_of(update)) == 2, DELIVERY_TIMEOUT)
    before = set(Notification.objects.values_list("id", flat=True))

    again = deliver_update_notifications.apply_async(args=[update.pk])  # a redelivered message

    assert wait_until(lambda: task_result(celery_worker, again.id) is not None, DELIVERY_TIMEOUT)
    assert task_result(celery_worker, again.id) == "0"
    assert set(Notification.objects.values_list("id", flat=True)) == before
