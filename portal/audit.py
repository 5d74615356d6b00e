"""Writing and verifying the audit trail.

Services call `audit_create`, `audit_update` (with the before/after snapshot from `snapshot`)
inside their transaction. Entries are chained: each one's hash covers its own content and the
hash of the entry before it, so a changed or removed row breaks the chain from there on.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction

from portal.models import AuditEntry, User
from portal.request_context import current_request_id

GENESIS_HASH = "0" * 64
_CHAIN_LOCK_KEY = 7_310_201  # pg_advisory_xact_lock key that serialises chain appends


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The auditable values of a row: concrete fields, foreign keys as their ids."""
    names = fields or [f.attname for f in instance._meta.concrete_fields]
    return {name: _plain(getattr(instance, name)) for name in names}


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value
    }


def _entry_payload(entry: AuditEntry) -> bytes:
    payload = {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "model": entry.model,
        "object_pk": entry.object_pk,
        "object_repr": entry.object_repr,
        "program": entry.program_id,
        "changes": entry.changes,
        "reason": entry.reason,
        "request_id": entry.request_id,
        "previous_hash": entry.previous_hash,
    }
    return json.dumps(payload, sort_keys=True, default=str, separators=(",", ":")).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_entry_payload(entry)).hexdigest()


def _lock_chain() -> None:
    # SQLite's IMMEDIATE transactions already serialise writers; PostgreSQL needs a lock so
    # that two concurrent transactions cannot both extend the chain from the same entry.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def record(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    changes: dict[str, list[Any]],
    program_id: int | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit entries are written inside the service's transaction.")
    _lock_chain()
    last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
    entry = AuditEntry(
        actor=actor,
        actor_label=(f"{actor.display_name} <{actor.email}>" if actor else "system"),
        action=action,
        model=instance._meta.label_lower,
        object_pk=str(instance.pk),
        object_repr=str(instance)[:200],
        program_id=program_id,
        changes=json.loads(json.dumps(changes, default=_plain)),
        reason=reason,
        request_id=current_request_id(),
        previous_hash=last or GENESIS_HASH,
    )
    entry.entry_hash = compute_hash(entry)
    entry.save(force_insert=True)
    return entry


def record_create(
    *, actor: User | None, instance: models.Model, program_id: int | None = None, reason: str = ""
) -> AuditEntry:
    after = snapshot(instance)
    changes = {name: [None, value] for name, value in after.items()}
    return record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        instance=instance,
        changes=changes,
        program_id=program_id,
        reason=reason,
    )


def record_update(
    *,
    actor: User | None,
    instance: models.Model,
    before: dict[str, Any],
    program_id: int | None = None,
    reason: str = "",
) -> AuditEntry | None:
    changes = diff(before, snapshot(instance, before.keys()))
    if not changes:
        return None
    return record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        instance=instance,
        changes=changes,
        program_id=program_id,
        reason=reason,
    )


@dataclass(frozen=True)
class BrokenLink:
    entry_id: int
    problem: str


def verify_chain(batch_size: int = 2000) -> Iterator[BrokenLink]:
    """Yield every entry whose hash or back-link does not match; empty when intact."""
    expected_previous = GENESIS_HASH
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
        if entry.previous_hash != expected_previous:
            yield BrokenLink(entry.id, "does not link to the entry before it")
        elif compute_hash(entry) != entry.entry_hash:
            yield BrokenLink(entry.id, "content does not match its hash")
        expected_previous = entry.entry_hash
