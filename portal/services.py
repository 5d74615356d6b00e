"""Writes for the core: API tokens, and a sponsor lead's delegation of change-order decisions.

A token's creation and revocation are audit entries in the global chain (an account's
credentials, like the authentication events of `portal.auth_events`), with the acting user, or
none for the command line; the key's hash is never written to the trail."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from portal import access, account_state, audit, clock, selectors
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import ApiToken, AuditEntry, Delegation, User
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


# --- Delegation of change-order decisions ---------------------------------------------------

NOT_DELEGATOR = "Only a sponsor lead can delegate change-order decisions."
DELEGATE_SELF = "Choose a colleague: you cannot delegate to yourself."
DELEGATE_OTHER_ORGANISATION = (
    "{name} is not a member of {organisation}: a delegate must be a colleague of the same "
    "organisation."
)
DELEGATE_CLOSED = "{name} may not use the portal ({why}): choose an active colleague."
DELEGATION_ENDS_BEFORE_START = "The end date is before the start date."
DELEGATION_STARTS_IN_PAST = "The start date {day:%d %B %Y} is in the past: choose today or later."
DELEGATION_OVERLAPS = (
    "{lead} already delegates from {start:%d %B %Y} to {end:%d %B %Y} (to {delegate}): end that "
    "delegation first, or choose days outside it."
)
DELEGATION_ALREADY_ENDED = "This delegation has already ended."
DELEGATION_CREATED = "Change-order decisions delegated."
DELEGATION_ENDED = "Delegation ended."


@atomic_service
def delegation_create(
    *, actor: User, delegate: User, starts_on: datetime.date, ends_on: datetime.date
) -> Delegation:
    """`actor`, a sponsor lead, lets `delegate`, an active colleague of the same organisation,
    decide change orders on their behalf from `starts_on` to `ends_on` (both included, site
    time). A lead has one delegation at a time: periods of their live delegations never
    overlap, so a decision names one lead and one delegate."""
    who = access.viewer(actor)
    if who is None or not access.may_manage_delegations(actor):
        raise NotAllowed(NOT_DELEGATOR)
    if delegate.pk == actor.pk:
        raise Invalid(DELEGATE_SELF, field="delegate")
    membership = getattr(delegate, "membership", None)
    if membership is None or membership.organisation_id != who.organisation_id:
        organisation = actor.membership.organisation.name
        raise Invalid(
            DELEGATE_OTHER_ORGANISATION.format(name=delegate, organisation=organisation),
            field="delegate",
        )
    if why := account_state.closed_because(delegate):
        raise Invalid(DELEGATE_CLOSED.format(name=delegate, why=why), field="delegate")
    if starts_on < clock.site_today():
        raise Invalid(DELEGATION_STARTS_IN_PAST.format(day=starts_on), field="starts_on")
    if ends_on < starts_on:
        raise Invalid(DELEGATION_ENDS_BEFORE_START, field="ends_on")
    User.objects.select_for_update().get(pk=actor.pk)  # one delegation at a time per lead
    overlapping = (
        Delegation.objects.filter(
            delegator=actor, ended_at__isnull=True, starts_on__lte=ends_on, ends_on__gte=starts_on
        )
        .select_related("delegate")
        .first()
    )
    if overlapping is not None:
        raise Conflict(
            DELEGATION_OVERLAPS.format(
                lead=actor,
                start=overlapping.starts_on,
                end=overlapping.ends_on,
                delegate=overlapping.delegate,
            )
        )
    delegation = Delegation(
        organisation_id=who.organisation_id,
        delegator=actor,
        delegate=delegate,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    delegation.full_clean()
    delegation.save()
    audit.record(
        actor=actor,
        action=AuditEntry.Action.CREATE,
        instance=delegation,
        changes={name: [None, value] for name, value in audit.snapshot(delegation).items()},
        reason=DELEGATION_CREATED,
    )
    return delegation


@atomic_service
def delegation_end(*, actor: User, delegation: Delegation) -> Delegation:
    """End a delegation of the actor's organisation now: its delegate decides nothing more."""
    if not selectors.delegation_list(user=actor).filter(pk=delegation.pk).exists():
        raise NotAllowed(NOT_DELEGATOR)
    delegation = Delegation.objects.select_for_update().get(pk=delegation.pk)
    if delegation.ended_at is not None:
        raise Conflict(DELEGATION_ALREADY_ENDED)
    before = audit.snapshot(delegation, ["ended_at", "ended_by_id"])
    delegation.ended_at = timezone.now()
    delegation.ended_by = actor
    delegation.save(update_fields=["ended_at", "ended_by"])
    audit.record_update(actor=actor, instance=delegation, before=before, reason=DELEGATION_ENDED)
    return delegation
