"""Batches: planned, started, reworked, decided by QA under an electronic signature, delivered.

The disposition (released or rejected) is QA's decision on the program (`Action.DECIDE_BATCH`),
signed with the password re-entered (21 CFR 11.50, 11.200); the signature binds the batch's
facts (`programs.signed_content`), so a decided batch is locked: its plan, start and
disposition change no more. What happens after the decision, the delivery to the sponsor, is
recorded beside the signed facts and audited.

Right-first-time, on time and in full are never typed in: `Batch.objects.with_outcome()`.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from portal import access, bounds, clock, signatures
from portal.access import Action, Audience
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import Signature, User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Batch, Program
from programs.services.common import REASON_REQUIRED

LOT_TAKEN = "Lot {lot} is already recorded for this program."
RELEASE_BEFORE_PLANNED_START = "The planned release cannot be before the planned start."
START_IN_FUTURE = "The actual start cannot be in the future."
BATCH_DECIDED = "QA has {decision} this batch: its record is signed and no longer changes."
NOT_EDITABLE = "This part of a batch cannot be edited here."
DECISION_UNKNOWN = "A batch is released or rejected."
DECISION_WITHOUT_START = "Record the batch's actual start before QA decides it."
DECISION_BEFORE_START = "The release day cannot be before the actual start ({start})."
DECISION_IN_FUTURE = "The release day cannot be in the future."
NOT_QA = "Only QA of this program releases or rejects a batch."
SIGNATURE_REQUIRED = "This decision needs your electronic signature: re-enter your password."
TOKEN_CANNOT_SIGN = "An API token cannot sign. Sign in and sign in the portal."
DELIVERY_BEFORE_RELEASE = "Only a released batch is delivered."
OVER_DELIVERY = (
    "{delivered} {unit} is more than the {committed} {unit} committed: tick that the sponsor "
    "agreed to take more, or correct the quantity."
)
QUANTITY_NOT_POSITIVE = "The committed quantity must be more than zero."
DELIVERY_NEGATIVE = "The delivered quantity cannot be negative."
ALREADY_REWORKED = "This batch is already recorded as reworked."

PLAN_FIELDS = (
    "product",
    "planned_start",
    "planned_release",
    "quantity_committed",
    "quantity_unit",
    "actual_start",
)
MEANING: dict[str, str] = {
    Batch.Disposition.RELEASED: Signature.Meaning.APPROVED,
    Batch.Disposition.REJECTED: Signature.Meaning.REVIEWED,
}


def _note(batch: Batch, verb: str, summary: str, **extra: Any) -> changes.Note:
    return changes.Note(
        verb=verb,
        summary=summary,
        audience=Audience.SPONSOR,
        url=reverse("batch-detail", args=[batch.program.code, batch.lot_number]),
        **extra,
    )


def _locked(batch: Batch) -> tuple[Program, Batch]:
    program = changes.lock_program(batch.program_id)
    locked = Batch.objects.select_for_update().select_related("program").get(pk=batch.pk)
    return program, locked


def _require_open(batch: Batch) -> None:
    if batch.is_decided:
        raise Conflict(BATCH_DECIDED.format(decision=batch.get_disposition_display().lower()))


def _check_plan(values: dict[str, Any]) -> None:
    bounds.check(
        **{
            k: v
            for k, v in values.items()
            if k in ("planned_start", "planned_release", "actual_start")
        }
    )
    committed = values.get("quantity_committed")
    if committed is not None and committed <= 0:
        raise Invalid(QUANTITY_NOT_POSITIVE, field="quantity_committed")
    start, release = values.get("planned_start"), values.get("planned_release")
    if start and release and release < start:
        raise Invalid(RELEASE_BEFORE_PLANNED_START, field="planned_release")
    actual = values.get("actual_start")
    if actual and actual > clock.site_today():
        raise Invalid(START_IN_FUTURE, field="actual_start")


@atomic_service
def batch_create(
    *,
    actor: User,
    program: Program,
    lot_number: str,
    planned_start: datetime.date,
    planned_release: datetime.date,
    quantity_committed: Decimal,
    quantity_unit: str = "g",
    product: str = "",
    actual_start: datetime.date | None = None,
) -> Batch:
    """Plan a batch of the program (CDMO team, operations or QA), shared with the sponsor."""
    access.require(actor, Action.RECORD_BATCH, program)
    values = {
        "lot_number": lot_number.strip(),
        "product": product.strip() or program.product,
        "planned_start": planned_start,
        "planned_release": planned_release,
        "quantity_committed": quantity_committed,
        "quantity_unit": quantity_unit.strip() or "g",
        "actual_start": actual_start,
    }
    _check_plan(values)
    locked = changes.lock_program(program.pk)
    if Batch.objects.filter(program=locked, lot_number__iexact=values["lot_number"]).exists():
        raise Invalid(LOT_TAKEN.format(lot=values["lot_number"]), field="lot_number")
    batch = Batch(program=locked, **values)
    return changes.create(
        batch,
        actor=actor,
        program=locked,
        note=_note(batch, "batch.planned", f"Batch {batch.lot_number} planned"),
    )


@atomic_service
def batch_update(*, actor: User, batch: Batch, reason: str = "", **values: Any) -> Batch:
    """Change the plan or record the actual start of a batch not yet decided by QA."""
    access.require(actor, Action.RECORD_BATCH, batch.program)
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise Invalid(NOT_EDITABLE, field=sorted(unknown)[0])
    program, locked = _locked(batch)
    _require_open(locked)
    merged = {name: getattr(locked, name) for name in PLAN_FIELDS} | values
    _check_plan(merged)
    started = values.get("actual_start") and locked.actual_start is None
    summary = (
        f"Batch {locked.lot_number} started" if started else f"Batch {locked.lot_number} updated"
    )
    changes.update(
        locked,
        actor=actor,
        program=program,
        values=values,
        reason=reason.strip(),
        note=_note(locked, "batch.started" if started else "batch.updated", summary),
    )
    return locked


@atomic_service
def batch_rework(*, actor: User, batch: Batch, reason: str) -> Batch:
    """Record that the lot was reworked or reprocessed: it is not right first time any more
    and stays pending QA's decision."""
    access.require(actor, Action.RECORD_BATCH, batch.program)
    reason = reason.strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    program, locked = _locked(batch)
    _require_open(locked)
    if locked.disposition == Batch.Disposition.REWORKED:
        raise Conflict(ALREADY_REWORKED)
    changes.update(
        locked,
        actor=actor,
        program=program,
        values={"disposition": Batch.Disposition.REWORKED, "reworked": True},
        reason=reason,
        note=_note(
            locked,
            "batch.reworked",
            f"Batch {locked.lot_number} reworked",
            detail=reason,
            significance="notable",
        ),
    )
    return locked


