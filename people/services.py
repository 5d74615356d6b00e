"""Writes for people and access: invitations, membership changes, deactivation and the
quarterly access review. Every change is audited in the global chain (an account's record,
not a program's); a refused invitation acceptance is audited like a refused sign-in."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from functools import partial
from importlib import import_module
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

from people.models import AccessReview, AccessReviewDecision, Invitation
from people.quarters import previous_quarter_start, quarter_start
from portal import access, audit, auth_events, bounds, clock
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, Membership, Organisation, User
from portal.transactions import atomic_service
from programs.models import Program

INVITATION_DAYS = 7

NOT_PEOPLE_MANAGER = "Only a lead of this organisation or a CDMO administrator manages its people."
EMAIL_MALFORMED = "Enter a valid email address."
EMAIL_FOREIGN_DOMAIN = "{organisation} accepts people only at {domains}."
ROLE_NOT_GRANTABLE = "You cannot give the role {role} in {organisation}."
PROGRAM_NOT_SPONSORS = "Choose only programs of {organisation}."
PROGRAMS_REQUIRED = "Choose at least one program, or tick 'sees all programs'."
ALREADY_MEMBER_ELSEWHERE = (
    "{email} already belongs to another organisation: a person belongs to one organisation. "
    "Ask a CDMO administrator to move them."
)
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
LAST_LEAD = "{organisation} must keep at least one active lead: make someone else a lead first."
END_DATE_PAST = "The access end date cannot be in the past."
ALREADY_INACTIVE = "This person is already deactivated."
ALREADY_ACTIVE = "This person is already active."
NOT_SPONSOR = "Access reviews are for sponsor organisations."
REVIEW_SIGNED = "This review is already signed off."
REVIEW_UNDECIDED = "Confirm or remove every person before signing off: {names}."
NOT_IN_REVIEW = "This person is not a member of the organisation under review."
DECISION_INVALID = "Choose confirm or remove."

INVITED = "Invitation sent."
INVITATION_RESENT = "Invitation sent again with a new link."
INVITATION_WITHDRAWN = "Invitation revoked."
JOINED = "Joined by invitation."
ACCESS_CHANGED = "Access changed."
DEACTIVATED = "Deactivated: sessions ended."
REACTIVATED = "Reactivated."
REVIEW_SIGNED_OFF = "Quarterly access review signed off."


# --- Checks shared by invitations and membership changes ------------------------------------


def _require_manager(actor: User, organisation: Organisation) -> None:
    if not access.may_manage_people(actor, organisation):
        raise NotAllowed(NOT_PEOPLE_MANAGER)


def _check_grants(
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


def _check_end_date(access_ends_on: datetime.date | None) -> None:
    if access_ends_on is None:
        return
    bounds.check(access_ends_on=access_ends_on)
    if access_ends_on < clock.site_today():
        raise Invalid(END_DATE_PAST, field="access_ends_on")


def _grant_labels(programs: Iterable[Program]) -> list[str]:
    return sorted(program.code for program in programs)


# --- Invitations ----------------------------------------------------------------------------


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
        "programs": [None, _grant_labels(programs)],
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
    _require_manager(actor, organisation)
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
    chosen = _check_grants(
        actor=actor,
        organisation=organisation,
        role=role,
        all_programs=all_programs,
        programs=programs,
    )
    _check_end_date(access_ends_on)
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
    _require_manager(actor, invitation.organisation)
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
    _require_manager(actor, invitation.organisation)
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
    _mark_email_verified(user)
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
            "programs": [None, _grant_labels(programs)],
            "access_ends_on": [None, membership.access_ends_on],
            "email_verified": [None, True],
        },
        reason=JOINED,
    )
    return user


def _mark_email_verified(user: User) -> None:
    """The invitation link proves the address: record it verified where allauth keeps that,
    when allauth's account app is installed."""
    from django.apps import apps

    if not apps.is_installed("allauth.account"):
        return
    email_address = apps.get_model("account", "EmailAddress")
    email_address.objects.update_or_create(
        user=user,
        email=user.email,
        defaults={"verified": True, "primary": True},
    )


# --- Managing people ------------------------------------------------------------------------


def _active_leads(organisation: Organisation) -> int:
    lead = (
        Membership.Role.LEADERSHIP if organisation.kind == "cdmo" else Membership.Role.SPONSOR_LEAD
    )
    return Membership.objects.filter(
        organisation=organisation, role=lead, user__is_active=True
    ).count()


def _is_lead(membership: Membership) -> bool:
    return membership.role in (Membership.Role.SPONSOR_LEAD, Membership.Role.LEADERSHIP)


