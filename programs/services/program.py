"""Setting a program up: done by the CDMO's administrator (admin site, demo seed)."""

from __future__ import annotations

from portal.access import Audience
from portal.errors import Invalid
from portal.models import Organisation, User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

NOT_A_SPONSOR = "A program belongs to a sponsor organisation."


@atomic_service
def program_create(
    *,
    actor: User | None,
    sponsor: Organisation,
    code: str,
    name: str,
    phase: str,
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
        note=changes.Note(
            verb="program.created",
            summary=f"Program {program.code} created",
            audience=Audience.SPONSOR,
        ),
    )
