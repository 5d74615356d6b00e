"""Electronic signatures: given with the password, bound to one version of one record.

21 CFR 11.50 (printed name, date and time, meaning), 11.70 (the signature is linked to the exact
record content it signs), 11.200 (two components: the signed-in user plus the password, re-entered
for each signing; an API token alone never signs), EU GMP Annex 11 §14.

How a service that needs a signature uses this module (see docs/signatures.md):

    signature_verify(signer=..., password=..., meaning=..., record=deviation)  # before the atomic
    with transaction.atomic():
        ...change and save the record...
        signature_sign(signer=..., password=..., record=deviation, meaning=...)

`signature_verify` first, outside the service's transaction, so that the audit row of a failed
attempt is committed even though the service then stops; `signature_sign` checks again and stores
the signature inside the service's transaction, after the change, so it covers what was saved.

This module proves who signs, not whether they may: the calling service asks `portal.access`
first. Its refusals are classified like every service's (portal/errors.py): a wrong or missing
password or meaning is invalid input (400 on `password` or `meaning`), an API token may never
sign (403), and a signature that no longer matches the record as stored is a conflict with the
record's current state (409).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import models, transaction
from django.db.models import QuerySet

from portal import audit
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, Signature, User
from portal.request_context import current_request_id

MEANINGS = Signature.Meaning

WRONG_PASSWORD = "The password is not correct; nothing was signed."
MEANING_REQUIRED = "Choose what your signature means."
TOO_MANY_ATTEMPTS = "Too many failed signature attempts. Wait 15 minutes and try again."
TOKEN_CANNOT_SIGN = "An API token cannot sign: sign in the portal with your password."
SIGNATURE_REQUIRED = "This record must be signed: sign it with your password."
SIGNED_RECORD_CHANGED = "The record changed after it was signed: it needs a new signature."
SIGNED_RECORD_NEEDS_SIGNATURE = "This record is signed: an edit needs a new signature."
SIGNATURE_OF_ANOTHER_RECORD = "That signature belongs to another record."

FAILURE_LIMIT = 5
FAILURE_WINDOW_SECONDS = 15 * 60


def _label(record: models.Model) -> str:
    return record._meta.label_lower


def record_version(record: models.Model) -> str:
    """A stable SHA-256 of the record's auditable fields as stored (portal.audit.snapshot).

    It reads the row back from the database, so a value's in-memory form (a Decimal's scale,
    a datetime's time zone) cannot change the hash: the signature binds to the stored content.
    """
    stored = type(record)._base_manager.get(pk=record.pk)
    content = {"model": _label(record), "pk": str(record.pk), "fields": audit.snapshot(stored)}
    encoded = json.dumps(content, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


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
    with transaction.atomic():
        signature = Signature(
            signer=signer,
            printed_name=signer.display_name or signer.email,
            meaning=meaning,
            statement=statement.strip(),
            model=_label(record),
            object_pk=str(record.pk),
            object_repr=str(record)[:200],
            record_version=record_version(record),
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
    """True when the record still holds exactly the content that was signed."""
    return (
        signature.model == _label(record)
        and signature.object_pk == str(record.pk)
        and signature.record_version == record_version(record)
    )


def require_current_signature(record: models.Model, meaning: str | None = None) -> None:
    """Refuse unless the record's latest signature (of that meaning) covers its current content.

    For steps that need a signed record, e.g. "a closed deviation must carry a current approval".
    """
    signatures = signatures_for(record)
    if meaning is not None:
        signatures = signatures.filter(meaning=meaning)
    latest = signatures.order_by("-signed_at", "-id").first()
    if latest is None:
        raise Invalid(SIGNATURE_REQUIRED, field="password")
    if latest.record_version != record_version(record):
        raise Conflict(SIGNED_RECORD_CHANGED, field="password")


def assert_unsigned_or_resigned(
    record: models.Model, *, new_signature: Signature | None = None
) -> None:
    """Refuse an edit of a signed record unless the edit comes with a new signature.

    Call it inside the editing service's transaction, after saving the change (and after
    `signature_sign` when the user signed): a never-signed record passes; a signed record passes
    only with `new_signature`, a signature of this record that covers its content as now stored
    (one given before the change no longer matches and is refused).
    The refusal it raises rolls the edit back with the caller's transaction.
    """
    if new_signature is None:
        if signatures_for(record).exists():
            raise Invalid(SIGNED_RECORD_NEEDS_SIGNATURE, field="password")
        return
    if new_signature.model != _label(record) or new_signature.object_pk != str(record.pk):
        raise Invalid(SIGNATURE_OF_ANOTHER_RECORD, field="password")
    if not is_signature_current(new_signature, record):
        raise Conflict(SIGNED_RECORD_CHANGED, field="password")


def manifestation(signature: Signature) -> dict[str, Any]:
    """The printable parts of a signature (11.50), as exports show them."""
    return {
        "printed_name": signature.printed_name,
        "signed_at_utc": signature.signed_at.isoformat(),
        "meaning": signature.get_meaning_display(),
        "statement": signature.statement,
        "record_version": signature.record_version,
    }


@dataclass(frozen=True)
class SignatureStatus:
    """A signature and whether the record still holds the content it signed."""

    signature: Signature
    current: bool


def signatures_with_status(record: models.Model) -> list[SignatureStatus]:
    """The record's signatures, oldest first, for `components/signatures.html`."""
    version = record_version(record)
    return [
        SignatureStatus(signature, signature.record_version == version)
        for signature in signatures_for(record)
    ]