def _lock_organisation(organisation: Organisation) -> Organisation:
    """Changes to an organisation's people are serialised on its row, so that two leads
    demoting each other at once cannot leave it without one."""
    return Organisation.objects.select_for_update().get(pk=organisation.pk)


@atomic_service
def membership_update(
    *,
    actor: User,
    membership: Membership,
    role: str,
    all_programs: bool,
    programs: Iterable[Program] = (),
    access_ends_on: datetime.date | None = None,
) -> Membership:
    """Change a person's role, program grants and access end date."""
    organisation = _lock_organisation(membership.organisation)
    _require_manager(actor, organisation)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    chosen = _check_grants(
        actor=actor,
        organisation=organisation,
        role=role,
        all_programs=all_programs,
        programs=programs,
    )
    if access_ends_on != membership.access_ends_on:
        _check_end_date(access_ends_on)
    demoted = _is_lead(membership) and role != membership.role
    if demoted and membership.user.is_active and _active_leads(organisation) <= 1:
        raise Invalid(LAST_LEAD.format(organisation=organisation), field="role")
    before = audit.snapshot(membership, ["role", "all_programs", "access_ends_on"])
    before_programs = _grant_labels(membership.programs.all())
    membership.role = role
    membership.all_programs = all_programs or organisation.kind == Organisation.Kind.CDMO
    membership.access_ends_on = access_ends_on
    membership.full_clean(exclude=["user"])
    membership.save()
    membership.programs.set(chosen)
    membership.__dict__.pop("_granted_program_ids", None)
    changes = audit.diff(before, audit.snapshot(membership, before.keys()))
    if before_programs != _grant_labels(chosen):
        changes["programs"] = [before_programs, _grant_labels(chosen)]
    if changes:
        audit.record(
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            instance=membership,
            changes=changes,
            reason=ACCESS_CHANGED,
        )
    return membership


