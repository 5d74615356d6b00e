"""Calendar feeds: a per-user secret URL that a calendar client subscribes to."""

from __future__ import annotations

import secrets

from governance.models import CalendarFeed
from portal import access, audit
from portal.errors import Invalid
from portal.models import AuditEntry, User
from portal.transactions import atomic_service

NOT_A_MEMBER = "Only people of a sponsor or of the CDMO have calendar feeds."


@atomic_service
def calendar_feed_rotate(*, user: User) -> CalendarFeed:
    """Create the user's calendar feed, or give it a new secret (the old URL stops working at
    once). The secret itself never reaches the audit trail.

    A feed belongs to a person, not to a program, so there is no program to lock or to tell:
    the audit entry goes to the portal's own chain.
    """
    if access.viewer(user) is None:
        raise Invalid(NOT_A_MEMBER)
    feed = CalendarFeed.objects.select_for_update().filter(user=user).first()
    created = feed is None
    if feed is None:
        feed = CalendarFeed(user=user)
    feed.secret = secrets.token_urlsafe(32)
    feed.save()
    audit.record(
        actor=user,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        instance=feed,
        changes={"secret": [None if created else "(previous)", "(new secret issued)"]},
    )
    return feed
