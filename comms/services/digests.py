"""Digests: a person's waiting email notifications, gathered into one message at the hour
they chose, in their own time zone, daily or on their weekday.

The sweep (every minute) asks, for each person with something waiting, when their latest
digest moment was (today's hour, or yesterday's if that hour is still to come; for weekly,
the latest of their weekday). What was notified before that moment goes into the digest for
that moment, a row unique per (person, period, moment), so a repeated or concurrent sweep
sends each period once. What came after waits for the next moment.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from comms import emails, outbox
from comms.models import Digest, DigestSchedule, Notification, Timing
from portal.models import User

_PERIOD_OF: dict[str, str] = {
    Timing.DAILY: Digest.Period.DAILY,
    Timing.WEEKLY: Digest.Period.WEEKLY,
}


def digest_moment(
    now: datetime.datetime, *, time_zone: str, hour: int, weekday: int | None = None
) -> datetime.datetime:
    """The latest moment at or before `now` when a digest was due: `hour` o'clock in
    `time_zone`, on any day (daily) or on `weekday` (weekly, Monday = 0). Wall-clock
    arithmetic, so the hour stays put across daylight-saving changes."""
    zone = ZoneInfo(time_zone)
    local = now.astimezone(zone)
    day = local.date()
    if local.hour < hour:
        day -= datetime.timedelta(days=1)
    if weekday is not None:
        day -= datetime.timedelta(days=(day.weekday() - weekday) % 7)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=zone)


def _waiting() -> QuerySet[Notification]:
    return Notification.objects.filter(
        channel=Notification.Channel.EMAIL,
        timing__in=list(_PERIOD_OF),
        sent_at__isnull=True,
        digest__isnull=True,
        recipient__is_active=True,
    )


def _digests() -> QuerySet[Digest]:
    return Digest.objects.filter(recipient__is_active=True).select_related("recipient")


def _moment_for(user: User, timing: str, now: datetime.datetime) -> datetime.datetime:
    schedule = getattr(user, "digest_schedule", None) or DigestSchedule(user=user)
    return digest_moment(
        now,
        time_zone=user.time_zone,
        hour=schedule.hour,
        weekday=schedule.weekday if timing == Timing.WEEKLY else None,
    )


@transaction.atomic
def _gather(user: User, timing: str, moment: datetime.datetime) -> Digest | None:
    """The digest for this moment with what was waiting before it, or None if there is
    nothing to add to an unsent one."""
    digest, _ = Digest.objects.get_or_create(
        recipient=user, period=_PERIOD_OF[timing], due_at=moment
    )
    digest = Digest.objects.select_for_update().get(pk=digest.pk)
    if digest.sent_at is not None:
        return None  # what came late waits for the next moment, which is after it
    _waiting().filter(recipient=user, timing=timing, created_at__lt=moment).update(digest=digest)
    return digest


def _send(digest: Digest) -> None:
    items = list(
        Notification.objects.filter(digest=digest)
        .select_related("event__program")
        .order_by("created_at", "id")
    )
    if items:
        emails.digest_email(digest, items).send()


def digest_deliver(*, digest_id: int) -> bool:
    """Send one digest through the outbox, then mark what it carried as sent."""
    if not outbox.deliver(_digests(), digest_id, _send):
        return False
    Notification.objects.filter(digest_id=digest_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    return True


def digests_send(*, now: datetime.datetime | None = None) -> int:
    """Gather and send every digest that is due; also resend a digest whose sender died.
    Its cost grows with the people who have something waiting, not with all users."""
    now = now or timezone.now()
    pairs = set(_waiting().values_list("recipient_id", "timing").distinct())
    users = User.objects.select_related("digest_schedule").in_bulk({pk for pk, _ in pairs})
    for user_id, timing in sorted(pairs):
        user = users[user_id]
        moment = _moment_for(user, timing, now)
        if _waiting().filter(recipient=user, timing=timing, created_at__lt=moment).exists():
            _gather(user, timing, moment)
    due = outbox.waiting(_digests(), older_than=datetime.timedelta(0)).values_list("pk", flat=True)
    return sum(digest_deliver(digest_id=pk) for pk in list(due))
