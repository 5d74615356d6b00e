"""The audit trail of one record, for its audit page and its CSV export (21 CFR 11.10(e)).

Visibility rule. The caller decides which records the user may see: it passes a record it got
through a `visible_to(user)` selector (another sponsor's record is a 404 before this runs) and,
in `related`, only (model, pk) pairs of records that the user may see. On top of that, for a user
who does not see internal items (sponsors), this module hides every entry written while the record
had `audience = internal`: a sponsor sees an item's history from the moment it was published.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q
from django.http import StreamingHttpResponse

from portal import access
from portal.csv_export import csv_response
from portal.models import AuditEntry, Signature, User
from portal.signatures import manifestation

INTERNAL = "internal"

RecordKey = tuple[type[models.Model] | str, Any]


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class AuditRow:
    """One line of a record's trail: who did what when and why, field by field."""

    id: int
    at: Any
    actor_label: str
    action: str
    action_label: str
    model: str
    object_pk: str
    object_repr: str
    reason: str
    request_id: str
    changes: list[FieldChange] = field(default_factory=list)
    signature: Signature | None = None


def _key(model: type[models.Model] | str, pk: Any) -> tuple[str, str]:
    label = model if isinstance(model, str) else model._meta.label_lower
    return label.lower(), str(pk)


def _entries(keys: list[tuple[str, str]]) -> Iterator[AuditEntry]:
    condition = Q(pk__in=[])
    for label, pk in keys:
        condition |= Q(model=label, object_pk=pk)
    return AuditEntry.objects.filter(condition).order_by("id").iterator()


def _visible_to_sponsor(entries: Iterable[AuditEntry]) -> Iterator[AuditEntry]:
    """Drop entries written while their record was internal (CDMO only), and the CDMO's refused
    signing attempts (a security record of the CDMO's accounts, not part of the sponsor's
    record: the signatures that were given are shown)."""
    audience: dict[tuple[str, str], Any] = {}
    for entry in entries:
        if entry.action == AuditEntry.Action.SIGN_FAILED:
            continue
        key = (entry.model, entry.object_pk)
        change = entry.changes.get("audience") if isinstance(entry.changes, dict) else None
        if change:
            audience[key] = change[1]
        if audience.get(key) != INTERNAL:
            yield entry


def _row(entry: AuditEntry, signatures: dict[int, Signature]) -> AuditRow:
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    signature = None
    if entry.action == AuditEntry.Action.SIGN:
        signature = signatures.get(changes.get("signature", [None, None])[1])
    return AuditRow(
        id=entry.id,
        at=entry.at,
        actor_label=entry.actor_label,
        action=entry.action,
        action_label=entry.get_action_display(),
        model=entry.model,
        object_pk=entry.object_pk,
        object_repr=entry.object_repr,
        reason=entry.reason,
        request_id=entry.request_id,
        changes=[FieldChange(name, pair[0], pair[1]) for name, pair in changes.items()],
        signature=signature,
    )


def audit_trail_for(
    record: models.Model, *, user: User, related: Iterable[RecordKey] = ()
) -> list[AuditRow]:
    """Every audit entry of the record and of the `related` records, oldest first.

    Signing entries carry their Signature, so the manifestation shows in its place in time.
    """
    keys = [_key(type(record), record.pk), *(_key(model, pk) for model, pk in related)]
    entries: Iterable[AuditEntry] = _entries(keys)
    if not access.sees_internal(user):
        entries = _visible_to_sponsor(entries)
    entries = list(entries)
    signature_ids = [
        entry.changes["signature"][1]
        for entry in entries
        if entry.action == AuditEntry.Action.SIGN and "signature" in entry.changes
    ]
    signatures = Signature.objects.select_related("signer").in_bulk(signature_ids)
    return [_row(entry, signatures) for entry in entries]


CSV_HEADER = [
    "when (UTC)",
    "who",
    "action",
    "record",
    "field",
    "old value",
    "new value",
    "reason",
    "request id",
    "signed by (printed name)",
    "signature meaning",
    "signed at (UTC)",
    "signed record version (SHA-256)",
]


def _csv_lines(rows: Iterable[AuditRow]) -> Iterator[list[Any]]:
    yield CSV_HEADER
    for row in rows:
        signed = manifestation(row.signature) if row.signature else None
        signature_cells = (
            [
                signed["printed_name"],
                signed["meaning"],
                signed["signed_at_utc"],
                signed["record_version"],
            ]
            if signed
            else ["", "", "", ""]
        )
        head = [row.at.isoformat(), row.actor_label, row.action_label, row.object_repr]
        tail = [row.reason, row.request_id, *signature_cells]
        for change in row.changes or [FieldChange("", "", "")]:
            yield [*head, change.field, change.old, change.new, *tail]


def audit_csv_response(rows: Iterable[AuditRow], filename: str) -> StreamingHttpResponse:
    """Stream the rows as CSV, one line per changed field, signatures included."""
    return csv_response(_csv_lines(rows), filename)
