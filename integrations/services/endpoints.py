"""Writes for webhook endpoints: register, change, rotate the secret, pause, resume, remove.

Endpoints are a sponsor's account settings, like API tokens: their changes are entries in the
global audit chain, with the acting sponsor lead; secrets never enter the trail. The secret is
returned on creation and rotation only, for the caller to show once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.utils import timezone

from integrations import targets
from integrations.models import WebhookDelivery, WebhookEndpoint, new_secret
from integrations.services.common import (
    locked,
    pause,
    public_snapshot,
    record_update,
    require_manager,
)
from integrations.services.deliveries import SEND_TASK, SWEEP_BATCH
from portal import audit
from portal.errors import Conflict, Invalid
from portal.models import AuditEntry, User
from portal.queue import enqueue_on_commit
from portal.transactions import atomic_service
from programs.models import Event

NO_EVENT_KINDS = "Choose at least one kind of event to receive."
UNKNOWN_EVENT_KIND = "Unknown kind of event: {kind}. Choose from: {kinds}."
ENDPOINT_CREATED = "Webhook endpoint registered."
ENDPOINT_CHANGED = "Webhook endpoint changed."
SECRET_ROTATED = "Webhook signing secret rotated; the previous one signs too until {until}."
ENDPOINT_PAUSED = "Webhook endpoint paused."
ENDPOINT_RESUMED = "Webhook endpoint resumed."
ENDPOINT_REMOVED = "Webhook endpoint removed."
ALREADY_PAUSED = "This endpoint is already paused."
NOT_PAUSED = "This endpoint is not paused."


def _kinds(event_kinds: Iterable[str]) -> list[str]:
    kinds = list(dict.fromkeys(event_kinds))
    if not kinds:
        raise Invalid(NO_EVENT_KINDS, field="event_kinds")
    for kind in kinds:
        if kind not in Event.Kind.values:
            message = UNKNOWN_EVENT_KIND.format(kind=kind, kinds=", ".join(Event.Kind.values))
            raise Invalid(message, field="event_kinds")
    return kinds


@atomic_service
def webhook_endpoint_create(
    *, actor: User, url: str, event_kinds: Sequence[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the actor's organisation. Returns it with its secret, which
    the caller shows once."""
    organisation_id = require_manager(actor)
    url = url.strip()
    targets.check(url)
    endpoint = WebhookEndpoint(
        organisation_id=organisation_id,
        url=url,
        description=description.strip(),
        event_kinds=_kinds(event_kinds),
        created_by=actor,
    )
    endpoint.full_clean()
    endpoint.save()
    created = {name: [None, value] for name, value in public_snapshot(endpoint).items()}
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        instance=endpoint,
        changes=created,
        reason=ENDPOINT_CREATED,
    )
    return endpoint, endpoint.secret


@atomic_service
def webhook_endpoint_update(
    *,
    actor: User,
    endpoint: WebhookEndpoint,
    url: str,
    event_kinds: Sequence[str],
    description: str = "",
) -> WebhookEndpoint:
    """Change where an endpoint is and what it hears. A new URL passes the same rules."""
    require_manager(actor, endpoint)
    endpoint = locked(endpoint)
    url = url.strip()
    if url != endpoint.url:
        targets.check(url)
    before = public_snapshot(endpoint, ["url", "description", "event_kinds"])
    endpoint.url = url
    endpoint.description = description.strip()
    endpoint.event_kinds = _kinds(event_kinds)
    endpoint.full_clean()
    endpoint.save(update_fields=["url", "description", "event_kinds"])
    record_update(actor=actor, endpoint=endpoint, before=before, reason=ENDPOINT_CHANGED)
    return endpoint


@atomic_service
def webhook_endpoint_rotate(
    *, actor: User, endpoint: WebhookEndpoint
) -> tuple[WebhookEndpoint, str]:
    """A new secret, shown once; the current one keeps signing, next to it, for
    `WEBHOOK_SECRET_OVERLAP_SECONDS` so that the receiver can switch without a gap."""
    require_manager(actor, endpoint)
    endpoint = locked(endpoint)
    before = public_snapshot(endpoint, ["previous_secret_expires_at"])
    until = timezone.now() + datetime.timedelta(seconds=settings.WEBHOOK_SECRET_OVERLAP_SECONDS)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = until
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    reason = SECRET_ROTATED.format(until=until.isoformat(timespec="seconds"))
    record_update(actor=actor, endpoint=endpoint, before=before, reason=reason)
    return endpoint, endpoint.secret


@atomic_service
def webhook_endpoint_pause(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending; deliveries wait, pending, until the endpoint is resumed."""
    require_manager(actor, endpoint)
    endpoint = locked(endpoint)
    if endpoint.status == WebhookEndpoint.Status.PAUSED:
        raise Conflict(ALREADY_PAUSED)
    pause(endpoint, actor=actor, reason=ENDPOINT_PAUSED)
    return endpoint


@atomic_service
def webhook_endpoint_resume(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Send again, starting with what waited, and forget the failures that paused it."""
    require_manager(actor, endpoint)
    endpoint = locked(endpoint)
    if endpoint.status != WebhookEndpoint.Status.PAUSED:
        raise Conflict(NOT_PAUSED)
    before = public_snapshot(
        endpoint, ["status", "paused_reason", "consecutive_failures", "failing_since"]
    )
    endpoint.status = WebhookEndpoint.Status.ACTIVE
    endpoint.paused_reason = ""
    endpoint.consecutive_failures = 0
    endpoint.failing_since = None
    endpoint.save(
        update_fields=["status", "paused_reason", "consecutive_failures", "failing_since"]
    )
    record_update(actor=actor, endpoint=endpoint, before=before, reason=ENDPOINT_RESUMED)
    waiting = WebhookDelivery.objects.filter(
        endpoint=endpoint, status=WebhookDelivery.Status.PENDING
    ).values_list("id", flat=True)[:SWEEP_BATCH]
    for delivery_id in waiting:
        enqueue_on_commit(SEND_TASK, delivery_id)
    return endpoint


@atomic_service
def webhook_endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its log; the audit trail keeps its last values."""
    require_manager(actor, endpoint)
    endpoint = locked(endpoint)
    last = public_snapshot(endpoint)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.DELETE,
        instance=endpoint,
        changes={name: [value, None] for name, value in last.items()},
        reason=ENDPOINT_REMOVED,
    )
    endpoint.delete()
