"""Login throttling: a counter per account and per client address in the cache."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts. Wait 15 minutes and try again."


def _keys(email: str, address: str) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:acct:{digest}", f"login-fail:addr:{address}"]


def is_locked(email: str, address: str) -> bool:
    counts = cache.get_many(_keys(email, address)).values()
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts)


def record_failure(email: str, address: str) -> None:
    for key in _keys(email, address):
        cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        cache.incr(key)


def clear(email: str, address: str) -> None:
    cache.delete(_keys(email, address)[0])
