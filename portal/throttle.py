"""Login throttling: a counter per account and per client address in the cache.

The failure that reaches the limit writes a lockout entry to the audit trail
(`portal.auth_events.lockout`) and, for an account, emails its owner once
(`portal.identity.send_lockout_notice`); attempts refused while locked are not written one by
one. A lock ends by itself after LOGIN_FAILURE_WINDOW_SECONDS, or when a CDMO administrator
unlocks the account (`unlock`, on the locked accounts page).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal import auth_events, identity
from portal.models import AuditEntry, User

TOO_MANY_ATTEMPTS = "Too many failed sign-in attempts. Wait 15 minutes and try again."
COUNTERS = ("account", "address")


def _keys(email: str, address: str) -> list[str]:
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    return [f"login-fail:acct:{digest}", f"login-fail:addr:{address}"]


def is_locked(email: str, address: str) -> bool:
    counts = cache.get_many(_keys(email, address)).values()
    return any(count >= settings.LOGIN_FAILURE_LIMIT for count in counts)


def is_account_locked(email: str) -> bool:
    return (cache.get(_keys(email, "")[0]) or 0) >= settings.LOGIN_FAILURE_LIMIT


def record_failure(email: str, address: str, *, request: HttpRequest | None = None) -> None:
    """Count a failed attempt; the failure that reaches the limit audits the lockout and
    notifies the account's owner."""
    locked = []
    for counter, key in zip(COUNTERS, _keys(email, address), strict=True):
        cache.add(key, 0, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        if cache.incr(key) == settings.LOGIN_FAILURE_LIMIT:
            locked.append(counter)
    if locked:
        minutes = settings.LOGIN_FAILURE_WINDOW_SECONDS // 60
        entry = auth_events.lockout(request=request, email=email, counters=locked, minutes=minutes)
        if "account" in locked:
            identity.send_lockout_notice(
                email=email, locked_at=entry.at, minutes=minutes, request=request
            )


def clear(email: str, address: str) -> None:
    cache.delete(_keys(email, address)[0])


@dataclass(frozen=True)
class LockedAccount:
    user: User
    locked_at: datetime.datetime
    unlocks_at: datetime.datetime


def locked_accounts() -> list[LockedAccount]:
    """Accounts whose sign-in is locked now: the lockouts of the last window whose account
    counter is still at the limit (an address-only lock is not an account's)."""
    window = datetime.timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    entries = (
        AuditEntry.objects.filter(
            action=AuditEntry.Action.LOCKOUT, at__gte=timezone.now() - window, model="portal.user"
        )
        .exclude(object_pk="")
        .order_by("-at")
        .values_list("object_pk", "at")
    )
    latest: dict[int, datetime.datetime] = {}
    for pk, at in entries:
        latest.setdefault(int(pk), at)
    users = User.objects.filter(pk__in=latest).order_by("email")
    return [
        LockedAccount(user=user, locked_at=latest[user.pk], unlocks_at=latest[user.pk] + window)
        for user in users
        if is_account_locked(user.email)
    ]


def unlock(*, user: User, by: User, request: HttpRequest | None) -> None:
    """A CDMO administrator lifts `user`'s sign-in lock before its window ends (audited). The
    client address counter is left alone: it protects against whoever was guessing."""
    with transaction.atomic():
        clear(user.email, "")
        auth_events.record(
            action=AuditEntry.Action.UNLOCK,
            account=user,
            actor=by,
            request=request,
            details={"email": [None, user.email]},
            reason="Sign-in unlocked by a CDMO administrator.",
        )
