"""The outbox: rows that leave the process (an email, a webhook call) exactly once, or as near
to it as a network allows.

A message is a database row first, written in the transaction that decided it should exist;
a Celery task delivers it after commit, and a beat sweep delivers whatever a lost enqueue or a
dead worker left behind. Each attempt runs the same three steps on one row:

1. **claim**: one conditional UPDATE sets `claimed_at` (and counts the attempt) only if the row
   is unsent and unclaimed, or its claim is older than the lease. Exactly one of any number of
   concurrent or redelivered tasks wins; the others do nothing.
2. **send**, outside any transaction (a slow SMTP server holds no database lock).
3. **mark**: `sent_at` is set and the claim cleared; on failure the claim is released with the
   error, so that the task's retry (with backoff) or the sweep tries again.

The guarantee, exactly: a message is never lost, since an unsent row stays unsent until a send
succeeded and the sweep retries every row whose claim has lapsed; and it is never sent twice,
except in one window: a worker that dies after the far side accepted the message and before
the mark committed (a few milliseconds) leaves a claim that lapses, and the message is sent
again when the lease runs out. Every email carries a Message-ID derived from the row's
idempotency key, so a receiving server or mail client can recognise the repeat. A worker
killed at any other moment (before the send, during it before the far side accepted) causes
neither a loss nor a duplicate.

Any model with the `Deliverable` fields can use it (notification emails and digests here; a
webhook delivery log the same way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from portal import bounds

logger = logging.getLogger(__name__)

ERROR_EXCERPT = 300


class Deliverable(models.Model):
    """The fields the outbox needs on a row it delivers."""

    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, validators=bounds.MOMENT)
    claimed_at = models.DateTimeField(
        null=True,
        blank=True,
        validators=bounds.MOMENT,
        help_text="Set while a worker delivers it; a claim older than the lease has lapsed.",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=ERROR_EXCERPT, blank=True)

    class Meta:
        abstract = True


D = TypeVar("D", bound=Deliverable)


def lease() -> timedelta:
    """How long a claim holds before another worker may take the row over."""
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def claimable(now: object | None = None) -> Q:
    """Rows no one is delivering: unsent, with attempts left (`OUTBOX_MAX_ATTEMPTS`; a row
    past them stays in the table with its last error, for the operator), and unclaimed or
    with a lapsed claim."""
    now = now or timezone.now()
    return (
        Q(sent_at__isnull=True, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS)
        & (Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease()))  # type: ignore[operator]
    )


def _admitted(queryset: models.QuerySet[D], pks: Iterable[int]) -> models.QuerySet[D]:
    """The rows of `pks` that `queryset` admits, as a query on the table alone, for the claim's
    UPDATE. Django turns an UPDATE through a join (these querysets filter on the recipient) into
    `id IN (SELECT … JOIN … WHERE <every condition>)`; a claim that waited for a concurrent
    claim's row lock then re-checks only `id IN` against the changed row, not the claim's own
    conditions, and both claims win. Here the join stays in the subquery and the conditions on
    the row itself are the UPDATE's own, which PostgreSQL re-checks after the wait."""
    return queryset.model._default_manager.filter(pk__in=queryset.filter(pk__in=pks).values("pk"))


def claim(queryset: models.QuerySet[D], pk: int) -> D | None:
    """Take the row for this worker, or None if it is sent or someone else holds it. One
    UPDATE, autocommitted: the claim is visible to every other worker at once."""
    now = timezone.now()
    won = (
        _admitted(queryset, [pk])
        .filter(claimable(now))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not won:
        return None
    return queryset.get(pk=pk)


def mark_sent(queryset: models.QuerySet[D], row: D) -> bool:
    """Record the delivery; False if our claim was taken over meanwhile (the lease ran out)."""
    ours = queryset.model._default_manager.filter(
        pk=row.pk, claimed_at=row.claimed_at, sent_at__isnull=True
    )
    return bool(ours.update(sent_at=timezone.now(), claimed_at=None, last_error=""))


def release(queryset: models.QuerySet[D], row: D, error: BaseException) -> None:
    """Give the row back after a failed send, keeping the error for the admin and the log."""
    message = f"{type(error).__name__}: {error}"[:ERROR_EXCERPT]
    ours = queryset.model._default_manager.filter(pk=row.pk, claimed_at=row.claimed_at)
    ours.update(claimed_at=None, last_error=message)


def deliver(queryset: models.QuerySet[D], pk: int, send: Callable[[D], object]) -> bool:
    """Claim, send, mark. True if this call sent the row; False if there was nothing to do.
    A failed send releases the row and re-raises, so the task's retry policy takes over."""
    row = claim(queryset, pk)
    if row is None:
        return False
    try:
        send(row)
    except Exception as exc:
        release(queryset, row, exc)
        raise
    if not mark_sent(queryset, row):
        logger.warning("%s %s: claim lapsed during the send", queryset.model.__name__, pk)
    return True


def claim_many(queryset: models.QuerySet[D], pks: Iterable[int]) -> list[D]:
    """`claim` for a batch: one UPDATE, one read. The rows this call won, in id order."""
    now = timezone.now()
    pks = list(pks)
    _admitted(queryset, pks).filter(claimable(now)).update(
        claimed_at=now, attempts=F("attempts") + 1
    )
    return list(queryset.filter(pk__in=pks, claimed_at=now, sent_at__isnull=True).order_by("pk"))


def deliver_many(
    queryset: models.QuerySet[D], pks: Iterable[int], send: Callable[[D], object]
) -> int:
    """`deliver` for a batch: claimed together, each marked sent as soon as it is sent (so a
    worker that dies mid-batch repeats at most the one in flight). A failed send releases that
    row and the batch goes on, so one bad address holds up nobody else; the first failure is
    raised at the end, so the task's retry policy takes over. Returns how many were sent."""
    sent = 0
    failure: Exception | None = None
    for row in claim_many(queryset, pks):
        try:
            send(row)
        except Exception as exc:
            release(queryset, row, exc)
            failure = failure or exc
            continue
        sent += 1
        if not mark_sent(queryset, row):
            logger.warning("%s %s: claim lapsed during the send", queryset.model.__name__, row.pk)
    if failure is not None:
        raise failure
    return sent


def waiting(queryset: models.QuerySet[D], *, older_than: timedelta) -> models.QuerySet[D]:
    """What the sweep should deliver: claimable rows that a task should have sent by now."""
    now = timezone.now()
    return queryset.filter(claimable(now), created_at__lt=now - older_than)
