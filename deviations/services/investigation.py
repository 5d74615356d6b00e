"""What the investigation learns: edits of the impact, classification and wording (always with
a reason), the milestones the deviation affects, and its root causes."""

from __future__ import annotations

from typing import Any

from deviations.models import Deviation, RootCause
from deviations.services.common import (
    REASON_REQUIRED,
    lock_deviation,
    note,
    require_open,
    sign,
    verify_signer,
)
from portal import access, signatures
from portal.access import Action
from portal.errors import Invalid
from portal.models import Signature, User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Milestone

NOT_EDITABLE = "This part of a deviation cannot be edited."
MILESTONE_OTHER_PROGRAM = "A milestone of another program cannot be affected."

EDITABLE_FIELDS = [
    "title",
    "description",
    "batch",
    "classification",
    "impact_product_quality",
    "impact_other_batches",
    "impact_timeline",
    "impact_cost",
]


def deviation_update(
    *,
    actor: User,
    deviation: Deviation,
    expected_version: int,
    reason: str,
    affected_milestones: list[Milestone] | None = None,
    password: str | None = None,
    **values: Any,
) -> Deviation:
    """Edit what the investigation learns (impact, classification, wording). Every edit of a
    classified deviation needs a reason (EU GMP Annex 11 §9); a closed one cannot change; a
    signed one changes only with a new signature (21 CFR 11.70), checked before the
    transaction so that a wrong password stays in the audit trail."""
    access.require(actor, Action.EDIT_DEVIATION, deviation.program)
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise Invalid(NOT_EDITABLE, field=sorted(unknown)[0])
    reason = reason.strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    for milestone in affected_milestones or []:
        if milestone.program_id != deviation.program_id:
            raise Invalid(MILESTONE_OTHER_PROGRAM, field="affected_milestones")
    if password:
        verify_signer(
            actor=actor, deviation=deviation, password=password, meaning="reviewed", via_token=False
        )
    return _update(
        actor=actor,
        deviation=deviation,
        expected_version=expected_version,
        reason=reason,
        affected_milestones=affected_milestones,
        password=password,
        values=values,
    )


@atomic_service
def _update(
    *,
    actor: User,
    deviation: Deviation,
    expected_version: int,
    reason: str,
    affected_milestones: list[Milestone] | None,
    password: str | None,
    values: dict[str, Any],
) -> Deviation:
    program = changes.lock_program(deviation.program_id)
    locked = lock_deviation(deviation, expected_version)
    require_open(locked)
    changes.update(
        locked,
        actor=actor,
        program=program,
        values={**values, "version": locked.version + 1},
        reason=reason,
        note=note(locked, "deviation.updated", f"{locked.reference} updated: {reason}"),
    )
    if affected_milestones is not None:
        changes.link(
            locked,
            actor=actor,
            program=program,
            field="affected_milestones",
            related=affected_milestones,
            reason=reason,
        )
    new_signature: Signature | None = None
    if password:
        new_signature = sign(
            actor=actor, deviation=locked, password=password, meaning="reviewed", statement=reason
        )
    signatures.assert_unsigned_or_resigned(locked, new_signature=new_signature)
    return locked


@atomic_service
def root_cause_add(
    *, actor: User, deviation: Deviation, category: str, description: str
) -> RootCause:
    access.require(actor, Action.EDIT_DEVIATION, deviation.program)
    program = changes.lock_program(deviation.program_id)
    locked = lock_deviation(deviation)
    require_open(locked)
    cause = RootCause(deviation=locked, program=program, category=category, description=description)
    return changes.create(
        cause,
        actor=actor,
        program=program,
        note=note(
            locked,
            "deviation.root_cause",
            f"Root cause found for {locked.reference}: {cause.get_category_display()}",
        ),
    )
