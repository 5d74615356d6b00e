"""Ringing the bell for live pages: one Redis publish per committed transaction.

A message only says "look again at program X"; the pages re-fetch through permission-checked
views. `LiveEvent` is the one shape of a live message: the publisher (programs/changes.py), the
stream hub and the catch-up from the Event table all build and read it here. Without Redis
(embedded mode) nothing is published and streams poll the Event table.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveEvent:
    """One activity-stream event as the live pages hear of it."""

    id: int
    program: str  # the program's code: pages listen for `program-<code>`
    sponsor: int  # the sponsor organisation's id, for the tenancy rule
    audience: str  # sponsor or internal, for the audience rule
    kind: str
    significance: str
    summary: str
    program_id: int | None = None  # for the program grants; a message without it is refused to
    # a viewer restricted to some programs (fail closed)

    @classmethod
    def of(cls, event: Any) -> LiveEvent:
        """From an Event row (with its program loaded)."""
        return cls(
            id=event.id,
            program=event.program.code,
            sponsor=event.program.sponsor_id,
            audience=str(event.audience),
            kind=str(event.kind),
            significance=str(event.significance),
            summary=str(event.summary),
            program_id=event.program_id,
        )

    @staticmethod
    def encode(events: Sequence[LiveEvent]) -> str:
        return json.dumps([asdict(event) for event in events])

    @classmethod
    def decode(cls, raw: bytes | str) -> list[LiveEvent]:
        """The events of one published message; a malformed message yields none."""
        try:
            items = json.loads(raw)
            return [cls(**item) for item in items]
        except (TypeError, ValueError):
            logger.warning("ignoring a malformed live message")
            return []


@cache
def _client() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def publish(events: Sequence[LiveEvent]) -> None:
    """Best effort: a lost publish is caught up by the stream from the Event table."""
    client = _client()
    if client is None or not events:
        return
    try:
        client.publish(settings.EVENTS_CHANNEL, LiveEvent.encode(events))
    except redis.RedisError:
        logger.warning("live publish failed; streams will catch up from the database")


@dataclass(frozen=True)
class Bell:
    """A ring of the notification bell of some users: their streams send the named event
    `notifications-<user id>`, and the bell re-fetches its unread count."""

    users: frozenset[int]

    @staticmethod
    def encode(user_ids: Sequence[int]) -> str:
        return json.dumps({"bell": sorted(set(user_ids))})

    @classmethod
    def decode(cls, raw: bytes | str) -> Bell | None:
        """The bell in a published message; None if the message is not one."""
        try:
            item = json.loads(raw)
        except (TypeError, ValueError):
            return None
        ids = item.get("bell") if isinstance(item, dict) else None
        if not isinstance(ids, list) or not all(type(pk) is int for pk in ids):
            return None
        return cls(frozenset(ids))


def ring(user_ids: Sequence[int]) -> None:
    """Best effort, like `publish`: without Redis the bell polls."""
    client = _client()
    if client is None or not user_ids:
        return
    try:
        client.publish(settings.EVENTS_CHANNEL, Bell.encode(user_ids))
    except redis.RedisError:
        logger.warning("bell ring failed; the bell polls")