def end_sessions(user: User) -> int:
    """Delete every session of `user` from the session store: their open pages and streams
    stop at their next request. Returns how many were ended."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    model = store.get_model_class()
    ended = 0
    for session in model.objects.filter(expire_date__gt=timezone.now()).iterator():
        data = store().decode(session.session_data)
        if str(data.get("_auth_user_id")) == str(user.pk):
            store(session.session_key).delete()
            ended += 1
    return ended


@atomic_service
def person_deactivate(*, actor: User, user: User, reason: str = "") -> User:
    """Deactivate a person: they can no longer sign in, their sessions end at once and their
    tokens stop (portal.account_state)."""
    membership = Membership.objects.select_related("organisation").get(user=user)
    organisation = _lock_organisation(membership.organisation)
    _require_manager(actor, organisation)
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise Conflict(ALREADY_INACTIVE)
    if _is_lead(membership) and _active_leads(organisation) <= 1:
        raise Invalid(LAST_LEAD.format(organisation=organisation))
    before = audit.snapshot(user, ["is_active"])
    user.is_active = False
    user.save(update_fields=["is_active"])
    ended = end_sessions(user)
    entry_changes = audit.diff(before, audit.snapshot(user, before.keys()))
    entry_changes["sessions_ended"] = [None, ended]
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        instance=user,
        changes=entry_changes,
        reason=reason or DEACTIVATED,
    )
    return user


@atomic_service
def person_reactivate(*, actor: User, user: User) -> User:
    membership = Membership.objects.select_related("organisation").get(user=user)
    organisation = _lock_organisation(membership.organisation)
    _require_manager(actor, organisation)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise Conflict(ALREADY_ACTIVE)
    before = audit.snapshot(user, ["is_active"])
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit.record_update(actor=actor, instance=user, before=before, reason=REACTIVATED)
    return user


# --- Quarterly access review ----------------------------------------------------------------


@atomic_service
def access_review_open(*, organisation: Organisation, quarter: datetime.date) -> AccessReview:
    """The review of `organisation` for the quarter that contains `quarter`, created on first
    use (idempotent)."""
    if organisation.kind != Organisation.Kind.SPONSOR:
        raise Invalid(NOT_SPONSOR)
    review, _ = AccessReview.objects.get_or_create(
        organisation=organisation, quarter_start=quarter_start(quarter)
    )
    return review


@atomic_service
def access_review_decide(
    *, actor: User, review: AccessReview, user: User, decision: str
) -> AccessReviewDecision:
    """Confirm a person's access, or remove it (deactivation, by the same service as the
    people page)."""
    review = (
        AccessReview.objects.select_for_update().select_related("organisation").get(pk=review.pk)
    )
    _require_manager(actor, review.organisation)
    if review.is_signed_off:
        raise Conflict(REVIEW_SIGNED)
    if decision not in AccessReviewDecision.Decision.values:
        raise Invalid(DECISION_INVALID, field="decision")
    membership = (
        Membership.objects.filter(user=user, organisation=review.organisation)
        .prefetch_related("programs")
        .first()
    )
    if membership is None:
        raise Invalid(NOT_IN_REVIEW)
    if decision == AccessReviewDecision.Decision.REMOVED and user.is_active:
        person_deactivate(actor=actor, user=user, reason="Removed in the quarterly access review.")
    grants = (
        "all" if membership.all_programs else ", ".join(_grant_labels(membership.programs.all()))
    )
    row, _ = AccessReviewDecision.objects.update_or_create(
        review=review,
        user=user,
        defaults={
            "decision": decision,
            "decided_by": actor,
            "decided_at": timezone.now(),
            "role": membership.role,
            "programs": grants[:500],
        },
    )
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        instance=review,
        changes={"person": [None, user.email], "decision": [None, decision]},
        reason=f"Access review {review.label}: {row.get_decision_display().lower()}.",
    )
    return row


@atomic_service
def access_review_sign_off(*, actor: User, review: AccessReview) -> AccessReview:
    """Sign off a review once every active member has a decision."""
    review = (
        AccessReview.objects.select_for_update().select_related("organisation").get(pk=review.pk)
    )
    _require_manager(actor, review.organisation)
    if review.is_signed_off:
        raise Conflict(REVIEW_SIGNED)
    decided = set(review.decisions.values_list("user_id", flat=True))
    undecided = User.objects.filter(
        membership__organisation=review.organisation, is_active=True
    ).exclude(pk__in=decided)
    names = [str(person) for person in undecided.order_by("display_name")[:10]]
    if names:
        raise Invalid(REVIEW_UNDECIDED.format(names=", ".join(names)))
    before = audit.snapshot(review, ["signed_off_at", "signed_off_by"])
    review.signed_off_at = timezone.now()
    review.signed_off_by = actor
    review.save(update_fields=["signed_off_at", "signed_off_by"])
    audit.record_update(actor=actor, instance=review, before=before, reason=REVIEW_SIGNED_OFF)
    return review


def _leads(organisation: Organisation) -> list[User]:
    return list(
        User.objects.filter(
            is_active=True,
            membership__organisation=organisation,
            membership__role=Membership.Role.SPONSOR_LEAD,
        ).order_by("pk")
    )


def _remind(review: AccessReview, kind: str) -> None:
    leads = [lead for lead in _leads(review.organisation) if lead.is_active]
    if not leads:
        return
    context = {
        "review": review,
        "overdue": kind == "overdue",
        "link": settings.SITE_URL.rstrip("/") + reverse("people:review"),
    }
    subject = (
        f"Overdue: access review {review.label} for {review.organisation}"
        if kind == "overdue"
        else f"Access review {review.label} for {review.organisation} is due"
    )
    send_mail(
        subject=subject,
        message=render_to_string("people/emails/review_reminder.txt", context),
        from_email=None,
        recipient_list=[lead.email for lead in leads],
    )


def access_review_remind(*, today: datetime.date | None = None) -> list[tuple[int, str]]:
    """Remind every sponsor's leads of this quarter's review (once per quarter), and of the
    previous quarter's review while it is not signed off (once). Safe to run any number of
    times. Returns the (review id, kind) pairs reminded."""
    today = today or clock.site_today()
    sent: list[tuple[int, str]] = []
    for organisation in Organisation.objects.filter(kind=Organisation.Kind.SPONSOR):
        if not organisation.memberships.exists():
            continue
        for kind, quarter in (("due", today), ("overdue", previous_quarter_start(today))):
            if kind == "overdue" and not _existed_before(organisation, quarter_start(today)):
                continue
            review = access_review_open(organisation=organisation, quarter=quarter)
            field = "due_reminder_sent_at" if kind == "due" else "overdue_reminder_sent_at"
            with transaction.atomic():
                claimed = AccessReview.objects.filter(
                    pk=review.pk, signed_off_at__isnull=True, **{f"{field}__isnull": True}
                ).update(**{field: timezone.now()})
                if claimed:
                    transaction.on_commit(partial(_remind, review, kind))
                    sent.append((review.pk, kind))
    return sent


def _existed_before(organisation: Organisation, day: datetime.date) -> bool:
    """Whether the organisation had people before `day`: a sponsor onboarded this quarter has
    no previous quarter to review."""
    return organisation.memberships.filter(
        created_at__lt=clock.day_end(day - datetime.timedelta(days=1))
    ).exists()
