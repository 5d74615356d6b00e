"""Reads for the core."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from portal import access
from portal.models import ApiToken, Delegation, User


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """A sponsor lead sees every token of their organisation, a CDMO administrator every
    token of the CDMO's people; everyone else sees none."""
    who = access.viewer(user)
    if who is None or not access.may_manage_tokens(user):
        return ApiToken.objects.none()
    return (
        ApiToken.objects.filter(user__membership__organisation_id=who.organisation_id)
        .select_related("user", "revoked_by")
        .prefetch_related("programs")
    )


def get_token_for_user(user: User, pk: int) -> ApiToken:
    token = token_list(user=user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    return token


def delegation_list(*, user: User) -> QuerySet[Delegation]:
    """A sponsor lead sees every delegation of their organisation; everyone else none."""
    who = access.viewer(user)
    if who is None or not access.may_manage_delegations(user):
        return Delegation.objects.none()
    return Delegation.objects.filter(organisation_id=who.organisation_id).select_related(
        "delegator", "delegate", "ended_by"
    )


def get_delegation_for_user(user: User, pk: int) -> Delegation:
    delegation = delegation_list(user=user).filter(pk=pk).first()
    if delegation is None:
        raise Http404("No such delegation.")
    return delegation


def delegate_choices(*, user: User) -> QuerySet[User]:
    """The colleagues a lead may delegate to: the organisation's other active members."""
    who = access.viewer(user)
    if who is None:
        return User.objects.none()
    return (
        User.objects.filter(membership__organisation_id=who.organisation_id, is_active=True)
        .exclude(pk=user.pk)
        .select_related("membership")
        .order_by("display_name")
    )
