"""Celery beat with a leader lock: a second beat started by mistake stands by instead of sending
every periodic sweep a second time.

The Procfile runs beat inside a worker (`worker -B`) and docker-compose runs one `celery beat`;
two workers with `-B`, or a `celery beat` next to a `-B` worker, would each send every entry of
`beat_schedule`. `LeaderScheduler` (wired as `beat_scheduler` in portal/celery.py, so every
beat uses it) sends only while it holds a lock in Redis: a key set with NX and a time to live of
`BEAT_LOCK_SECONDS`, renewed by its holder every third of that, renewed and released only with
the holder's token (redis-py's `Lock`, whose Lua scripts check it). The others keep trying; when
the leader dies its key expires and one of them leads within `BEAT_LOCK_SECONDS` plus a third.
A leader that stops cleanly gives the lock back at once.

A beat that takes over sends what its own schedule finds due, so a sweep may run once early
after a takeover; every scheduled task is safe to run twice (portal/celery.py). While Redis
does not answer, no beat sends: the broker is the same Redis, so a send would fail anyway.

Without Redis (embedded mode, the filesystem broker) there is one process and no lock: the
scheduler is Celery's `PersistentScheduler` as it is.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from celery.beat import PersistentScheduler
from django.conf import settings
from redis.exceptions import LockError, LockNotOwnedError, RedisError

logger = logging.getLogger(__name__)


class Leadership:
    """The beat leader lock: `hold` takes it or renews it, `give_up` releases it."""

    def __init__(self, client: redis.Redis, key: str, seconds: float) -> None:
        self.renew_every = seconds / 3
        # Not thread-local: an embedded beat may tick and close on different threads.
        self._lock = client.lock(key, timeout=seconds, blocking=False, thread_local=False)
        self._held = False

    def hold(self) -> bool:
        """Whether this beat leads now: renew the lock it holds, or try to take a free one. A
        Redis error says no, and keeps what we believed: the next tick renews a lock still ours."""
        try:
            if self._held:
                try:
                    self._lock.reacquire()
                    return True
                except LockNotOwnedError:
                    logger.warning("beat: the leader lock expired; standing by")
            self._held = bool(self._lock.acquire(blocking=False))
        except RedisError as exc:
            logger.warning("beat: Redis did not answer (%s); sending nothing", exc)
            return False
        if self._held:
            logger.info("beat: leading (lock %s)", self._lock.name)
        return self._held

    def give_up(self) -> None:
        """Release the lock if it is still ours, so a standby leads without waiting out its TTL."""
        if not self._held:
            return
        self._held = False
        try:
            self._lock.release()
        except (LockError, RedisError) as exc:
            logger.warning("beat: could not release the leader lock (%s)", exc)


def leadership_from_settings() -> Leadership | None:
    """The lock on settings.REDIS_URL; None in embedded mode, where there is nothing to share."""
    if not settings.REDIS_URL:
        return None
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)
    return Leadership(client, settings.BEAT_LOCK_KEY, settings.BEAT_LOCK_SECONDS)


class LeaderScheduler(PersistentScheduler):
    """`PersistentScheduler` that sends only while it holds the leader lock."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.leadership = leadership_from_settings()
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """One pass of beat; returns the seconds until the next. A standby sleeps a third of the
        lock's TTL, a leader at most that long, so that it renews in time."""
        if self.leadership is None:
            return super().tick(*args, **kwargs)
        if not self.leadership.hold():
            return self.leadership.renew_every
        return min(super().tick(*args, **kwargs), self.leadership.renew_every)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.leadership is not None:
                self.leadership.give_up()
