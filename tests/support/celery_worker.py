"""A real Celery worker as a subprocess, on Redis and on the test's own database.

The worker consumes a queue of its own, so that parallel runs never take each other's tasks;
`start_worker` waits until it is ready and `stop_worker` shuts it down warm (or kills it).
Integration tests commit for real (`transaction=True`): the worker cannot see a test's
uncommitted rows. Every wait has a deadline.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection

from portal.celery import app as celery_app
from tests.support.processes import (  # noqa: F401 (Output and wait_until: for the tests)
    Output,
    production_environment,
    start_process,
    stop_process,
    wait_until,
)

CELERY = Path(sys.executable).parent / "celery"


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
    process, output = start_process(
        [str(CELERY), "-A", "portal", *arguments], environment, ready=ready
    )
    return Worker(process, output, queue)


def stop_worker(worker: Worker) -> None:
    """Warm shutdown (it finishes the task in hand), a kill if that takes too long."""
    stop_process(worker.process)


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
