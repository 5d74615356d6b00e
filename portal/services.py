"""Writes for the core: API tokens.

A token's creation and revocation are audit entries in the global chain (an account's
credentials, like the authentication events of `portal.auth_events`), with the acting user, or
none for the command line; the key's hash is never written to the trail."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from portal import access, audit, clock, selectors
from portal.errors import Invalid, NotAllowed
from portal.models import ApiToken, AuditEntry, User
from portal.transactions import atomic_service

NOT_TOKEN_MANAGER = (
    "Only a sponsor lead (for their organisation) or a CDMO administrator (for the CDMO) can "
    "manage API tokens."
)
TOKEN_NAME_REQUIRED = "Give the token a name that says what it is for."
TOKEN_EXPIRY_PAST = "The expiry date {day:%d %B %Y} is in the past: choose today or a later day."
TOKEN_EXPIRY_TOO_FAR = (
    "A token lasts at most a year: choose an expiry date on or before {day:%d %B %Y}."
)
TOKEN_SCOPE_UNKNOWN = "Choose the token's scope: read only, or read and write."
TOKEN_PROGRAM_NOT_VISIBLE = (
    "A token can be restricted only to programs its owner sees: {programs} is not one of them."
)
TOKEN_CREATED = "API token created."
TOKEN_CREATED_BY_OPERATOR = "API token created on the command line (manage.py create_api_token)."
TOKEN_REVOKED = "API token revoked."


def token_expiry_bounds() -> tuple[datetime.date, datetime.date, datetime.date]:
    """The earliest, default and latest expiry date of a token created today (site time)."""
    today = clock.site_today()
    return (
        today,
        today + datetime.timedelta(days=ApiToken.DEFAULT_LIFETIME_DAYS),
        today + datetime.timedelta(days=ApiToken.MAX_LIFETIME_DAYS),
    )


def token_programs(user: User) -> QuerySet[Any]:
    """The programs a token of `user` may be restricted to: the programs `user` sees."""
    program = ApiToken._meta.get_field("programs").related_model
    return program.objects.visible_to(user).order_by("code")  # type: ignore[union-attr]


@atomic_service
def api_token_create(
    *,
    actor: User | None,
    user: User,
    name: str,
    expires_on: datetime.date | None = None,
    scope: str = ApiToken.Scope.READ_WRITE,
    programs: Iterable[Any] = (),
) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its key, which is never stored or shown
    again. `actor` None means the command line (an operator on the server); a sponsor lead or
    a CDMO administrator creates tokens for themself only.

    The token expires at the end of `expires_on` (site time): by default
    `ApiToken.DEFAULT_LIFETIME_DAYS` from today, at most `ApiToken.MAX_LIFETIME_DAYS`. With
    `programs`, it sees only those (each one its owner sees)."""
    if actor is not None and not (access.may_manage_tokens(actor) and actor.pk == user.pk):
        raise NotAllowed(NOT_TOKEN_MANAGER)
    name = name.strip()
    if not name:
        raise Invalid(TOKEN_NAME_REQUIRED, field="name")
    earliest, default, latest = token_expiry_bounds()
    expires_on = default if expires_on is None else expires_on
    if expires_on < earliest:
        raise Invalid(TOKEN_EXPIRY_PAST.format(day=expires_on), field="expires_on")
    if expires_on > latest:
        raise Invalid(TOKEN_EXPIRY_TOO_FAR.format(day=latest), field="expires_on")
    if scope not in ApiToken.Scope.values:
        raise Invalid(TOKEN_SCOPE_UNKNOWN, field="scope")
    chosen = list(programs)
    seen = token_programs(user).filter(pk__in=[p.pk for p in chosen])
    visible = set(seen.values_list("pk", flat=True))
    unseen = [str(p) for p in chosen if p.pk not in visible]
    if unseen:
        raise Invalid(
            TOKEN_PROGRAM_NOT_VISIBLE.format(programs=", ".join(unseen)), field="programs"
        )
    key = ApiToken.generate_key()
    token = ApiToken(
        user=user,
        name=name,
        prefix=key[: ApiToken.PREFIX_LENGTH],
        key_hash=ApiToken.hash_key(key),
        created_by=actor,
        expires_at=clock.day_end(expires_on),
        scope=scope,
    )
    token.full_clean()
    token.save()
    token.programs.set(chosen)
    created = {name: [None, value] for name, value in audit.snapshot(token).items()}
    del created["key_hash"]
    created["programs"] = [None, sorted(getattr(p, "code", str(p)) for p in chosen)]
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
    """Revoke a token of the actor's own organisation (a sponsor lead's, or a CDMO
    administrator's for the CDMO); revoking it again changes nothing."""
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
