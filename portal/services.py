"""Writes for the core: API tokens."""

from __future__ import annotations

from django.utils import timezone

from portal import access, audit, selectors
from portal.errors import Invalid, NotAllowed
from portal.models import ApiToken, User
from portal.transactions import atomic_service

NOT_TOKEN_MANAGER = "Only a sponsor lead can manage their organisation's API tokens."
TOKEN_NAME_REQUIRED = "Give the token a name that says what it is for."


@atomic_service
def api_token_create(*, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its key, which is never stored or shown
    again. `actor` None means the command line (an operator on the server); a sponsor lead
    creates tokens for themself only."""
    if actor is not None and not (access.may_manage_tokens(actor) and actor.pk == user.pk):
        raise NotAllowed(NOT_TOKEN_MANAGER)
    name = name.strip()
    if not name:
        raise Invalid(TOKEN_NAME_REQUIRED, field="name")
    key = ApiToken.generate_key()
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[: ApiToken.PREFIX_LENGTH],
        key_hash=ApiToken.hash_key(key),
        created_by=actor,
    )
    token.full_clean()
    token.save()
    audit.record_create(actor=actor, instance=token)
    return token, key


@atomic_service
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    """Revoke a token of the actor's own organisation; revoking it again changes nothing."""
    if not selectors.token_list(user=actor).filter(pk=token.pk).exists():
        raise NotAllowed(NOT_TOKEN_MANAGER)
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    before = audit.snapshot(token, ["revoked_at", "revoked_by_id"])
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit.record_update(actor=actor, instance=token, before=before)
    return token
