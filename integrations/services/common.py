"""What the webhook services share: who may manage an endpoint, its row lock, what the audit
trail keeps of it (never its secrets), and pausing it."""

from __future__ import annotations

from collections.abc import Iterable

from integrations.models import WebhookEndpoint
from portal import access, audit
from portal.errors import NotAllowed
from portal.models import AuditEntry, User

NOT_WEBHOOK_MANAGER = "Only a sponsor lead can manage their organisation's webhooks."


def require_manager(actor: User, endpoint: WebhookEndpoint | None = None) -> int:
    """The actor's organisation, when they are its sponsor lead (and own `endpoint`)."""
    who = access.viewer(actor)
    if who is None or not access.may_manage_webhooks(actor):
        raise NotAllowed(NOT_WEBHOOK_MANAGER)
    if endpoint is not None and endpoint.organisation_id != who.organisation_id:
        raise NotAllowed(NOT_WEBHOOK_MANAGER)
    return who.organisation_id


_SECRET_FIELDS = ("secret", "previous_secret")


def public_snapshot(endpoint: WebhookEndpoint, fields: Iterable[str] | None = None) -> dict:
    """What the audit trail keeps of an endpoint: everything but its secrets."""
    values = audit.snapshot(endpoint, fields)
    for name in _SECRET_FIELDS:
        values.pop(name, None)
    return values


def record_update(
    *, actor: User | None, endpoint: WebhookEndpoint, before: dict, reason: str
) -> None:
    after = public_snapshot(endpoint, before)
    changes = audit.diff(before, after)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        instance=endpoint,
        changes=changes,
        reason=reason,
    )


def locked(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)


def pause(endpoint: WebhookEndpoint, *, actor: User | None, reason: str) -> None:
    before = public_snapshot(endpoint, ["status", "paused_reason"])
    endpoint.status = WebhookEndpoint.Status.PAUSED
    endpoint.paused_reason = reason[:300]
    endpoint.save(update_fields=["status", "paused_reason"])
    record_update(actor=actor, endpoint=endpoint, before=before, reason=reason)
