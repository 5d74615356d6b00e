"""Webhook deliveries: queue, send, retry, replay, sweep.

A delivery is a row first. `webhook_deliveries_queue` makes one per (endpoint, event) after an
event commits (unique: queueing again makes nothing more) and asks for it to be sent; the send
claims the row with a short lease (one UPDATE: a task and the sweep never send it at the same
time), sends outside any transaction, and writes the attempt. A failure tries again later,
doubling the wait each time, up to `WEBHOOK_MAX_TRIES`; the beat sweep sends what is due and was
not sent (a lost task, a broker that was down). An endpoint that has failed
`WEBHOOK_PAUSE_AFTER_FAILURES` times in a row, for at least `WEBHOOK_PAUSE_AFTER_SECONDS`, is
paused, audited, and its owner is told by email.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from integrations import targets, transport
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.services.common import locked, pause, require_manager
from portal import access, audit
from portal.errors import Conflict, Invalid
from portal.models import AuditEntry, User
from portal.queue import enqueue_on_commit
from portal.transactions import atomic_service
from programs.models import Event

SEND_TASK = "integrations.tasks.send_webhook"
AUTO_PAUSED = "Paused after {count} failed deliveries in a row since {since}."
RESUME_FIRST = "The endpoint is paused: resume it before replaying a delivery."
REPLAY_ASKED = "Delivery {webhook_id} replayed from the log."
SWEEP_BATCH = 500

logger = logging.getLogger(__name__)


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url


def payload(event: Event) -> str:
    """The body sent for `event`: a stable shape (docs/webhooks.md), keys sorted."""
    at = event.at.isoformat().replace("+00:00", "Z")
    body = {
        "type": event.verb,
        "timestamp": at,
        "data": {
            "id": event.pk,
            "kind": event.kind,
            "program": event.program.code,
            "summary": event.summary,
            "significance": event.significance,
            "url": _absolute(event.url or reverse("program-detail", args=[event.program.code])),
            "occurred_at": at,
            "subject": {"type": event.subject_type, "id": event.subject_id},
        },
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@atomic_service
def webhook_deliveries_queue(*, event_ids: Sequence[int]) -> list[int]:
    """A delivery row for every active endpoint that wants each event, was registered before
    it, and whose sponsor may read it (portal.access: their own programs, the sponsor
    audience). Returns the new rows' ids, each asked to be sent after commit; an event queued
    again makes nothing more."""
    events = list(Event.objects.filter(pk__in=event_ids).select_related("program"))
    sponsors = {event.program.sponsor_id for event in events}
    endpoints = list(
        WebhookEndpoint.objects.filter(
            organisation_id__in=sponsors, status=WebhookEndpoint.Status.ACTIVE
        )
    )
    now = timezone.now()
    rows = []
    for event in events:
        for endpoint in endpoints:
            who = access.sponsor_viewer(endpoint.organisation_id, user_id=endpoint.created_by_id)
            visible = access.may_see(
                who, sponsor_id=event.program.sponsor_id, audience=event.audience
            )
            # An endpoint hears what happens from its registration on, not the history.
            if visible and endpoint.wants(event.kind) and event.at >= endpoint.created_at:
                rows.append(
                    WebhookDelivery(
                        endpoint=endpoint, event=event, payload=payload(event), next_attempt_at=now
                    )
                )
    if not rows:
        return []
    pairs = [(row.endpoint_id, row.event_id) for row in rows]
    existing = set(
        WebhookDelivery.objects.filter(
            endpoint_id__in={p[0] for p in pairs}, event_id__in={p[1] for p in pairs}
        ).values_list("endpoint_id", "event_id")
    )
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    created = list(
        WebhookDelivery.objects.filter(
            endpoint_id__in={p[0] for p in pairs}, event_id__in={p[1] for p in pairs}
        )
        .exclude(status=WebhookDelivery.Status.DELIVERED)
        .values_list("id", "endpoint_id", "event_id")
    )
    new_ids = [
        pk for pk, endpoint_id, event_id in created if (endpoint_id, event_id) not in existing
    ]
    for delivery_id in new_ids:
        enqueue_on_commit(SEND_TASK, delivery_id)
    return new_ids


def _lease_seconds() -> int:
    return 2 * settings.WEBHOOK_TIMEOUT_SECONDS + 30


def _claim(delivery_id: int, now: datetime.datetime) -> bool:
    """Take the delivery for one attempt, if it is due and nobody holds it (one UPDATE). The
    endpoint's status is an EXISTS, not a join: Django turns an UPDATE through a join into
    `id IN (SELECT …)`, whose conditions PostgreSQL does not re-check on a row that a
    concurrent claim changed while this one waited for its lock, so both would win."""
    lease = now + datetime.timedelta(seconds=_lease_seconds())
    active = WebhookEndpoint.objects.filter(
        pk=OuterRef("endpoint_id"), status=WebhookEndpoint.Status.ACTIVE
    )
    return bool(
        WebhookDelivery.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            Exists(active),
            pk=delivery_id,
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=now,
        ).update(leased_until=lease)
    )


def signing_secrets(endpoint: WebhookEndpoint, at: datetime.datetime) -> list[str]:
    """The current secret, and the previous one while its overlap lasts."""
    found = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and at < expires:
        found.append(endpoint.previous_secret)
    return found


def backoff_seconds(tries: int) -> int:
    """The wait after the `tries`-th failed attempt: the base, doubled each time, capped."""
    wait = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(tries - 1, 0)
    return int(min(wait, settings.WEBHOOK_RETRY_MAX_SECONDS))


def webhook_delivery_send(*, delivery_id: int) -> bool:
    """One attempt at a due delivery. Returns whether it was delivered. Safe to call twice, or
    from two workers at once: only the one that claims the row sends."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return False
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = delivery.payload.encode()
    try:
        target = targets.check(endpoint.url)
    except Invalid as exc:
        outcome = transport.Outcome(status_code=None, latency_ms=0, error=exc.message[:300])
    else:
        request_headers = transport.headers(
            secrets=signing_secrets(endpoint, now),
            webhook_id=delivery.webhook_id,
            at=now,
            body=body,
        )
        outcome = transport.send(target, body=body, request_headers=request_headers)
    _record_attempt(delivery_id=delivery_id, outcome=outcome)
    return outcome.succeeded


