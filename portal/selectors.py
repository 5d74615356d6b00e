"""Reads for the core."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from portal import access
from portal.models import ApiToken, User


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
