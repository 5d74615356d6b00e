"""What the investigation learns: edits of the impact, classification and wording (always with
a reason), the milestones the deviation affects, and its root causes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deviations.models import Deviation, RootCause
from deviations.services.common import (
    REASON_REQUIRED,
    batches_named,
    lock_deviation,
    note,
    require_open,
)
from portal import access
from portal.access import Action
from portal.errors import Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Milestone

NOT_EDITABLE = "This part of a deviation cannot be edited."
MILESTONE_OTHER_PROGRAM = "A milestone of another program cannot be affected."

EDITABLE_FIELDS = [
    "title",
    "description",
    "classification",
    "impact_product_quality",
    "impact_other_batches",
    "impact_timeline",
    "impact_cost",
]


@atomic_service
def deviation_update(
    *,
    actor: User,
    deviation: Deviation,
    expected_version: int,
    reason: str,
    affected_milestones: list[Milestone] | None = None,
    batches: Sequence[str] | None = None,
    **values: Any,
) -> Deviation:
    """Edit what the investigation learns (impact, classification, wording). Every edit of a
    classified deviation needs a reason (EU GMP Annex 11 §9); a closed or cancelled one is
    signed and locked (409) until QA reopens it."""
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
    program = changes.lock_program(deviation.program_id)
    affected = None if batches is None else batches_named(program, batches)
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
    if affected is not None:
        changes.link(
            locked, actor=actor, program=program, field="batches", related=affected, reason=reason
        )
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
