"""Changing a person's access: role, program grants, end date; deactivation (which ends
their sessions at once) and reactivation. An organisation always keeps an active lead."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from importlib import import_module

from django.conf import settings
from django.utils import timezone

from people.services.common import check_end_date, check_grants, grant_labels, require_manager
from portal import audit
from portal.errors import Conflict, Invalid
from portal.models import AuditEntry, Membership, Organisation, User
from portal.transactions import atomic_service
from programs.models import Program

LAST_LEAD = "{organisation} must keep at least one active lead: make someone else a lead first."
ALREADY_INACTIVE = "This person is already deactivated."
ALREADY_ACTIVE = "This person is already active."

ACCESS_CHANGED = "Access changed."
DEACTIVATED = "Deactivated: sessions ended."
REACTIVATED = "Reactivated."


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
    require_manager(actor, organisation)
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    chosen = check_grants(
        actor=actor,
        organisation=organisation,
        role=role,
        all_programs=all_programs,
        programs=programs,
    )
    if access_ends_on != membership.access_ends_on:
        check_end_date(access_ends_on)
    demoted = _is_lead(membership) and role != membership.role
    if demoted and membership.user.is_active and _active_leads(organisation) <= 1:
        raise Invalid(LAST_LEAD.format(organisation=organisation), field="role")
    before = audit.snapshot(membership, ["role", "all_programs", "access_ends_on"])
    before_programs = grant_labels(membership.programs.all())
    membership.role = role
    membership.all_programs = all_programs or organisation.kind == Organisation.Kind.CDMO
    membership.access_ends_on = access_ends_on
    membership.full_clean(exclude=["user"])
    membership.save()
    membership.programs.set(chosen)
    membership.__dict__.pop("_granted_program_ids", None)
    changes = audit.diff(before, audit.snapshot(membership, before.keys()))
    if before_programs != grant_labels(chosen):
        changes["programs"] = [before_programs, grant_labels(chosen)]
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
    require_manager(actor, organisation)
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
    require_manager(actor, organisation)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active:
        raise Conflict(ALREADY_ACTIVE)
    before = audit.snapshot(user, ["is_active"])
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit.record_update(actor=actor, instance=user, before=before, reason=REACTIVATED)
    return user
