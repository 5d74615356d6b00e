"""Whether an account may use the portal now: the one answer that sign-in, every request of a
session and every API token ask (21 CFR 11.10(d): access limited to authorised individuals).

An account is closed when it is deactivated, or when its membership's access end date (the
contract's) has passed on the site's calendar: access ends at the end of that day, site time.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from portal import clock
from portal.models import Membership, User

DEACTIVATED = "the account is deactivated"
ACCESS_ENDED = "access ended on {day:%d %B %Y}"


def access_end(membership: Membership | None) -> datetime.datetime | None:
    """The moment access ends: the end of the end date's day, site time (as UTC)."""
    if membership is None or membership.access_ends_on is None:
        return None
    return clock.day_end(membership.access_ends_on)


def closed_because(user: User, at: datetime.datetime | None = None) -> str:
    """Why `user` may not use the portal at `at` (default now), or "" when they may.
    Reads `user.membership`, which the request's user usually has cached already."""
    if not user.is_active:
        return DEACTIVATED
    membership = getattr(user, "membership", None)
    end = access_end(membership)
    if membership is None or end is None or (at or timezone.now()) < end:
        return ""
    return ACCESS_ENDED.format(day=membership.access_ends_on)


def is_open(user: User, at: datetime.datetime | None = None) -> bool:
    return not closed_because(user, at)