def require_qa(*, actor: User, batch: Batch, attempted: bool) -> None:
    """Refuse (403) anyone but QA of the program, before any input is read; an attempt that
    brought a password is audited as a refused signature."""
    if access.may(actor, Action.DECIDE_BATCH, batch.program):
        return
    if attempted:
        signatures.signature_refused(
            signer=actor,
            record=batch,
            meaning=Signature.Meaning.APPROVED,
            why=f"Not allowed: {NOT_QA}",
            program_id=batch.program_id,
        )
    raise NotAllowed(NOT_QA)


def batch_decide(
    *,
    actor: User,
    batch: Batch,
    decision: str,
    decided_on: datetime.date,
    reason: str = "",
    password: str | None = None,
    via_token: bool = False,
) -> Batch:
    """QA releases or rejects the batch, signing the decision. The signer is checked before the
    transaction, so that a refused attempt stays in the audit trail."""
    require_qa(actor=actor, batch=batch, attempted=bool(password))
    if decision not in MEANING:
        raise Invalid(DECISION_UNKNOWN, field="decision")
    meaning = MEANING[decision]
    if via_token:
        raise NotAllowed(TOKEN_CANNOT_SIGN, field="password")
    if decision == Batch.Disposition.REJECTED and not reason.strip():
        raise Invalid(REASON_REQUIRED, field="reason")
    if not password:
        raise Invalid(SIGNATURE_REQUIRED, field="password")
    bounds.check(decided_on=decided_on)
    signatures.signature_verify(
        signer=actor, password=password, meaning=meaning, record=batch, program_id=batch.program_id
    )
    return _decide(
        actor=actor,
        batch=batch,
        decision=decision,
        decided_on=decided_on,
        reason=reason.strip(),
        password=password,
    )


@atomic_service
def _decide(
    *,
    actor: User,
    batch: Batch,
    decision: str,
    decided_on: datetime.date,
    reason: str,
    password: str,
) -> Batch:
    program, locked = _locked(batch)
    _require_open(locked)
    if locked.actual_start is None:
        raise Conflict(DECISION_WITHOUT_START, field="decided_on")
    if decided_on < locked.actual_start:
        raise Invalid(DECISION_BEFORE_START.format(start=locked.actual_start), field="decided_on")
    if decided_on > clock.site_today():
        raise Invalid(DECISION_IN_FUTURE, field="decided_on")
    label = Batch.Disposition(decision).label.lower()
    changes.update(
        locked,
        actor=actor,
        program=program,
        values={
            "disposition": decision,
            "actual_release": decided_on,
            "disposition_at": timezone.now(),
            "disposition_by": actor,
            "disposition_reason": reason,
        },
        reason=reason,
        note=_note(
            locked,
            f"batch.{decision}",
            f"Batch {locked.lot_number} {label} by QA",
            detail=reason,
            significance="notable" if decision == Batch.Disposition.REJECTED else "info",
        ),
    )
    signatures.signature_sign(
        signer=actor,
        password=password,
        record=locked,
        meaning=MEANING[decision],
        statement=f"Batch {label}" + (f": {reason}" if reason else ""),
        program_id=locked.program_id,
    )
    return locked


@atomic_service
def batch_record_delivery(
    *,
    actor: User,
    batch: Batch,
    quantity_delivered: Decimal,
    over_delivery_agreed: bool = False,
) -> Batch:
    """Record what was delivered of a released batch. More than committed is refused unless
    the sponsor agreed to take it (the flag is kept with the batch)."""
    access.require(actor, Action.RECORD_BATCH, batch.program)
    if quantity_delivered < 0:
        raise Invalid(DELIVERY_NEGATIVE, field="quantity_delivered")
    program, locked = _locked(batch)
    if locked.disposition != Batch.Disposition.RELEASED:
        raise Conflict(DELIVERY_BEFORE_RELEASE, field="quantity_delivered")
    if quantity_delivered > locked.quantity_committed and not over_delivery_agreed:
        raise Invalid(
            OVER_DELIVERY.format(
                delivered=quantity_delivered,
                committed=locked.quantity_committed,
                unit=locked.quantity_unit,
            ),
            field="quantity_delivered",
        )
    changes.update(
        locked,
        actor=actor,
        program=program,
        values={
            "quantity_delivered": quantity_delivered,
            "over_delivery_agreed": over_delivery_agreed,
        },
        note=_note(
            locked,
            "batch.delivered",
            f"Batch {locked.lot_number}: {quantity_delivered} {locked.quantity_unit} delivered",
        ),
    )
    return locked
