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

Keys. An entry's hash is an HMAC-SHA256 under the chain key (`settings.AUDIT_CHAIN_KEY`, kept in
the environment, never in the database), and the entry names the key by `key_id`, a digest of
it: whoever can write to the database but does not hold the key cannot recompute a chain after
editing it. Entries written before keys (`key_id` empty) keep their plain SHA-256; migration 0010
sealed each chain with a keyed `seal` entry that links to its unkeyed tail, so those entries are
anchored by the first keyed entry after them. From then on a chain never goes back: an entry
without a key, or with a retired key, after a keyed one is a break, and so is a chain that ends
in an unkeyed entry. Retired keys (`settings.AUDIT_CHAIN_OLD_KEYS`, oldest first) still verify
the entries they signed; `seal_chains` (`manage.py audit_seal`) re-seals every chain with the
current key after a rotation. What a key cannot show (a chain's tail or a whole chain removed)
the checkpoints outside the database show (`portal.audit_checkpoints`).
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import F, Max, Q

from portal.models import AuditEntry, User
from portal.request_context import current_client_request_id, current_request_id

GENESIS_HASH = "0" * 64
CHAIN_LOCK_NAMESPACE = 7_310_201  # first key of pg_advisory_xact_lock(int4, int4)
_GLOBAL_CHAIN_KEY = 0
_INT4_MAX = 0x7FFF_FFFF
SEAL_REPR = "Audit chain sealed with key {key_id}"

TRUNK = "trunk"
GLOBAL = "global"


def chain_name(program_id: int | None) -> str:
    """How checkpoints and reports name a chain: `global` or `program:<id>` (and `trunk`)."""
    return GLOBAL if program_id is None else f"program:{program_id}"


@dataclass(frozen=True)
class ChainKey:
    """One chain key: its public id, its secret, and its place in the order of keys (1 is the
    oldest retired key, the current key the highest; entries without a key count as 0)."""

    key_id: str
    secret: bytes
    generation: int

    def mac(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()


class UnknownKeyError(LookupError):
    """An entry or checkpoint names a key that is neither the current nor a retired one."""


def key_id_of(secret: str) -> str:
    """The public name of a key: a digest that identifies it and reveals nothing of it."""
    return hashlib.sha256(b"portal.audit.key-id\0" + secret.encode()).hexdigest()[:16]


def keyring() -> dict[str, ChainKey]:
    """Every key that verifies, by id: the retired ones (oldest first), then the current one."""
    secrets = [*settings.AUDIT_CHAIN_OLD_KEYS, settings.AUDIT_CHAIN_KEY]
    keys: dict[str, ChainKey] = {}
    for generation, secret in enumerate(secrets, start=1):
        key_id = key_id_of(secret)
        keys.pop(key_id, None)  # a key listed twice takes its latest place
        keys[key_id] = ChainKey(key_id, secret.encode(), generation)
    return keys


def current_key() -> ChainKey:
    secret = settings.AUDIT_CHAIN_KEY
    return keyring()[key_id_of(secret)]


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
    if entry.key_id:
        payload["key_id"] = entry.key_id
    return json.dumps(payload, sort_keys=True, default=str, separators=(",", ":")).encode()


def compute_hash(entry: AuditEntry, keys: Mapping[str, ChainKey] | None = None) -> str:
    """The entry's hash: HMAC-SHA256 under the key its `key_id` names, or the plain SHA-256 of
    an entry written before keys. Raises `UnknownKeyError` for a key not in `keys` (default: the
    configured keyring)."""
    payload = _entry_payload(entry)
    if not entry.key_id:
        return hashlib.sha256(payload).hexdigest()
    key = (keyring() if keys is None else keys).get(entry.key_id)
    if key is None:
        raise UnknownKeyError(entry.key_id)
    return key.mac(payload)


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


def trunk_hash(entries: type[AuditEntry] = AuditEntry) -> str:
    """The hash every chain starts from: the last legacy (unsequenced) entry's, or genesis."""
    last = (
        entries.objects.filter(sequence__isnull=True)
        .order_by("-id")
        .values_list("entry_hash", flat=True)
        .first()
    )
    return last or GENESIS_HASH


def _chain(program_id: int | None, entries: type[AuditEntry] = AuditEntry) -> models.QuerySet:
    chain = entries.objects.filter(sequence__isnull=False)
    if program_id is None:
        return chain.filter(program__isnull=True)
    return chain.filter(program_id=program_id)


def _chain_tail(program_id: int | None, entries: type[AuditEntry] = AuditEntry) -> tuple[int, str]:
    """The position and hash this chain's next entry links to. Call with the chain locked."""
    tail = _chain(program_id, entries).order_by("-sequence").values_list("sequence", "entry_hash")
    last = tail.first()
    if last is None:
        return 0, trunk_hash(entries)
    position, entry_hash = last
    return position or 0, entry_hash


def _append(
    entries: type[AuditEntry], *, program_id: int | None, key: ChainKey, **fields: Any
) -> AuditEntry:
    """Lock the chain, link a new entry to its tail, sign it with `key` and insert it."""
    _lock_chain(program_id)
    position, previous_hash = _chain_tail(program_id, entries)
    entry = entries(
        program_id=program_id,
        previous_hash=previous_hash,
        sequence=position + 1,
        key_id=key.key_id,
        **fields,
    )
    entry.entry_hash = key.mac(_entry_payload(entry))
    entry.save(force_insert=True)
    return entry


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
    return _append(
        AuditEntry,
        program_id=program_id,
        key=current_key(),
        actor=actor,
        actor_label=(f"{actor.display_name} <{actor.email}>" if actor else "system"),
        action=action,
        model=instance._meta.label_lower,
        object_pk=str(instance.pk),
        object_repr=str(instance)[:200],
        changes=json.loads(json.dumps(changes, default=_plain)),
        reason=reason,
        request_id=current_request_id(),
        client_request_id=current_client_request_id() or None,
    )


def _chains(entries: type[AuditEntry]) -> list[int | None]:
    """Every chain with entries (None: the global one, also when only the trunk has entries)."""
    programs = (
        entries.objects.filter(sequence__isnull=False, program__isnull=False)
        .values_list("program_id", flat=True)
        .distinct()
    )
    chains: list[int | None] = []
    if entries.objects.filter(Q(program__isnull=True) | Q(sequence__isnull=True)).exists():
        chains.append(None)
    return [*chains, *sorted(set(programs))]


def seal_chains(entries: type[AuditEntry] = AuditEntry) -> list[AuditEntry]:
    """Append a `seal` entry, signed with the current key, to every chain whose last entry is not
    signed with it: the unkeyed entries of an upgraded database (migration 0010), or the chains
    an inactive program left on a retired key after a rotation (`manage.py audit_seal`). The
    seal links to the tail, so editing anything before it breaks a link no one can re-sign
    without the key. Idempotent: a chain already ending in the current key is left alone.

    `entries` is the AuditEntry model, or its historical version in a migration."""
    key = current_key()
    sealed = []
    for program_id in _chains(entries):
        with transaction.atomic():
            _lock_chain(program_id)
            tail = _chain(program_id, entries).order_by("-sequence").first()
            if tail is not None and tail.key_id == key.key_id:
                continue
            sealed.append(
                _append(
                    entries,
                    program_id=program_id,
                    key=key,
                    actor=None,
                    actor_label="system",
                    action="seal",
                    model="portal.auditentry",
                    object_pk=str(tail.pk) if tail is not None else "",
                    object_repr=SEAL_REPR.format(key_id=key.key_id),
                    changes={"key_id": [tail.key_id if tail is not None else None, key.key_id]},
                    request_id=current_request_id(),
                )
            )
    return sealed


def chain_heads() -> dict[str, tuple[int, str]]:
    """The position and hash of the last entry of every chain (and of the legacy trunk), by
    chain name: what a checkpoint anchors outside the database."""
    heads: dict[str, tuple[int, str]] = {}
    trunk = AuditEntry.objects.filter(sequence__isnull=True)
    trunk_length = trunk.count()
    if trunk_length:
        heads[TRUNK] = (trunk_length, trunk_hash())
    tops = (
        AuditEntry.objects.filter(sequence__isnull=False)
        .values_list("program_id")
        .annotate(top=Max("sequence"))
        .order_by()
    )
    wanted = [(program_id, top) for program_id, top in tops]
    for start in range(0, len(wanted), 200):
        match = Q(pk__in=[])
        for program_id, top in wanted[start : start + 200]:
            if program_id is None:
                match |= Q(program__isnull=True, sequence=top)
            else:
                match |= Q(program_id=program_id, sequence=top)
        for program_id, position, entry_hash in AuditEntry.objects.filter(match).values_list(
            "program_id", "sequence", "entry_hash"
        ):
            heads[chain_name(program_id)] = (position or 0, entry_hash)
    return heads


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
    """One entry that does not verify (or, with no entry, entries missing from a chain), and the
    chain it belongs to."""

    entry_id: int | None
    problem: str
    program_id: int | None = None
    legacy: bool = False  # in the trunk written before chains were per program

    @property
    def chain(self) -> str:
        if self.legacy:
            return "legacy trunk"
        return "global chain" if self.program_id is None else f"program {self.program_id}"


@dataclass(frozen=True)
class Anchor:
    """What a checkpoint outside the database recorded at one position of one chain."""

    entry_hash: str
    checkpoint: str  # how a report names the checkpoint, e.g. "checkpoint 12 (2026-03-01 …)"


Anchors = Mapping[str, Mapping[int, Anchor]]  # chain name -> position -> anchor

NO_KEY_AFTER_KEY = "has no key, after an entry signed with one"
OLDER_KEY = "is signed with a retired key, after an entry signed with a newer one"
UNSEALED = (
    "has no key and no keyed entry follows it: it and every entry after it could have been "
    "written, or rewritten, without the key"
)


class _Walk:
    """The state of one chain while its entries are checked in order."""

    def __init__(self, name: str, program_id: int | None, root: str, anchors: Anchors) -> None:
        self.name, self.program_id, self.legacy = name, program_id, name == TRUNK
        self.previous_hash, self.position, self.generation = root, 0, 0
        self.unkeyed_since: int | None = None  # first entry of the trailing unkeyed run
        self.anchors = anchors.get(name, {})

    def broken(self, entry_id: int | None, problem: str) -> BrokenLink:
        return BrokenLink(entry_id, problem, self.program_id, self.legacy)

    def check(self, entry: AuditEntry, keys: Mapping[str, ChainKey]) -> Iterator[BrokenLink]:
        self.position += 1
        if not self.legacy and entry.sequence != self.position:
            yield self.broken(
                entry.id, f"is at position {entry.sequence} where {self.position} was expected"
            )
            self.position = entry.sequence or self.position
        if entry.previous_hash != self.previous_hash:
            yield self.broken(entry.id, "does not link to the entry before it")
        try:
            if compute_hash(entry, keys) != entry.entry_hash:
                yield self.broken(entry.id, "content does not match its hash")
        except UnknownKeyError:
            yield self.broken(entry.id, f"is signed with an unknown key ({entry.key_id})")
        if not entry.key_id:
            generation = 0
        elif key := keys.get(entry.key_id):
            generation = key.generation
        else:
            generation = self.generation  # an unknown key: reported above
        if generation < self.generation:
            yield self.broken(entry.id, OLDER_KEY if generation else NO_KEY_AFTER_KEY)
        self.generation = max(self.generation, generation)
        if entry.key_id:
            self.unkeyed_since = None
        elif self.unkeyed_since is None:
            self.unkeyed_since = entry.id
        anchor = self.anchors.get(self.position)
        if anchor is not None and anchor.entry_hash != entry.entry_hash:
            yield self.broken(entry.id, f"is not the entry {anchor.checkpoint} recorded here")
        self.previous_hash = entry.entry_hash

    def finish(self, *, sealed_elsewhere: bool = False) -> Iterator[BrokenLink]:
        if self.unkeyed_since is not None and not sealed_elsewhere:
            yield self.broken(self.unkeyed_since, UNSEALED)
        beyond = [position for position in self.anchors if position > self.position]
        if beyond:
            anchor = self.anchors[max(beyond)]
            yield self.broken(
                None,
                f"ends at position {self.position}, but {anchor.checkpoint} recorded position "
                f"{max(beyond)}: entries were removed",
            )


def _program_of(name: str) -> int | None:
    return int(name.partition(":")[2]) if name.startswith("program:") else None


def verify_chain(*, anchors: Anchors | None = None, batch_size: int = 2000) -> Iterator[BrokenLink]:
    """Yield every entry whose position, back-link, hash or key does not match, in the legacy
    trunk and then chain by chain (global first, then by program id); then, against `anchors`
    (checkpoints kept outside the database), every chain that lost entries they recorded.
    Empty when all is intact."""
    keys = keyring()
    anchors = anchors or {}
    trunk = _Walk(TRUNK, None, GENESIS_HASH, anchors)
    legacy = AuditEntry.objects.filter(sequence__isnull=True).order_by("id")
    for entry in legacy.iterator(chunk_size=batch_size):
        yield from trunk.check(entry, keys)
    # The trunk is sealed by the chains that start from it; with no chain yet it is not.
    yield from trunk.finish(
        sealed_elsewhere=AuditEntry.objects.filter(sequence__isnull=False).exists()
    )

    chained = AuditEntry.objects.filter(sequence__isnull=False).order_by(
        F("program_id").asc(nulls_first=True), "sequence"
    )
    walked = {TRUNK}
    walk: _Walk | None = None
    for entry in chained.iterator(chunk_size=batch_size):
        if walk is None or walk.name != chain_name(entry.program_id):
            if walk is not None:
                yield from walk.finish()
            walk = _Walk(
                chain_name(entry.program_id), entry.program_id, trunk.previous_hash, anchors
            )
            walked.add(walk.name)
        yield from walk.check(entry, keys)
    if walk is not None:
        yield from walk.finish()
    for name in sorted(set(anchors) - walked):
        yield from _Walk(name, _program_of(name), GENESIS_HASH, anchors).finish()
