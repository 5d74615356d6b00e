"""Delivery that loses nothing, on the real services: a Celery worker killed (SIGKILL) in the
middle of sending an email, and the broker down at the moment a change commits. In both, the
beat sweep (`comms.tasks.sweep_notifications`, sent here as beat would send it) delivers each
email exactly once, counted by a real SMTP server (aiosmtpd) in this process.

The broker-down test stops and restarts a Redis server of its own on a free port, never the
shared one, and stops it whatever happens.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator

import kombu.exceptions
import pytest
import redis

from comms.models import Notification
from comms.services.updates import update_post
from comms.tasks import sweep_notifications
from portal.celery import app as celery_app
from programs.models import Event
from tests.support.celery_worker import forget_queue, start_worker, stop_worker, wait_until
from tests.support.smtp import Mailbox, free_port, smtp_server

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

LEASE_SECONDS = 3
TIMEOUT = 60
EMAIL = Notification.Channel.EMAIL


def worker_settings(smtp_port: int) -> dict[str, str]:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_TIMEOUT": "30",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_GRACE_SECONDS": "0",
    }


@pytest.fixture
def queue(monkeypatch) -> str:
    name = f"test-faults-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", name)
    return name


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as served:
        yield served


def post_notable_update(world) -> Event:
    update_post(
        actor=world.pm,
        program=world.program,
        title="Batch 24-017 released",
        body="Released this morning.",
        significance="notable",
    )
    return Event.objects.get(verb="update.posted")


def emails_of(event: Event) -> list[Notification]:
    return list(Notification.objects.filter(event=event, channel=EMAIL).order_by("pk"))


def all_sent(event: Event, expected: int) -> bool:
    rows = emails_of(event)
    return len(rows) == expected and all(row.sent_at is not None for row in rows)


def sweep_until(condition, timeout: float = TIMEOUT) -> bool:
    """Send the sweep as beat would, every couple of seconds, until `condition` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(kombu.exceptions.OperationalError, OSError):
            sweep_notifications.apply_async()  # the broker may still be reconnecting
        if wait_until(condition, 2):
            return True
    return False


def test_a_worker_killed_mid_delivery_neither_loses_nor_duplicates(world, queue, mailbox):
    box, port = mailbox
    box.hold = threading.Event()
    box.hold.set()  # the first sender is caught at RCPT, its row claimed, nothing delivered
    worker = start_worker(queue, celery_app.conf.broker_url, **worker_settings(port))
    try:
        event = post_notable_update(world)
        caught = box.holding.wait(TIMEOUT)
        assert caught, f"no delivery began; worker said:\n{worker.output.text[-3000:]}"
        worker.process.kill()  # SIGKILL, mid-delivery
        worker.process.wait()
    finally:
        stop_worker(worker)
    box.hold.clear()
    box.release.set()
    rows = emails_of(event)
    assert {row.recipient.email for row in rows} == {world.lead_a.email, world.viewer_a.email}
    assert all(row.sent_at is None for row in rows)
    assert any(row.claimed_at is not None for row in rows)  # the dead worker's claim
    assert box.count() == 0

    restarted = start_worker(queue, celery_app.conf.broker_url, **worker_settings(port))
    try:
        delivered = sweep_until(lambda: all_sent(event, 2))
        assert delivered, f"worker said:\n{restarted.output.text[-3000:]}"
        sweep_notifications.apply_async()  # and once more: nothing is sent twice
        time.sleep(LEASE_SECONDS)
    finally:
        stop_worker(restarted)
        forget_queue(celery_app.conf.broker_url, queue)
    assert sorted(m["To"] for m in box.messages) == sorted(
        [world.lead_a.email, world.viewer_a.email]
    )
    assert max(row.attempts for row in emails_of(event)) == 2  # the killed try, then the sweep's


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


class OwnRedis:
    """A Redis server of this test's own, stopped and started at will."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "the broker-down test needs redis-server on PATH"
        command = [binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        assert wait_until(self._answers, 10), "own redis-server did not start"

    def _answers(self) -> bool:
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def broker_on(own_redis, monkeypatch) -> Iterator[OwnRedis]:
    """This process's Celery app publishing to `own_redis` (its connection pools dropped, so
    that the next publish connects there), and back to the shared broker afterwards."""
    monkeypatch.setitem(celery_app.conf, "broker_url", own_redis.url)
    celery_app._after_fork()  # drops the pools bound to the old URL
    try:
        yield own_redis
    finally:
        monkeypatch.undo()
        celery_app._after_fork()


def test_redis_down_at_commit_delays_but_never_loses(world, queue, mailbox, broker_on):
    box, port = mailbox
    worker = start_worker(queue, broker_on.url, **worker_settings(port))
    try:
        broker_on.stop()

        event = post_notable_update(world)  # the request succeeds; the hand-off is lost

        event.refresh_from_db()
        assert event.fanned_out_at is None
        assert not Notification.objects.filter(event=event).exists()

        broker_on.start()
        delivered = sweep_until(lambda: all_sent(event, 2))
        assert delivered, f"worker said:\n{worker.output.text[-3000:]}"
    finally:
        stop_worker(worker)  # the server is this test's own: its queue goes with it
    assert sorted(m["To"] for m in box.messages) == sorted(
        [world.lead_a.email, world.viewer_a.email]
    )
    in_app = Notification.objects.filter(event=event, channel=Notification.Channel.IN_APP)
    assert in_app.count() == 2