@atomic_service
def _record_attempt(*, delivery_id: int, outcome: transport.Outcome) -> None:
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
    if delivery is None:  # the endpoint was removed, with its log, while this attempt ran
        return
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    WebhookAttempt.objects.create(
        delivery=delivery,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.excerpt,
        error=outcome.error,
        replay=delivery.replay_requested,
    )
    delivery.tries += 1
    delivery.leased_until = None
    delivery.replay_requested = False
    if outcome.succeeded:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        endpoint.consecutive_failures = 0
        endpoint.failing_since = None
    else:
        if delivery.tries >= settings.WEBHOOK_MAX_TRIES:
            delivery.status = WebhookDelivery.Status.FAILED
        else:
            wait = backoff_seconds(delivery.tries)
            delivery.next_attempt_at = now + datetime.timedelta(seconds=wait)
            enqueue_on_commit(SEND_TASK, delivery.pk, countdown=wait)
        endpoint.consecutive_failures += 1
        endpoint.failing_since = endpoint.failing_since or now
    delivery.save()
    endpoint.save(update_fields=["consecutive_failures", "failing_since"])
    if not outcome.succeeded and _keeps_failing(endpoint, now):
        since = endpoint.failing_since or now
        reason = AUTO_PAUSED.format(
            count=endpoint.consecutive_failures, since=since.isoformat(timespec="minutes")
        )
        pause(endpoint, actor=None, reason=reason)
        transaction.on_commit(lambda: _tell_owner(endpoint.pk))


def _keeps_failing(endpoint: WebhookEndpoint, now: datetime.datetime) -> bool:
    if endpoint.status != WebhookEndpoint.Status.ACTIVE or endpoint.failing_since is None:
        return False
    span = datetime.timedelta(seconds=settings.WEBHOOK_PAUSE_AFTER_SECONDS)
    return (
        endpoint.consecutive_failures >= settings.WEBHOOK_PAUSE_AFTER_FAILURES
        and now - endpoint.failing_since >= span
    )


PAUSED_SUBJECT = "Your webhook endpoint was paused"
PAUSED_BODY = """Hello {name},

The portal paused the webhook endpoint {url} of {organisation}: {reason}

Events for it are kept and wait, undelivered. Once your receiver answers again, resume the
endpoint on {page}; what waited is sent then, and any delivery can be replayed from its log.
"""


def _tell_owner(endpoint_id: int) -> None:
    """Email the endpoint's owner (after commit: a mail server that fails does not undo the
    pause, which the audit trail and the page already show)."""
    endpoint = (
        WebhookEndpoint.objects.select_related("created_by", "organisation")
        .filter(pk=endpoint_id)
        .first()
    )
    if endpoint is None:
        return
    owner = endpoint.created_by
    page = _absolute(reverse("webhook-detail", args=[endpoint.pk]))
    body = PAUSED_BODY.format(
        name=owner.display_name,
        url=endpoint.url,
        organisation=endpoint.organisation.name,
        reason=endpoint.paused_reason,
        page=page,
    )
    try:
        send_mail(PAUSED_SUBJECT, body, None, [owner.email])
    except Exception:  # the mail server's failure must not undo or retry the pause
        logger.exception("could not tell %s that endpoint %s was paused", owner.email, endpoint.pk)


@atomic_service
def webhook_delivery_replay(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, as a new attempt with the same `webhook-id` and body."""
    require_manager(actor, delivery.endpoint)
    endpoint = locked(delivery.endpoint)
    if endpoint.status != WebhookEndpoint.Status.ACTIVE:
        raise Conflict(RESUME_FIRST)
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.tries = 0
    delivery.next_attempt_at = timezone.now()
    delivery.leased_until = None
    delivery.replay_requested = True
    delivery.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        instance=endpoint,
        changes={"replayed": [None, delivery.webhook_id]},
        reason=REPLAY_ASKED.format(webhook_id=delivery.webhook_id),
    )
    enqueue_on_commit(SEND_TASK, delivery.pk)
    return delivery


def webhook_deliveries_sweep() -> list[int]:
    """Ask again for every due delivery that no task took: a task lost with the broker, a
    worker that died mid-attempt (its lease runs out). Returns the ids asked for."""
    now = timezone.now()
    grace = now - datetime.timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS)
    due = list(
        WebhookDelivery.objects.filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=now),
            status=WebhookDelivery.Status.PENDING,
            next_attempt_at__lte=grace,
            endpoint__status=WebhookEndpoint.Status.ACTIVE,
        )
        .order_by("next_attempt_at")
        .values_list("id", flat=True)[:SWEEP_BATCH]
    )
    with transaction.atomic():
        for delivery_id in due:
            enqueue_on_commit(SEND_TASK, delivery_id)
    return due
