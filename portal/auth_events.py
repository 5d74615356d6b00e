"""Authentication events in the audit trail: signing in and out, refused sign-ins, lockouts,
password changes and refused API tokens.

Signing in, signing out and refused sign-ins are recorded by receivers of Django's auth signals
(`user_logged_in`, `user_logged_out`, `user_login_failed`). Those signals are the framework's own
hooks for exactly these events: `login()`, `logout()` and `authenticate()` send them whichever page
calls them (the portal's sign-in page, the admin's, a test client's `force_login`), so no way in
or out goes unrecorded. The house rule "no signals for domain behaviour" is about domain flows,
whose steps must be visible in their service; here the framework owns the flow and the receivers
only write it down. Lockouts (`portal.throttle`) and password changes (the password page, the
admin's password form) are recorded by the code that makes them, with the functions below.

Every entry is global (no program): it is the record of an account, not of a program, so a
sponsor never finds the CDMO's sign-ins in a program's audit trail. The subject is the account
(`portal.user`); an attempt with an email that names no account is recorded with an empty object
id and the email as typed, so that probing for accounts shows as well. Each entry carries the
client address, the user agent and the request id; a password never.
"""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from portal import audit, second_factor
from portal.models import ApiToken, AuditEntry, User

USER_AGENT_LENGTH = 300
EMAIL_LENGTH = 254


def client_address(request: HttpRequest | None) -> str:
    """The client's address as the server sees it (uvicorn puts a trusted proxy's
    `X-Forwarded-For` there): the throttle counts by it and the audit trail records it."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def _client(request: HttpRequest | None) -> dict[str, list[Any]]:
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return {
        "client_address": [None, client_address(request)],
        "user_agent": [None, agent[:USER_AGENT_LENGTH]],
    }


def _account(email: str) -> User:
    """The account an email names, or a stand-in for none: never saved, its empty id is what
    the entry records as the object."""
    found = User.objects.filter(email__iexact=email.strip()).first() if email.strip() else None
    if found is not None:
        return found
    stand_in = User(email=email, display_name="")
    stand_in.pk = ""
    return stand_in


def record(
    *,
    action: str,
    account: User,
    actor: User | None,
    request: HttpRequest | None,
    details: dict[str, list[Any]] | None = None,
    reason: str = "",
) -> AuditEntry:
    """One authentication event about `account`, in the global chain."""
    with transaction.atomic():
        return audit.record(
            actor=actor,
            action=action,
            instance=account,
            changes={**(details or {}), **_client(request)},
            reason=reason,
        )


def _sign_in_method(request: HttpRequest | None, user: User) -> dict[str, list[Any]]:
    """Single sign-on names its provider: allauth records how the session authenticated."""
    if request is None or not hasattr(request, "session"):
        return {}
    records = get_authentication_records(request, user)
    last = records[-1] if records else {}
    if last.get("method") != "socialaccount":
        return {}
    return {"method": [None, "single sign-on"], "provider": [None, last.get("provider")]}


@receiver(user_logged_in, dispatch_uid="portal.auth_events.signed_in")
def signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    record(
        action=AuditEntry.Action.LOGIN,
        account=user,
        actor=user,
        request=request,
        details=_sign_in_method(request, user),
    )


@receiver(user_logged_out, dispatch_uid="portal.auth_events.signed_out")
def signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if isinstance(user, User):  # None when nobody was signed in
        record(action=AuditEntry.Action.LOGOUT, account=user, actor=user, request=request)


@receiver(user_login_failed, dispatch_uid="portal.auth_events.sign_in_refused")
def sign_in_refused(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """`credentials` arrive with the password already masked by Django; only the email is kept.
    Nobody is signed in, so the entry has no actor."""
    email = str(credentials.get(User.USERNAME_FIELD) or credentials.get("username") or "")
    refuse(request=request, email=email)


def refuse(*, request: HttpRequest | None, email: str, why: str = "") -> AuditEntry:
    """A sign-in attempt refused: `why` when the caller knows (right credentials for an account
    that may not sign in there: the admin's page refuses non-staff accounts), else a deactivated
    account or wrong credentials (which of email and password is not said, there either)."""
    email = email[:EMAIL_LENGTH]
    account = _account(email)
    if not why:
        inactive = bool(account.pk) and not account.is_active
        why = "the account is deactivated" if inactive else "wrong email or password"
    return record(
        action=AuditEntry.Action.LOGIN_FAILED,
        account=account,
        actor=None,
        request=request,
        details={"email": [None, email], "known_account": [None, bool(account.pk)]},
        reason=f"Sign-in refused: {why}.",
    )


def lockout(
    *, request: HttpRequest | None, email: str, counters: list[str], minutes: int
) -> AuditEntry:
    """The throttle locked sign-in: `counters` says whether for the account, the client
    address, or both. Attempts refused during the lockout are not written one by one: the
    throttle bounds what an anonymous client can add to an append-only table."""
    email = email[:EMAIL_LENGTH]
    return record(
        action=AuditEntry.Action.LOCKOUT,
        account=_account(email),
        actor=None,
        request=request,
        details={"email": [None, email], "locked": [None, counters]},
        reason=f"Too many failed sign-in attempts: sign-in locked for {minutes} minutes.",
    )


def password_changed(*, request: HttpRequest | None, user: User, by: User | None) -> AuditEntry:
    """`user`'s password was changed by themself or set by an administrator (`by`)."""
    return record(
        action=AuditEntry.Action.PASSWORD,
        account=user,
        actor=by,
        request=request,
        details={"usable_password": [None, user.has_usable_password()]},
        reason="Password changed by its owner."
        if by is not None and by.pk == user.pk
        else "Password set by an administrator.",
    )


def token_refused(*, request: HttpRequest | None, token: ApiToken, why: str) -> AuditEntry:
    """An API request refused for a known token: revoked, expired, or its owner's account
    closed. The token is the subject and nobody the actor. A key that names no token is not
    written: anyone can send random keys, and the API authenticates before it throttles, so
    each would let an anonymous client grow the append-only trail."""
    with transaction.atomic():
        return audit.record(
            actor=None,
            action=AuditEntry.Action.TOKEN_REFUSED,
            instance=token,
            changes={"owner": [None, token.user.email], **_client(request)},
            reason=f"API token refused: {why}",
        )


def reset_requested(*, request: HttpRequest | None, email: str) -> AuditEntry:
    """Someone asked for a password reset link for `email` (an account's or not: the answer
    they got did not say; the entry does, as `known_account`)."""
    email = email[:EMAIL_LENGTH]
    account = _account(email)
    return record(
        action=AuditEntry.Action.RESET_REQUESTED,
        account=account,
        actor=None,
        request=request,
        details={"email": [None, email], "known_account": [None, bool(account.pk)]},
        reason="Password reset link requested"
        + ("." if account.pk else " for an address with no account: nothing was sent."),
    )


def reset_completed(*, request: HttpRequest | None, user: User) -> AuditEntry:
    return record(
        action=AuditEntry.Action.RESET,
        account=user,
        actor=user,
        request=request,
        reason="Password reset by its owner through an emailed link.",
    )


def reset_refused(*, request: HttpRequest | None, account: User | None) -> AuditEntry:
    """A reset link that is used, expired or forged was followed."""
    if account is None:
        account = _account("")
    return record(
        action=AuditEntry.Action.RESET_REFUSED,
        account=account,
        actor=None,
        request=request,
        reason="Password reset link refused: already used, expired or not issued by the portal.",
    )


# --- Second factor (allauth.mfa) ---------------------------------------------------------------
# allauth.mfa owns these flows as Django owns sign-in: its signals are sent by its own views
# whichever page adds, removes or uses an authenticator; the receivers only write it down.


def _authenticator(authenticator: Authenticator) -> dict[str, list[Any]]:
    """What kind of factor, never its secret."""
    return {"factor": [None, str(authenticator.type)], "factor_id": [None, authenticator.pk]}


@receiver(mfa_signals.authenticator_added, dispatch_uid="portal.auth_events.mfa_added")
def mfa_added(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Authenticator, **kw: Any
) -> None:
    record(
        action=AuditEntry.Action.MFA_ADDED,
        account=user,
        actor=user,
        request=request,
        details=_authenticator(authenticator),
        reason=f"Second factor added: {authenticator.get_type_display()}.",
    )


@receiver(mfa_signals.authenticator_removed, dispatch_uid="portal.auth_events.mfa_removed")
def mfa_removed(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Authenticator, **kw: Any
) -> None:
    record(
        action=AuditEntry.Action.MFA_REMOVED,
        account=user,
        actor=user,
        request=request,
        details=_authenticator(authenticator),
        reason=f"Second factor removed: {authenticator.get_type_display()}.",
    )
    second_factor.forget(request)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="portal.auth_events.mfa_codes")
