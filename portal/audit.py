"""Writing and verifying the audit trail.

Services call `record_create` and `record_update` (with the before/after snapshot from
`snapshot`) inside their transaction. Entries are hash-chained so that a changed or removed row
is detectable (`manage.py verify_audit`).

Chains. Every program has its own chain: an entry about a program links to the previous entry
OF THAT PROGRAM and carries its position in that chain (`sequence`, 1, 2, 3 …); entries without a
program form one global chain. Appends are serialised per chain only, so writers on different
programs never wait for each other: on PostgreSQL a transaction-scoped advisory lock keyed
(`CHAIN_LOCK_NAMESPACE`, program id), or (`CHAIN_LOCK_NAMESPACE`, 0) for the global chain; on
SQLite the IMMEDIATE transactions already let one writer in at a time. A unique constraint on
(program, sequence) turns any append that bypassed the lock into an error instead of a fork.

Lock order (DESIGN §3): the program row first (`programs.changes.lock_program`), then the rows
under it, the chain lock last, taken by `record` itself. The chain lock is held to the end of the
transaction (it must be: the next writer has to see this entry before it links to it), so
nothing that waits for another program's row or chain may follow it in the same transaction.

Entries written before chains were per program (migration 0006) cannot be re-chained: the table
is append-only and re-hashing history would be the very tampering the chain exists to expose.
They keep their sequence empty and stay what they were, one global chain in id order from
`GENESIS_HASH` (the legacy trunk). Every per-program and global chain starts from the hash of the
trunk's last entry (or `GENESIS_HASH` on a database that never had one), so the trunk stays
anchored: removing or altering its tail breaks the first link of every later chain.

The hashed payload is stable: `sequence` joins it only when set, so legacy entries hash exactly
as they did when written.
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
from django.db.models import F

from portal.models import AuditEntry, User
from portal.request_context import current_client_request_id, current_request_id

GENESIS_HASH = "0" * 64
CHAIN_LOCK_NAMESPACE = 7_310_201  # first key of pg_advisory_xact_lock(int4, int4)
_GLOBAL_CHAIN_KEY = 0
_INT4_MAX = 0x7FFF_FFFF


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
    if entry.sequence is not None:
        payload["sequence"] = entry.sequence
    if entry.client_request_id:
        payload["client_request_id"] = entry.client_request_id
    return json.dumps(payload, sort_keys=True, default=str, separators=(",", ":")).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_entry_payload(entry)).hexdigest()


def _lock_chain(program_id: int | None) -> None:
    if connection.vendor != "postgresql":
        return
    # Program ids map onto 1 … int4 max; one beyond it shares a key with another program, which
    # costs a wait, never a fork.
    key = _GLOBAL_CHAIN_KEY if program_id is None else 1 + (program_id - 1) % _INT4_MAX
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::int4, %s::int4)", [CHAIN_LOCK_NAMESPACE, key]
        )


def trunk_hash() -> str:
    """The hash every chain starts from: the last legacy (unsequenced) entry's, or genesis."""
    last = (
        AuditEntry.objects.filter(sequence__isnull=True)
        .order_by("-id")
        .values_list("entry_hash", flat=True)
        .first()
    )
    return last or GENESIS_HASH


def _chain_tail(program_id: int | None) -> tuple[int, str]:
    """The position and hash this chain's next entry links to. Call with the chain locked."""
    chain = AuditEntry.objects.filter(sequence__isnull=False)
    if program_id is None:
        chain = chain.filter(program__isnull=True)
    else:
        chain = chain.filter(program_id=program_id)
    tail = chain.order_by("-sequence").values_list("sequence", "entry_hash").first()
    if tail is None:
        return 0, trunk_hash()
    position, entry_hash = tail
    return position or 0, entry_hash


def record(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    changes: dict[str, list[Any]],
    program_id: int | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to its program's chain (or the global one). Must run inside the
    caller's transaction, after the caller's row locks (see the lock order above)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Audit entries are written inside the service's transaction.")
    _lock_chain(program_id)
    position, previous_hash = _chain_tail(program_id)
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
        client_request_id=current_client_request_id() or None,
        previous_hash=previous_hash,
        sequence=position + 1,
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
    """One entry that does not verify, and the chain it belongs to."""

    entry_id: int
    problem: str
    program_id: int | None = None
    legacy: bool = False  # in the trunk written before chains were per program

    @property
    def chain(self) -> str:
        if self.legacy:
            return "legacy trunk"
        return "global chain" if self.program_id is None else f"program {self.program_id}"


def _check(
    entry: AuditEntry, *, previous_hash: str, position: int | None, legacy: bool
) -> BrokenLink | None:
    def broken(problem: str) -> BrokenLink:
        return BrokenLink(entry.id, problem, entry.program_id, legacy)

    if position is not None and entry.sequence != position:
        return broken(f"is at position {entry.sequence} where {position} was expected")
    if entry.previous_hash != previous_hash:
        return broken("does not link to the entry before it")
    if compute_hash(entry) != entry.entry_hash:
        return broken("content does not match its hash")
    return None


def verify_chain(batch_size: int = 2000) -> Iterator[BrokenLink]:
    """Yield every entry whose position, back-link or hash does not match, in the legacy trunk
    and then chain by chain (global first, then by program id); empty when all are intact."""
    previous_hash = GENESIS_HASH
    legacy = AuditEntry.objects.filter(sequence__isnull=True).order_by("id")
    for entry in legacy.iterator(chunk_size=batch_size):
        if link := _check(entry, previous_hash=previous_hash, position=None, legacy=True):
            yield link
        previous_hash = entry.entry_hash
    root = previous_hash

    chained = AuditEntry.objects.filter(sequence__isnull=False).order_by(
        F("program_id").asc(nulls_first=True), "sequence"
    )
    chain: list[int | None] = []  # the program of the chain being walked; empty before the first
    position = 0
    for entry in chained.iterator(chunk_size=batch_size):
        if chain != [entry.program_id]:
            chain, position, previous_hash = [entry.program_id], 1, root
        if link := _check(entry, previous_hash=previous_hash, position=position, legacy=False):
            yield link
        position = (entry.sequence or position) + 1
        previous_hash = entry.entry_hash
