"""Setting a program up: done by the CDMO's administrator (admin site, demo seed)."""

from __future__ import annotations

from collections.abc import Mapping

from portal.access import Audience
from portal.errors import Invalid
from portal.models import Organisation, User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

NOT_A_SPONSOR = "A program belongs to a sponsor organisation."
NOT_SET_UP = "{field} is not part of a program's set-up: it changes through the portal."

# What the administrator may change on a program once it exists. Never its sponsor: a program
# does not move between sponsors (its whole history is the sponsor's); health, overrides and
# the baseline freeze change through their services.
SET_UP_FIELDS = frozenset(
    {
        "code",
        "name",
        "product",
        "modality",
        "phase",
        "status",
        "start_date",
        "target_launch_date",
        "slip_threshold_days",
        "currency",
    }
)


@atomic_service
def program_create(
    *,
    actor: User | None,
    sponsor: Organisation,
    code: str,
    name: str,
    phase: str,
    reason: str = "",
    **fields: object,
) -> Program:
    if sponsor.kind != Organisation.Kind.SPONSOR:
        raise Invalid(NOT_A_SPONSOR, field="sponsor")
    # A new row: nobody else can see it, so there is no lock to take first.
    program = Program(sponsor=sponsor, code=code, name=name, phase=phase, **fields)
    return changes.create(
        program,
        actor=actor,
        program=program,
        reason=reason,
        note=changes.Note(
            verb="program.created",
            summary=f"Program {program.code} created",
            audience=Audience.SPONSOR,
        ),
    )


@atomic_service
def program_update(
    *, actor: User | None, program: Program, values: Mapping[str, object], reason: str = ""
) -> Program:
    """Change a program's set-up (`SET_UP_FIELDS`): audited old → new in the program's chain
    and told to the CDMO in its stream. Nothing is written when no value changes."""
    for name in values:
        if name not in SET_UP_FIELDS:
            raise Invalid(NOT_SET_UP.format(field=name.replace("_", " ").capitalize()), field=name)
    locked = changes.lock_program(program.pk)
    changed = [name for name in values if getattr(locked, name) != values[name]]
    changes.update(
        locked,
        actor=actor,
        program=locked,
        values=values,
        reason=reason,
        note=changes.Note(
            verb="program.updated",
            summary=f"Program {locked.code} set-up changed: {', '.join(sorted(changed))}",
            audience=Audience.INTERNAL,
        ),
    )
    return locked
