"""Login throttling: a counter per account and per client address in the cache.

The failure that reaches the limit writes a lockout entry to the audit trail
(`portal.auth_events.lockout`); attempts refused while locked are not written one by one.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from portal import auth_events

TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts. Wait 15 minutes and try again."
COUNTERS = ("account", "address")


def _keys(email: str, address: str) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:acct:{digest}", f"login-fail:addr:{address}"]


def is_locked(email: str, address: str) -> bool:
    counts = cache.get_many(_keys(email, address)).values()
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts)


def record_failure(email: str, address: str, *, request: HttpRequest | None = None) -> None:
    """Count a failed attempt; the failure that reaches the limit audits the lockout."""
    locked = []
    for counter, key in zip(COUNTERS, _keys(email, address), strict=True):
        cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        if cache.incr(key) == settings.LOGIN_FAILURE_LIMIT:
            locked.append(counter)
    if locked:
        auth_events.lockout(
            request=request,
            email=email,
            counters=locked,
            minutes=settings.LOGIN_FAILURE_WINDOW_SECONDS // 60,
        )


def clear(email: str, address: str) -> None:
    cache.delete(_keys(email, address)[0])
