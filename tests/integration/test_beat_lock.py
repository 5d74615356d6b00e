"""Two beats started by mistake send each periodic sweep once: one leads, the other stands by and
takes over when the leader dies (portal/beat.py).

The beats are real processes, a `celery beat` and a worker with an embedded beat (`-B`, as the
Procfile runs it), on Redis, with a sweep interval of one second and a lock of a few seconds.
What they send stays in a queue of this test's own that nothing consumes, so the test reads
every message: its task and its origin (the sending process). Every wait has a deadline.
"""

from __future__ import annotations

import functools
import json
import os
import re
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings

from portal.beat import Leadership, leadership_from_settings
from portal.celery import app as celery_app
from tests.support.celery_worker import (
    Worker,
    forget_queue,
    start_celery,
    stop_worker,
    wait_until,
)

pytestmark = pytest.mark.services

SWEEP = "comms.tasks.sweep_notifications"
LOCK_SECONDS = 3  # renewed every second


@dataclass(frozen=True)
class Sent:
    task: str
    origin: str  # gen<pid>@<host>: the process that sent it


def sent(broker: redis.Redis, queue: str) -> list[Sent]:
    """Every message waiting in the queue, oldest first."""
    messages = [json.loads(raw) for raw in reversed(broker.lrange(queue, 0, -1))]
    return [Sent(m["headers"]["task"], m["headers"]["origin"]) for m in messages]


def sweeps_by(broker: redis.Redis, queue: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in sent(broker, queue):
        if message.task == SWEEP:
            counts[message.origin] = counts.get(message.origin, 0) + 1
    return counts


def pid_of(origin: str) -> int:
    return int(origin.removeprefix("gen").partition("@")[0])


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE).group(1))


@dataclass
class Beats:
    queue: str
    broker: redis.Redis
    lock_key: str
    processes: list[Worker]

    def by_origin(self, origin: str) -> Worker:
        """The process started here that sent it: itself, or the parent of its embedded beat
        (a worker's `-B` beat is a child process)."""
        pid = pid_of(origin)
        [process] = [p for p in self.processes if p.process.pid in (pid, parent_of(pid))]
        return process

    def outputs(self) -> str:
        return "\n".join(f"--- {p.process.args}:\n{p.output.text[-3000:]}" for p in self.processes)


@pytest.fixture
def two_beats(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Beats]:
    """A `celery beat` and a `worker -B`, sharing a lock of this test's own whose time to live
    is LOCK_SECONDS (or the test's indirect parameter)."""
    lock_seconds = getattr(request, "param", LOCK_SECONDS)
    queue = f"test-beat-{uuid.uuid4().hex}"
    prefix = f"test-{uuid.uuid4().hex}"
    environment = {
        "CACHE_PREFIX": prefix,
        "BEAT_LOCK_SECONDS": str(lock_seconds),
        "NOTIFICATION_SWEEP_SECONDS": "1",
    }
    beat = ["beat", "--loglevel=info", "--schedule", str(tmp_path / "beat")]
    embedded = ["worker", "-B", "--pool=threads", "--loglevel=info"]
    embedded += ["--schedule-filename", str(tmp_path / "worker-beat")]
    embedded += ["--queues", f"{queue}-idle", "--hostname", f"{queue}@%h"]
    embedded += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    broker_url = celery_app.conf.broker_url
    start = functools.partial(start_celery, queue=queue, broker_url=broker_url, **environment)
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = [
            pool.submit(start, beat, ready="beat: Starting"),
            pool.submit(start, embedded, ready=" ready."),
        ]
        processes = [future.result() for future in started]
    broker = redis.Redis.from_url(broker_url)
    try:
        yield Beats(queue, broker, f"{prefix}:beat-leader", processes)
    finally:
        for process in processes:
            stop_worker(process)
        forget_queue(broker_url, queue)
        broker.delete(f"{prefix}:beat-leader")
        broker.close()


def the_leader(beats: Beats) -> str:
    """The origin of the first sweep sent."""
    assert wait_until(lambda: sweeps_by(beats.broker, beats.queue), 10), beats.outputs()
    [leader] = sweeps_by(beats.broker, beats.queue)
    return leader


def test_of_two_beats_one_sends_each_sweep_once_per_interval(two_beats):
    leader = the_leader(two_beats)
    before = sweeps_by(two_beats.broker, two_beats.queue)[leader]

    time.sleep(5)  # five intervals: longer than the lock's time to live

    counts = sweeps_by(two_beats.broker, two_beats.queue)
    assert list(counts) == [leader], f"{counts}\n{two_beats.outputs()}"
    assert 4 <= counts[leader] - before <= 6, counts


def test_the_standby_takes_over_when_the_leader_dies(two_beats):
    leader = the_leader(two_beats)

    two_beats.by_origin(leader)  # one of ours
    os.kill(pid_of(leader), signal.SIGKILL)  # the beat itself, no clean release
    killed = time.monotonic()

    def successor() -> str | None:
        return next((o for o in sweeps_by(two_beats.broker, two_beats.queue) if o != leader), None)

    assert wait_until(successor, LOCK_SECONDS + 5), two_beats.outputs()
    took_over = time.monotonic() - killed
    # The lock expires at most LOCK_SECONDS after the last renewal; the standby tries every
    # third of that, and sends what is due (one-second interval) at once.
    assert took_over < LOCK_SECONDS + LOCK_SECONDS / 3 + 1.5, took_over


@pytest.mark.parametrize("two_beats", [9], indirect=True)
def test_a_leader_that_stops_cleanly_hands_over_at_once(two_beats):
    leader = the_leader(two_beats)

    stopped = time.monotonic()
    stop_worker(two_beats.by_origin(leader))

    assert wait_until(lambda: len(sweeps_by(two_beats.broker, two_beats.queue)) == 2, 15), (
        two_beats.outputs()
    )
    # The standby tries every 3 s; a lock left to expire would hold it for 6 to 9 s.
    assert time.monotonic() - stopped < 5, "the standby waited for the lock to expire"


# --- The lock itself ------------------------------------------------------------------------


@pytest.fixture
def lock_key() -> Iterator[str]:
    key = f"test-beat-lock-{uuid.uuid4().hex}"
    yield key
    redis.Redis.from_url(settings.REDIS_URL).delete(key)


def leadership(key: str, seconds: float) -> Leadership:
    return Leadership(redis.Redis.from_url(settings.REDIS_URL), key, seconds)


def test_only_one_holds_the_lock_until_it_gives_it_up(lock_key):
    first, second = leadership(lock_key, 30), leadership(lock_key, 30)

    assert first.hold()
    assert not second.hold()
    assert first.hold()  # renewed

    first.give_up()
    assert second.hold()
    assert not first.hold()


def test_a_leader_whose_lock_expired_stands_by_and_leaves_the_new_lock_alone(lock_key):
    first, second = leadership(lock_key, 0.3), leadership(lock_key, 0.3)
    assert first.hold()

    time.sleep(0.4)  # the leader stalled past its lock's time to live

    assert second.hold()
    assert not first.hold()
    first.give_up()
    assert second.hold()


def test_without_redis_there_is_no_lock(settings):
    settings.REDIS_URL = ""

    assert leadership_from_settings() is None
