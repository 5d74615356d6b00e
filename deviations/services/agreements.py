"""The quality agreement as a versioned record: a change is a new version, with its effective
moment, its windows, who made it and why. Versions are never edited in place; a clock uses the
version in force when it started (`common.agreement_for`)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from deviations.models import QualityAgreement
from portal import access, audit, bounds
from portal.errors import Invalid, NotAllowed
from portal.models import Membership, Organisation, User
from programs import changes
from programs.models import Program

NOT_KEEPER = "Only the CDMO's administrators and QA record a new quality agreement version."
REASON_REQUIRED = "Say why the agreement changes (recorded with the version)."
BEFORE_CURRENT = (
    "A new version takes effect after the current one (v{version}, effective {moment:%d %b %Y "
    "%H:%M} UTC)."
)
NOT_THIS_SPONSORS = "This program is not the sponsor's."
WINDOWS = (
    "critical_notify",
    "critical_notify_unit",
    "major_notify",
    "major_notify_unit",
    "minor_notify",
    "minor_notify_unit",
    "investigation",
    "investigation_unit",
    "capa",
    "capa_unit",
)


def may_keep_agreements(user: object) -> bool:
    """CDMO administrators (leadership) and the CDMO's QA record versions; sponsors read their
    own (`QualityAgreement.objects.visible_to`)."""
    if access.is_cdmo_admin(user) or getattr(user, "is_superuser", False):
        return True  # the superuser: the admin site, which only the superuser enters
    membership = getattr(user, "membership", None) if access.is_cdmo(user) else None
    return membership is not None and membership.role == Membership.Role.QA


def version_list(*, user: User, sponsor: Organisation) -> list[QualityAgreement]:
    """Every version of the sponsor's default and of its programs' overrides, newest first."""
    versions = QualityAgreement.objects.visible_to(user).filter(sponsor=sponsor)
    return list(versions.select_related("made_by", "program").order_by("program_id", "-version"))


def agreement_version_add(
    *,
    actor: User | None,
    sponsor: Organisation,
    effective_from: datetime.datetime,
    reason: str,
    program: Program | None = None,
    **windows: object,
) -> QualityAgreement:
    """Record the next version. Its effective moment comes after the latest version's (so the
    history reads in order); it may lie in the future, and then applies from then on."""
    if not may_keep_agreements(actor):
        raise NotAllowed(NOT_KEEPER)
    bounds.check(effective_from=effective_from)
    reason = reason.strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    if program is not None and program.sponsor_id != sponsor.pk:
        raise Invalid(NOT_THIS_SPONSORS, field="program")
    unknown = set(windows) - set(WINDOWS)
    if unknown:
        raise Invalid(f"Unknown field {sorted(unknown)[0]}.", field=sorted(unknown)[0])
    with transaction.atomic():
        locked_program = changes.lock_program(program.pk) if program is not None else None
        Organisation.objects.select_for_update().filter(pk=sponsor.pk).first()
        siblings = QualityAgreement.objects.filter(sponsor=sponsor, program=program)
        latest = siblings.order_by("-version").first()
        if latest is not None and effective_from <= latest.effective_from:
            raise Invalid(
                BEFORE_CURRENT.format(version=latest.version, moment=latest.effective_from),
                field="effective_from",
            )
        number = (siblings.aggregate(top=Max("version"))["top"] or 0) + 1
        base = {name: getattr(latest, name) for name in WINDOWS} if latest is not None else {}
        version = QualityAgreement(
            sponsor=sponsor,
            program=locked_program,
            version=number,
            effective_from=effective_from,
            made_by=actor,
            reason=reason,
            **{**base, **windows},
        )
        try:
            version.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise Invalid(messages[0], field=field) from None
        if locked_program is not None:
            changes.create(version, actor=actor, program=locked_program, reason=reason)
        else:
            version.save()
            audit.record_create(actor=actor, instance=version, reason=reason)
    return version
