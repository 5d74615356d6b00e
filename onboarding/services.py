"""Onboarding a sponsor: its organisation record, written here and audited in the global chain.
Programs and their people go through the programs' own services (`program_create`,
`program_member_assign`), so a PM change is the same handover whichever screen made it."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import access, audit
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import Organisation, User
from programs.models import Program, ProgramMember
from programs.services.members import program_member_assign, program_member_update

NOT_CDMO_ADMIN = "Only the CDMO's administrators (leadership) onboard sponsors."
NAME_REQUIRED = "Give the organisation a name."
NAME_TAKEN = "An organisation with this name already exists."
SLUG_TAKEN = "An organisation with this short name (slug) already exists."
DOMAIN_MALFORMED = "'{domain}' is not an email domain (like helix.example)."

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
NOT_ON_PROGRAM = "This person is not on the program."
FIELDS = ("name", "slug", "email_domains", "mfa_required")


def require_admin(actor: User) -> None:
    if not access.is_cdmo_admin(actor):
        raise NotAllowed(NOT_CDMO_ADMIN)


def clean_domains(raw: str) -> str:
    """The domains as the organisation stores them: lower case, space separated, no '@'."""
    domains = []
    for part in raw.replace(",", " ").split():
        domain = part.lstrip("@").lower()
        if not DOMAIN.match(domain):
            raise Invalid(DOMAIN_MALFORMED.format(domain=part[:80]), field="email_domains")
        if domain not in domains:
            domains.append(domain)
    return " ".join(domains)


def _save(actor: User, organisation: Organisation, before: dict | None, reason: str) -> None:
    organisation.name = organisation.name.strip()
    if not organisation.name:
        raise Invalid(NAME_REQUIRED, field="name")
    organisation.email_domains = clean_domains(organisation.email_domains)
    try:
        organisation.full_clean(validate_unique=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise Invalid(messages[0], field=field) from None
    others = Organisation.objects.exclude(pk=organisation.pk)
    if others.filter(name__iexact=organisation.name).exists():
        raise Conflict(NAME_TAKEN, field="name")
    if others.filter(slug=organisation.slug).exists():
        raise Conflict(SLUG_TAKEN, field="slug")
    try:
        with transaction.atomic():
            organisation.save()
            if before is None:
                audit.record_create(actor=actor, instance=organisation, reason=reason)
            else:
                audit.record_update(
                    actor=actor, instance=organisation, before=before, reason=reason
                )
    except IntegrityError:
        raise Conflict(NAME_TAKEN, field="name") from None


def organisation_create(
    *,
    actor: User,
    name: str,
    slug: str,
    email_domains: str = "",
    mfa_required: bool = False,
    reason: str = "",
) -> Organisation:
    """A new sponsor organisation (the CDMO's own exists once, from setup)."""
    require_admin(actor)
    organisation = Organisation(
        name=name,
        slug=slug,
        kind=Organisation.Kind.SPONSOR,
        email_domains=email_domains,
        mfa_required=mfa_required,
    )
    _save(actor, organisation, None, reason)
    return organisation


def organisation_update(
    *, actor: User, organisation: Organisation, values: dict, reason: str = ""
) -> Organisation:
    """Change a sponsor's name, slug, domains or second-factor rule; audited as a diff."""
    require_admin(actor)
    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        before = audit.snapshot(locked, FIELDS)
        for name in FIELDS:
            if name in values:
                setattr(locked, name, values[name])
        _save(actor, locked, before, reason)
    return locked


def team_member_add(
    *, actor: User, program: Program, user: User, role: str, rank: str = "", reason: str = ""
) -> ProgramMember:
    """Put a person on a program's team, on the side their organisation is on. A new dedicated
    PM is a handover (`program_member_assign`: the stream's `member.handover`)."""
    require_admin(actor)
    if role not in ProgramMember.Role.values:
        raise Invalid("Choose a role.", field="role")
    if not user.is_active:
        raise Invalid("This account is deactivated.", field="user")
    return program_member_assign(
        actor=actor, program=program, user=user, role=role, rank=rank, reason=reason
    )


def team_member_end(*, actor: User, member: ProgramMember, reason: str = "") -> ProgramMember:
    """End a person's tenure on a program (they leave it; the history keeps them)."""
    require_admin(actor)
    if member.ended_at is not None:
        raise Invalid(NOT_ON_PROGRAM, field="member")
    return program_member_update(
        actor=actor, member=member, rank=member.rank, ended_at=timezone.now(), reason=reason
    )
