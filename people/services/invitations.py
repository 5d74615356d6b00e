"""Invitations: a single-use link with an expiry, emailed; accepting it creates the account
(or gives an existing account without membership its membership) with the role and grants.
Only a hash of the token is stored. A refused acceptance is audited like a refused sign-in."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from people.models import Invitation
from people.services.common import (
    ALREADY_MEMBER_ELSEWHERE,
    check_end_date,
    check_grants,
    grant_labels,
    require_manager,
)
from portal import audit, auth_events, bounds, identity
from portal.errors import Conflict, Invalid
from portal.models import AuditEntry, Membership, Organisation, User
from portal.transactions import atomic_service
from programs.models import Program

INVITATION_DAYS = 7

EMAIL_MALFORMED = "Enter a valid email address."
EMAIL_FOREIGN_DOMAIN = "{organisation} accepts people only at {domains}."
ALREADY_PENDING = "{email} already has a pending invitation: resend or revoke it."
ALREADY_ACTIVE_MEMBER = (
    "{email} is already an active member of {organisation}: change their access instead."
)
INVITATION_UNKNOWN = "This invitation link is not valid. Ask for a new invitation."
INVITATION_USED = "This invitation has already been used. Sign in, or ask for a new invitation."
INVITATION_EXPIRED = "This invitation has expired. Ask for a new invitation."
INVITATION_REVOKED = "This invitation was withdrawn. Ask for a new invitation."
INVITATION_NOT_PENDING = "This invitation is no longer pending."
INVITATION_PROGRAM_MOVED = (
    "This invitation grants a program that no longer belongs to the organisation. Ask for a "
    "new invitation."
)
NAME_REQUIRED = "Enter your name."

INVITED = "Invitation sent."
INVITATION_RESENT = "Invitation sent again with a new link."
INVITATION_WITHDRAWN = "Invitation revoked."
JOINED = "Joined by invitation."


def invitation_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("people:invitation-accept", args=[token])


def _send_invitation(invitation: Invitation, token: str) -> None:
    context = {
        "invitation": invitation,
        "link": invitation_link(token),
        "days": INVITATION_DAYS,
        "inviter": invitation.invited_by,
    }
    send_mail(
        subject=f"You are invited to the {invitation.organisation} portal",
        message=render_to_string("people/emails/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )


def _invitation_changes(invitation: Invitation, programs: list[Program]) -> dict[str, list[Any]]:
    return {
        "email": [None, invitation.email],
        "organisation": [None, invitation.organisation.name],
        "role": [None, invitation.role],
        "all_programs": [None, invitation.all_programs],
        "programs": [None, grant_labels(programs)],
        "access_ends_on": [None, invitation.access_ends_on],
        "expires_at": [None, invitation.expires_at],
    }


@atomic_service
def invitation_create(
    *,
    actor: User,
    organisation: Organisation,
    email: str,
    role: str,
    all_programs: bool = True,
    programs: Iterable[Program] = (),
    access_ends_on: datetime.date | None = None,
) -> tuple[Invitation, str]:
    """Invite `email` to `organisation` with a role and program grants; the link goes by email
    when the transaction commits. Returns the invitation and its token (the token is never
    stored, only its hash). An account without membership, or a deactivated member of the same
    organisation, is invited too: on acceptance it gets the membership and grants, never a
    second account. An active member is refused (their access is changed on their page)."""
    require_manager(actor, organisation)
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise Invalid(EMAIL_MALFORMED, field="email") from None
    if not organisation.owns_email(email):
        domains = ", ".join(organisation.domains)
        raise Invalid(
            EMAIL_FOREIGN_DOMAIN.format(organisation=organisation, domains=domains), field="email"
        )
    chosen = check_grants(
        actor=actor,
        organisation=organisation,
        role=role,
        all_programs=all_programs,
        programs=programs,
    )
    check_end_date(access_ends_on)
    existing = User.objects.filter(email__iexact=email).select_related("membership").first()
    membership = getattr(existing, "membership", None) if existing else None
    if membership is not None and membership.organisation_id != organisation.pk:
        raise Invalid(ALREADY_MEMBER_ELSEWHERE.format(email=email), field="email")
    if existing is not None and membership is not None and existing.is_active:
        raise Invalid(
            ALREADY_ACTIVE_MEMBER.format(email=email, organisation=organisation), field="email"
        )
    now = timezone.now()
    pending = Invitation.objects.filter(
        organisation=organisation,
        email=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    )
    if pending.exists():
        raise Invalid(ALREADY_PENDING.format(email=email), field="email")
    token = Invitation.new_token()
    invitation = Invitation(
        organisation=organisation,
        email=email,
        role=role,
        all_programs=all_programs or organisation.kind == Organisation.Kind.CDMO,
        access_ends_on=access_ends_on,
        token_hash=Invitation.hash_token(token),
        invited_by=actor,
        created_at=now,
        sent_at=now,
        expires_at=now + datetime.timedelta(days=INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    invitation.programs.set(chosen)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        instance=invitation,
        changes=_invitation_changes(invitation, chosen),
        reason=INVITED,
    )
    transaction.on_commit(lambda: _send_invitation(invitation, token))
    return invitation, token


def _locked_pending(invitation: Invitation) -> Invitation:
    locked = (
        Invitation.objects.select_for_update().select_related("organisation").get(pk=invitation.pk)
    )
    if locked.status != Invitation.Status.PENDING and locked.status != Invitation.Status.EXPIRED:
        raise Conflict(INVITATION_NOT_PENDING)
    return locked


@atomic_service
def invitation_revoke(*, actor: User, invitation: Invitation) -> Invitation:
    """Withdraw an invitation: its link stops working at once."""
    require_manager(actor, invitation.organisation)
    invitation = _locked_pending(invitation)
    before = audit.snapshot(invitation, ["revoked_at", "revoked_by"])
    invitation.revoked_at = timezone.now()
    invitation.revoked_by = actor
    invitation.save(update_fields=["revoked_at", "revoked_by"])
    audit.record_update(
        actor=actor, instance=invitation, before=before, reason=INVITATION_WITHDRAWN
    )
    return invitation


@atomic_service
def invitation_resend(*, actor: User, invitation: Invitation) -> Invitation:
    """Send a pending (or expired) invitation again with a new link and a new expiry: the old
    link stops working."""
    require_manager(actor, invitation.organisation)
    invitation = _locked_pending(invitation)
    before = audit.snapshot(invitation, ["sent_at", "expires_at"])
    token = Invitation.new_token()
    now = timezone.now()
    invitation.token_hash = Invitation.hash_token(token)
    invitation.sent_at = now
    invitation.expires_at = now + datetime.timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit.record_update(actor=actor, instance=invitation, before=before, reason=INVITATION_RESENT)
    transaction.on_commit(lambda: _send_invitation(invitation, token))
    return invitation


def _refusal_for(invitation: Invitation | None, at: datetime.datetime) -> str:
    if invitation is None:
        return INVITATION_UNKNOWN
    status = invitation.status_at(at)
    refusals: dict[str, str] = {
        Invitation.Status.ACCEPTED: INVITATION_USED,
        Invitation.Status.EXPIRED: INVITATION_EXPIRED,
        Invitation.Status.REVOKED: INVITATION_REVOKED,
    }
    if status in refusals:
        return refusals[status]
    if any(p.sponsor_id != invitation.organisation_id for p in invitation.programs.all()):
        return INVITATION_PROGRAM_MOVED
    return ""


def invitation_check(token: str) -> tuple[Invitation | None, str]:
    """The invitation behind a link and why it cannot be accepted ("" when it can)."""
    invitation = (
        Invitation.objects.filter(token_hash=Invitation.hash_token(token))
        .select_related("organisation", "invited_by")
        .first()
    )
    return invitation, _refusal_for(invitation, timezone.now())


def invitation_refusal_record(
    *, request: HttpRequest | None, invitation: Invitation | None, why: str
) -> AuditEntry:
    """A refused acceptance, in its own transaction (the refused attempt changed nothing else):
    the same kind of global entry as a refused sign-in."""
    email = invitation.email if invitation is not None else ""
    with transaction.atomic():
        return auth_events.record(
            action=AuditEntry.Action.LOGIN_FAILED,
            account=auth_events._account(email),
            actor=None,
            request=request,
            details={
                "invitation": [None, invitation.pk if invitation is not None else None],
                "email": [None, email],
            },
            reason=f"Invitation refused: {why}",
        )


@atomic_service
def invitation_accept(*, token: str, display_name: str, password: str) -> User:
    """Accept an invitation: the account is created (or an account without membership gets
    one, or a member's grants are updated) with the invitation's role and grants, the email
    counts as verified, and the invitation is used up. Raises `Invalid` when the link or the
    input is refused; nothing is changed then."""
    invitation = (
        Invitation.objects.select_for_update()
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    why = _refusal_for(invitation, timezone.now())
    if invitation is None or why:
        raise Invalid(why or INVITATION_UNKNOWN, field="token", code="invitation_refused")
    organisation = invitation.organisation
    programs = list(invitation.programs.all())
    display_name = display_name.strip()
    if not display_name:
        raise Invalid(NAME_REQUIRED, field="display_name")
    bounds.check_lines(display_name=display_name)
    user = User.objects.filter(email__iexact=invitation.email).first()
    membership = Membership.objects.filter(user=user).first() if user is not None else None
    if membership is not None and membership.organisation_id != organisation.pk:
        raise Invalid(
            ALREADY_MEMBER_ELSEWHERE.format(email=invitation.email),
            field="token",
            code="invitation_refused",
        )
    candidate = user or User(email=invitation.email, display_name=display_name)
    candidate.display_name = display_name
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages), field="password") from None
    created = user is None
    if created:
        user = User.objects.create_user(
            invitation.email, password, display_name=display_name, is_active=True
        )
    else:
        assert user is not None
        user.display_name = display_name
        user.is_active = True
        user.set_password(password)
        user.save(update_fields=["display_name", "is_active", "password"])
    if membership is None:
        membership = Membership(user=user, organisation=organisation)
    membership.role = invitation.role
    membership.all_programs = invitation.all_programs
    membership.access_ends_on = invitation.access_ends_on
    membership.full_clean(exclude=["user"])
    membership.save()
    membership.programs.set(programs)
    identity.mark_email_verified(user, by=user, how="the invitation link was opened")
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        actor=user,
        action=AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
        instance=membership,
        changes={
            "invitation": [None, invitation.pk],
            "organisation": [None, organisation.name],
            "role": [None, membership.role],
            "all_programs": [None, membership.all_programs],
            "programs": [None, grant_labels(programs)],
            "access_ends_on": [None, membership.access_ends_on],
            "email_verified": [None, True],
        },
        reason=JOINED,
    )
    return user