def mfa_codes_regenerated(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Authenticator, **kw: Any
) -> None:
    record(
        action=AuditEntry.Action.MFA_CODES,
        account=user,
        actor=user,
        request=request,
        details=_authenticator(authenticator),
        reason="Recovery codes regenerated: the earlier codes no longer work.",
    )


@receiver(mfa_signals.authenticator_used, dispatch_uid="portal.auth_events.mfa_used")
def mfa_used(
    sender: Any, request: HttpRequest | None, user: User, authenticator: Authenticator, **kw: Any
) -> None:
    """Only a recovery code is written down: each is single use, and using one means the usual
    factor was not at hand. The sign-in itself is the `login` entry."""
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        return
    record(
        action=AuditEntry.Action.MFA_RECOVERY,
        account=user,
        actor=user,
        request=request,
        details=_authenticator(authenticator),
        reason="A recovery code was used as the second factor.",
    )


@receiver(mfa_signals.authentication_failed, dispatch_uid="portal.auth_events.mfa_failed")
def mfa_failed(sender: Any, request: HttpRequest | None, user: User, **kw: Any) -> None:
    """A wrong code (or security key answer): the password was right, the second factor not."""
    authenticator = kw.get("authenticator")
    record(
        action=AuditEntry.Action.MFA_FAILED,
        account=user,
        actor=None,
        request=request,
        details=_authenticator(authenticator) if authenticator is not None else {},
        reason="Second factor refused.",
    )
