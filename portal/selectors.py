"""Reads for the core."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from portal import policy
from portal.models import ApiToken, User


def token_list(*, user: User) -> QuerySet[ApiToken]:
    """A sponsor lead sees their organisation's tokens; everyone else sees none."""
    if not policy.can_manage_tokens(user):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(
        user__membership__organisation_id=user.membership.organisation_id
    ).select_related("user", "revoked_by")


def get_token_for_user(user: User, pk: int) -> ApiToken:
    token = token_list(user=user).filter(pk=pk).first()
    if token is None:
        raise Http404("No such token.")
    return token
