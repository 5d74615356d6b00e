"""Ringing the bell for live pages: a Redis publish after commit.

The message only says "look again at program X"; the pages re-fetch through permission-checked
views. Without Redis (embedded mode) nothing is published and streams poll the Event table.
"""

from __future__ import annotations

import json
import logging
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


@cache
def _client() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def publish(message: dict[str, object]) -> None:
    """Best effort: a lost publish is caught up by the stream from the Event table."""
    client = _client()
    if client is None:
        return
    try:
        client.publish(settings.EVENTS_CHANNEL, json.dumps(message))
    except redis.RedisError:
        logger.warning("live publish failed; streams will catch up from the database")
