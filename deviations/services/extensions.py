"""Extensions of the investigation: requested with a reason by the team, approved by QA with a
signature; the investigation's due date then moves."""

from __future__ import annotations

import datetime

from django.utils import timezone

from deviations.models import Deviation, ExtensionRequest
from deviations.services.common import (
    REASON_REQUIRED,
    lock_deviation,
    note,
    require_open,
    require_signer,
    sign,
    verify_signer,
)
from portal import access, bounds
from portal.access import Action
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes

EXTENSION_NOT_LATER = "The new due date must be after the current one."
EXTENSION_ALREADY_DECIDED = "This extension request has already been decided."
EXTENSION_NOT_QA = "Only QA of this program approves an extension of its investigation."


@atomic_service
def extension_request(
    *, actor: User, deviation: Deviation, new_due: datetime.datetime, reason: str
) -> ExtensionRequest:
    access.require(actor, Action.EDIT_DEVIATION, deviation.program)
    bounds.check(new_due=new_due)
    reason = reason.strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    program = changes.lock_program(deviation.program_id)
    locked = lock_deviation(deviation)
    require_open(locked)
    if new_due <= locked.investigation_due:
        raise Invalid(EXTENSION_NOT_LATER, field="new_due")
    extension = ExtensionRequest(
        deviation=locked, program=program, new_due=new_due, reason=reason, requested_by=actor
    )
    return changes.create(
        extension,
        actor=actor,
        program=program,
        note=note(
            locked,
            "deviation.extension_requested",
            f"Extension of the investigation of {locked.reference} requested",
        ),
    )


def extension_approver_require(
    *,
    actor: User,
    deviation: Deviation,
    attempted: bool,
    extension: ExtensionRequest | None = None,
) -> None:
    """Refuse (403) anyone but QA of the program, and on `extension` its own requester
    (segregation of duties, `portal.access.BARS`); an attempt that brought a password is
    audited as a refused signing attempt. The page asks it before it reads the form."""
    require_signer(
        actor=actor,
        action=Action.DECIDE_EXTENSION,
        deviation=deviation,
        meaning="approved",
        attempted=attempted,
        record=extension,
        refused=EXTENSION_NOT_QA,
    )


def extension_approve(
    *,
    actor: User,
    extension: ExtensionRequest,
    expected_version: int,
    password: str | None,
    via_token: bool = False,
) -> ExtensionRequest:
    """QA of the program approves with a signature, never the extension's own requester
    (segregation of duties, `portal.access.BARS`). The signer is checked before the
    transaction, so that a refused attempt stays in the audit trail; the investigation's due
    date moves."""
    extension_approver_require(
        actor=actor, deviation=extension.deviation, attempted=bool(password), extension=extension
    )
    password = verify_signer(
        actor=actor,
        deviation=extension.deviation,
        password=password,
        meaning="approved",
        via_token=via_token,
    )
    return _approve(
        actor=actor, extension=extension, expected_version=expected_version, password=password
    )


@atomic_service
def _approve(
    *, actor: User, extension: ExtensionRequest, expected_version: int, password: str
) -> ExtensionRequest:
    program = changes.lock_program(extension.program_id)
    deviation = lock_deviation(extension.deviation, expected_version)
    locked = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    access.require(actor, Action.DECIDE_EXTENSION, program, locked)
    if locked.status != ExtensionRequest.Status.PENDING:
        raise Conflict(EXTENSION_ALREADY_DECIDED)
    require_open(deviation)
    changes.update(
        locked,
        actor=actor,
        program=program,
        values={
            "status": ExtensionRequest.Status.APPROVED,
            "decided_by": actor,
            "decided_at": timezone.now(),
        },
    )
    changes.update(
        deviation,
        actor=actor,
        program=program,
        values={"investigation_due": locked.new_due, "version": deviation.version + 1},
        reason=locked.reason,
        note=note(
            deviation,
            "deviation.extended",
            f"Investigation of {deviation.reference} extended",
        ),
    )
    sign(
        actor=actor,
        deviation=deviation,
        password=password,
        meaning="approved",
        statement=f"Investigation extended to {locked.new_due:%Y-%m-%d}: {locked.reason}",
    )
    return locked
