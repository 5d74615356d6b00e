"""Checks shared by invitations and changes to a person's access: who manages an
organisation's people, which roles and programs they may grant, the end date's rules."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from portal import access, bounds, clock
from portal.errors import Invalid, NotAllowed
from portal.models import Membership, Organisation, User
from programs.models import Program

NOT_PEOPLE_MANAGER = "Only a lead of this organisation or a CDMO administrator manages its people."
ROLE_NOT_GRANTABLE = "You cannot give the role {role} in {organisation}."
PROGRAM_NOT_SPONSORS = "Choose only programs of {organisation}."
PROGRAMS_REQUIRED = "Choose at least one program, or tick 'sees all programs'."
END_DATE_PAST = "The access end date cannot be in the past."
ALREADY_MEMBER_ELSEWHERE = (
    "{email} already belongs to another organisation: a person belongs to one organisation. "
    "Ask a CDMO administrator to move them."
)


def require_manager(actor: User, organisation: Organisation) -> None:
    if not access.may_manage_people(actor, organisation):
        raise NotAllowed(NOT_PEOPLE_MANAGER)


def check_grants(
    *,
    actor: User,
    organisation: Organisation,
    role: str,
    all_programs: bool,
    programs: Iterable[Program],
) -> list[Program]:
    if role not in access.grantable_roles(actor, organisation):
        label = dict(Membership.Role.choices).get(role, role or "(none)")
        raise Invalid(
            ROLE_NOT_GRANTABLE.format(role=label, organisation=organisation), field="role"
        )
    chosen = list(programs)
    if organisation.kind == Organisation.Kind.CDMO:
        return []
    if any(program.sponsor_id != organisation.pk for program in chosen):
        raise Invalid(PROGRAM_NOT_SPONSORS.format(organisation=organisation), field="programs")
    if not all_programs and not chosen:
        raise Invalid(PROGRAMS_REQUIRED, field="programs")
    return [] if all_programs else chosen


def check_end_date(access_ends_on: datetime.date | None) -> None:
    if access_ends_on is None:
        return
    bounds.check(access_ends_on=access_ends_on)
    if access_ends_on < clock.site_today():
        raise Invalid(END_DATE_PAST, field="access_ends_on")


def grant_labels(programs: Iterable[Program]) -> list[str]:
    return sorted(program.code for program in programs)
