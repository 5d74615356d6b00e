"""Electronic signatures: given with the password, bound to one version of one record's content.

21 CFR 11.50 (printed name, date and time, meaning), 11.70 (the signature is linked to the exact
record content it signs), 11.200 (two components: the signed-in user plus the password, re-entered
for each signing; an API token alone never signs), EU GMP Annex 11 §14.

What a signature binds is defined per record type (docs/signatures.md). A domain app registers
the canonical content of its signable records (`register_content`, from its AppConfig.ready):
for a deviation, the deviation with its root causes, CAPA actions, impact and closure. A record
type without a registration is signed as its row. Each definition has a version, stored on the
signature (`Signature.content_version`), so that a signature is always checked against the
definition it was made under, also after a record type's definition changes.

How a service that needs a signature uses this module (see docs/signatures.md):

    signature_verify(signer=..., password=..., meaning=..., record=deviation)  # before the atomic
    with transaction.atomic():
        ...change and save the record...
        signature_sign(signer=..., password=..., record=deviation, meaning=...)

`signature_verify` first, outside the service's transaction, so that the audit row of a failed
attempt is committed even though the service then stops; `signature_sign` checks again and stores
the signature inside the service's transaction, after the change, so it covers what was saved.

This module proves who signs and whether a signature still matches, not whether the user may
sign nor whether a signed record may change: the calling service asks `portal.access`, and the
record type's own rules lock a signed record (for deviations, `deviations.services.common`). Its
refusals are classified like every service's (portal/errors.py): a wrong or missing password or
meaning is invalid input (400 on `password` or `meaning`), and an API token may never sign (403).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import QuerySet

from portal import audit
from portal.errors import Invalid, NotAllowed
from portal.models import AuditEntry, Signature, User
from portal.request_context import current_request_id

MEANINGS = Signature.Meaning

WRONG_PASSWORD = "The password is not correct; nothing was signed."
MEANING_REQUIRED = "Choose what your signature means."
TOO_MANY_ATTEMPTS = "Too many failed signature attempts. Wait 15 minutes and try again."
TOKEN_CANNOT_SIGN = "An API token cannot sign: sign in the portal with your password."

FAILURE_LIMIT = 5
FAILURE_WINDOW_SECONDS = 15 * 60


ROW_CONTENT = 1  # the content version of a record's row as stored: see `record_version`

ContentFunction = Callable[[models.Model], dict[str, Any]]


@dataclass
class _SignedRecordType:
    """What the registrations of one record type say: its content definitions by version, and
    the fields it keeps beside its signed content."""

    definitions: dict[int, ContentFunction] = field(default_factory=dict)
    beside: frozenset[str] = frozenset()

    @property
    def current_version(self) -> int:
        return max(self.definitions, default=ROW_CONTENT)


_RECORD_TYPES: dict[str, _SignedRecordType] = {}


def _label(record: models.Model | type[models.Model]) -> str:
    return record._meta.label_lower


def register_content(
    model: type[models.Model],
    *,
    version: int,
    content: ContentFunction,
    beside: Iterable[str] = (),
) -> None:
    """Define what a signature of a `model` record binds, from `version` 2 on.

    `content(record)` returns the canonical content signed: the record's values read back from
    the database (never the caller's in-memory copy), as JSON values, its lists in a stable
    order. New signatures use the highest version registered; keep registering the older ones so
    that signatures made under them are still checked by them. `beside` names the attnames of
    fields the record keeps beside its signed content and writes only once, from empty (a
    sponsor's acknowledgement): the content leaves them out, and a signature made under the row
    definition (version 1) before they were written still matches once they are.
    """
    if version <= ROW_CONTENT:
        raise ValueError(
            f"Version {ROW_CONTENT} is the row itself: register from {ROW_CONTENT + 1}."
        )
    record_type = _RECORD_TYPES.setdefault(_label(model), _SignedRecordType())
    known = record_type.definitions.get(version)
    if known is not None and known is not content:
        raise ValueError(f"{_label(model)} already has a content definition {version}.")
    record_type.definitions[version] = content
    record_type.beside |= frozenset(beside)


def content_version_for(record: models.Model) -> int:
    """The content definition a new signature of `record` is made under."""
    record_type = _RECORD_TYPES.get(_label(record))
    return record_type.current_version if record_type else ROW_CONTENT


def _digest(record: models.Model, version: int, content: dict[str, Any]) -> str:
    envelope: dict[str, Any] = {"model": _label(record), "pk": str(record.pk)}
    if version == ROW_CONTENT:
        envelope["fields"] = content  # exactly the shape hashed before content versions existed
    else:
        envelope |= {"content_version": version, "content": content}
    encoded = json.dumps(envelope, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def _row(record: models.Model) -> dict[str, Any]:
    return audit.snapshot(type(record)._base_manager.get(pk=record.pk))


def signed_content(record: models.Model, version: int | None = None) -> dict[str, Any]:
    """The canonical content a signature of `record` under `version` (default: the one a new
    signature uses) binds, as stored now."""
    version = content_version_for(record) if version is None else version
    if version == ROW_CONTENT:
        return _row(record)
    record_type = _RECORD_TYPES.get(_label(record))
    if record_type is None or version not in record_type.definitions:
        raise LookupError(f"{_label(record)} has no signed-content definition {version}.")
    return record_type.definitions[version](record)


def record_version(record: models.Model, version: int | None = None) -> str:
    """The SHA-256 of the record's signed content under `version` (default: the one a new
    signature uses), canonically serialised (sorted keys, stored values).

    It reads the content back from the database, so a value's in-memory form (a Decimal's scale,
    a datetime's time zone) cannot change the hash: the signature binds to the stored content.
    Version 1 is the record's row (`portal.audit.snapshot`: its concrete fields).
    """
    version = content_version_for(record) if version is None else version
    return _digest(record, version, signed_content(record, version))


def _matching_versions(record: models.Model, version: int) -> set[str]:
    """The hashes a signature under `version` may hold and still match the record as stored:
    one, or for the row definition also the row with its `beside` fields still empty."""
    if version != ROW_CONTENT:
        return {record_version(record, version)}
    row = _row(record)
    matching = {_digest(record, ROW_CONTENT, row)}
    record_type = _RECORD_TYPES.get(_label(record))
    beside = record_type.beside if record_type else frozenset()
    if any(row.get(name) is not None for name in beside):
        matching.add(_digest(record, ROW_CONTENT, row | dict.fromkeys(beside)))
    return matching


def _failure_key(signer: User) -> str:
    return f"sign-fail:user:{signer.pk}"


def _is_throttled(signer: User) -> bool:
    return int(cache.get(_failure_key(signer), 0)) >= FAILURE_LIMIT


def _count_failure(signer: User) -> None:
    key = _failure_key(signer)
    cache.add(key, 0, timeout=FAILURE_WINDOW_SECONDS)
    cache.incr(key)


def _audit_failure(
    *,
    signer: User,
    record: models.Model | None,
    meaning: str,
    why: str,
    program_id: int | None,
) -> None:
    with transaction.atomic():
        audit.record(
            actor=signer,
            action=AuditEntry.Action.SIGN_FAILED,
            instance=record if record is not None else signer,
            changes={"meaning": [None, meaning]},
            program_id=program_id,
            reason=why,
        )


def signature_refused(
    *,
    signer: User,
    meaning: str,
    why: str,
    record: models.Model | None = None,
    program_id: int | None = None,
) -> None:
    """Audit a signing attempt that the calling service refuses before the password counts:
    the signer may not sign this record (not QA of its program, or barred by segregation of
    duties: `portal.access.BARS`). Call it outside the service's transaction, as
    `signature_verify`, so that the row commits."""
    _audit_failure(signer=signer, record=record, meaning=meaning, why=why, program_id=program_id)


def signature_verify(
    *,
    signer: User,
    password: str,
    meaning: str,
    record: models.Model | None = None,
    program_id: int | None = None,
    via_token: bool = False,
) -> None:
    """Check a signing attempt without storing anything; a refused attempt is audited.

    Call it before the service's own transaction so the failed-attempt audit row commits.
    """
    if via_token:
        _audit_failure(
            signer=signer, record=record, meaning=meaning, why="API token", program_id=program_id
        )
        raise NotAllowed(TOKEN_CANNOT_SIGN)
    if meaning not in MEANINGS.values:
        raise Invalid(MEANING_REQUIRED, field="meaning")
    if _is_throttled(signer):
        _audit_failure(
            signer=signer, record=record, meaning=meaning, why="Throttled", program_id=program_id
        )
        raise Invalid(TOO_MANY_ATTEMPTS, field="password")
    if not (signer.is_active and signer.check_password(password)):
        _count_failure(signer)
        _audit_failure(
            signer=signer,
            record=record,
            meaning=meaning,
            why="Wrong password",
            program_id=program_id,
        )
        raise Invalid(WRONG_PASSWORD, field="password")


def signature_sign(
    *,
    signer: User,
    password: str,
    record: models.Model,
    meaning: str,
    statement: str = "",
    program_id: int | None = None,
    via_token: bool = False,
) -> Signature:
    """Sign the record as it is stored now, with the signer's password.

    Runs in the caller's transaction when there is one. Refusals raise with one of the
    messages above and store no signature.
    """
    signature_verify(
        signer=signer,
        password=password,
        meaning=meaning,
        record=record,
        program_id=program_id,
        via_token=via_token,
    )
    cache.delete(_failure_key(signer))
    version = content_version_for(record)
    with transaction.atomic():
        signature = Signature(
            signer=signer,
            printed_name=signer.display_name or signer.email,
            meaning=meaning,
            statement=statement.strip(),
            model=_label(record),
            object_pk=str(record.pk),
            object_repr=str(record)[:200],
            record_version=record_version(record, version),
            content_version=version,
            program_id=program_id,
            request_id=current_request_id(),
        )
        signature.full_clean()
        signature.save(force_insert=True)
        audit.record(
            actor=signer,
            action=AuditEntry.Action.SIGN,
            instance=record,
            changes={
                "signature": [None, signature.pk],
                "meaning": [None, meaning],
                "record_version": [None, signature.record_version],
                "content_version": [None, version],
            },
            program_id=program_id,
            reason=signature.statement,
        )
    return signature


def signatures_for(record: models.Model) -> QuerySet[Signature]:
    """Every signature of the record, oldest first."""
    return Signature.objects.filter(model=_label(record), object_pk=str(record.pk)).select_related(
        "signer"
    )


def is_signature_current(signature: Signature, record: models.Model) -> bool:
    """True when the record still holds exactly the content that was signed, checked by the
    content definition the signature was made under."""
    return (
        signature.model == _label(record)
        and signature.object_pk == str(record.pk)
        and signature.record_version in _matching_versions(record, signature.content_version)
    )


def manifestation(signature: Signature) -> dict[str, Any]:
    """The printable parts of a signature (11.50), as exports show them."""
    return {
        "printed_name": signature.printed_name,
        "signed_at_utc": signature.signed_at.isoformat(),
        "meaning": signature.get_meaning_display(),
        "statement": signature.statement,
        "record_version": signature.record_version,
        "content_version": signature.content_version,
    }


@dataclass(frozen=True)
class SignatureStatus:
    """A signature and whether the record still holds the content it signed."""

    signature: Signature
    current: bool


def signatures_with_status(record: models.Model) -> list[SignatureStatus]:
    """The record's signatures, oldest first, each with whether it is current, for
    `components/signatures.html` and the API. The record's content is read once per content
    definition in use, however many signatures it has."""
    signatures = list(signatures_for(record))
    matching = {
        version: _matching_versions(record, version)
        for version in {signature.content_version for signature in signatures}
    }
    return [
        SignatureStatus(signature, signature.record_version in matching[signature.content_version])
        for signature in signatures
    ]
