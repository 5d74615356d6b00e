"""A real Celery worker as a subprocess, on Redis and on the test's own database.

The worker consumes a queue of its own, so that parallel runs never take each other's tasks;
`start_worker` waits until it is ready and `stop_worker` shuts it down warm (or kills it).
Integration tests commit for real (`transaction=True`): the worker cannot see a test's
uncommitted rows. Every wait has a deadline.
"""

from __future__ import annotations

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

from portal.celery import app as celery_app
from tests.support.processes import production_environment

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"
READY_TIMEOUT = 60
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


def start_worker(queue: str, broker_url: str, **env: str) -> Worker:
    """A worker on `queue` of `broker_url`, with the production settings and `env` on top."""
    arguments = ["worker", "--pool=solo", "--loglevel=info"]
    arguments += ["--queues", queue, "--hostname", f"{queue}@%h"]
    arguments += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    return start_celery(arguments, queue, broker_url, ready=" ready.", **env)


def start_celery(
    arguments: list[str], queue: str, broker_url: str, *, ready: str, **env: str
) -> Worker:
    """`celery -A portal <arguments>` whose tasks go to `queue` of `broker_url` (a worker, a
    beat), with the production settings and `env` on top; returned once `ready` is in its
    output."""
    if connection.vendor != "postgresql":
        pytest.fail("the worker test needs DATABASE_URL to point at PostgreSQL")
    environment = production_environment(
        DATABASE_URL=worker_database_url(),
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=queue,  # what its tasks send stays on the test's queue
        **env,
    )
    process = subprocess.Popen(
        [str(CELERY), "-A", "portal", *arguments],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = Output(process.stdout)

    def started_or_exited() -> bool:
        return ready in output.text or process.poll() is not None

    worker = Worker(process, output, queue)
    if not wait_until(started_or_exited, READY_TIMEOUT):
        stop_worker(worker)
        pytest.fail(f"celery {arguments[0]} did not start:\n{output.text[-4000:]}")
    if process.poll() is not None:
        pytest.fail(f"celery {arguments[0]} exited ({process.returncode}):\n{output.text[-4000:]}")
    return worker


def stop_worker(worker: Worker) -> None:
    """Warm shutdown (it finishes the task in hand), a kill if that takes too long."""
    if worker.process.poll() is not None:
        return
    worker.process.send_signal(signal.SIGTERM)
    try:
        worker.process.wait(SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        worker.process.kill()
        worker.process.wait()


def forget_queue(broker_url: str, queue: str) -> None:
    """Remove the queue's list and kombu's bindings from the broker."""
    broker = redis.Redis.from_url(broker_url)
    try:
        for key in broker.scan_iter(match=f"*{queue}*"):
            broker.delete(key)
    finally:
        broker.close()


@contextmanager
def queue_of_its_own(monkeypatch: pytest.MonkeyPatch, prefix: str) -> Iterator[str]:
    """What this process enqueues goes to a new queue (no other test's worker takes it),
    removed from the broker afterwards; yields its name."""
    queue = f"{prefix}-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    try:
        yield queue
    finally:
        forget_queue(celery_app.conf.broker_url, queue)
