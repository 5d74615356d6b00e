"""Writes for the core: API tokens.

A token's creation and revocation are audit entries in the global chain (an account's
credentials, like the authentication events of `portal.auth_events`), with the acting user, or
none for the command line; the key's hash is never written to the trail."""

from __future__ import annotations

from django.utils import timezone

from portal import access, audit, selectors
from portal.errors import Invalid, NotAllowed
from portal.models import ApiToken, AuditEntry, User
from portal.transactions import atomic_service

NOT_TOKEN_MANAGER = "Only a sponsor lead can manage their organisation's API tokens."
TOKEN_NAME_REQUIRED = "Give the token a name that says what it is for."
TOKEN_CREATED = "API token created."
TOKEN_CREATED_BY_OPERATOR = "API token created on the command line (manage.py create_api_token)."
TOKEN_REVOKED = "API token revoked."


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
    created = {name: [None, value] for name, value in audit.snapshot(token).items()}
    del created["key_hash"]
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        instance=token,
        changes=created,
        reason=TOKEN_CREATED if actor is not None else TOKEN_CREATED_BY_OPERATOR,
    )
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
    audit.record_update(actor=actor, instance=token, before=before, reason=TOKEN_REVOKED)
    return token
