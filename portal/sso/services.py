"""Writes of single sign-on: CDMO administrators keep each sponsor's provider, and the portal
decides whom a provider's answer may sign in.

A provider is allauth's `SocialApp` (the protocol's settings) plus the portal's
`OrganisationSso` (whose it is, and whether password sign-in still applies). The client secret
is written to the audit trail as changed, never with its value, and no page shows it again.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction

from portal import access, account_state, audit, auth_events
from portal.errors import Invalid, NotAllowed
from portal.models import AuditEntry, Organisation, OrganisationSso, User
from portal.sso import selectors

NOT_CDMO_ADMIN = "Only CDMO administrators configure single sign-on."
ONLY_SPONSORS = "Single sign-on is for sponsor organisations: the CDMO's people sign in here."
DOMAINS_FIRST = (
    "Set the organisation's email domains first: the sign-in page finds its single sign-on by them."
)
ISSUER_INVALID = "Enter the provider's issuer URL, e.g. https://login.helix.example/."
ISSUER_NOT_HTTPS = "The issuer URL must start with https://."
CLIENT_ID_REQUIRED = "Enter the client ID the provider issued for the portal."
SECRET_REQUIRED = "Enter the client secret the provider issued for the portal."
REASON_REQUIRED = "Say why single sign-on is removed: it is recorded in the audit trail."
SECRET_NOT_RECORDED = "(changed, not recorded)"

# What a person is told when a provider's answer may not sign them in. The audit entry keeps
# the precise reason; the page never says whether an account exists at another organisation.
NOT_INVITED = (
    "No invited account of {organisation} matches {email}. Ask your organisation's sponsor "
    "lead for an invitation: single sign-on links only to an account that already exists."
)
EMAIL_NOT_VERIFIED = (
    "Your organisation's provider did not confirm an email address for you, so the portal "
    "cannot tell which account is yours. Ask your IT team to release a verified email claim."
)
ACCOUNT_CLOSED = "Your portal account cannot be used: {why}. Ask your sponsor lead."
NOT_STARTED_HERE = (
    "This sign-in did not start from the portal's single sign-on page, or it was already used. "
    "Start again from the sign-in page."
)
UNKNOWN_PROVIDER = "This single sign-on provider is not configured on the portal."
PROVIDER_FAILED = (
    "Single sign-on did not complete: the answer from your organisation's provider could not "
    "be checked. Start again from the sign-in page; if it happens again, tell your IT team."
)

STATE_NONCE = "portal_nonce"
"""The key, in allauth's stashed state of a sign-in, of the nonce the portal sent."""


@dataclass(frozen=True)
class Provider:
    """What a CDMO administrator types for an organisation's provider."""

    server_url: str
    client_id: str
    secret: str  # empty: keep the current one
    required: bool


def _check_admin(actor: User) -> None:
    if not access.is_cdmo_admin(actor):
        raise NotAllowed(NOT_CDMO_ADMIN)


def _clean_issuer(url: str) -> str:
    url = url.strip()
    try:
        URLValidator(schemes=["https", "http"])(url)
    except ValidationError:
        raise Invalid(ISSUER_INVALID, field="server_url") from None
    if urlsplit(url).scheme != "https" and not settings.SSO_ALLOW_HTTP:
        raise Invalid(ISSUER_NOT_HTTPS, field="server_url")
    return url.rstrip("/")


def _state(sso: OrganisationSso) -> dict[str, Any]:
    """What the audit trail records of a provider: everything but the secret's value."""
    return {
        "organisation": sso.organisation.name,
        "provider_id": sso.app.provider_id,
        "server_url": sso.app.settings.get("server_url", ""),
        "client_id": sso.app.client_id,
        "required": sso.required,
    }


def organisation_sso_configure(
    *, actor: User, organisation: Organisation, provider: Provider
) -> OrganisationSso:
    """Set up or change `organisation`'s provider. A new provider needs its secret; an empty
    secret on a change keeps the stored one."""
    _check_admin(actor)
    if organisation.kind != Organisation.Kind.SPONSOR:
        raise Invalid(ONLY_SPONSORS)
    if not organisation.domains:
        raise Invalid(DOMAINS_FIRST)
    server_url = _clean_issuer(provider.server_url)
    client_id = provider.client_id.strip()
    if not client_id:
        raise Invalid(CLIENT_ID_REQUIRED, field="client_id")
    with transaction.atomic():
        sso = (
            OrganisationSso.objects.select_for_update()
            .select_related("app", "organisation")
            .filter(organisation=organisation)
            .first()
        )
        if sso is None and not provider.secret:
            raise Invalid(SECRET_REQUIRED, field="secret")
        before = _state(sso) if sso is not None else None
        app = sso.app if sso is not None else SocialApp(provider="openid_connect")
        app.provider_id = OrganisationSso.provider_id_for(organisation)
        app.name = organisation.name[:40]
        app.client_id = client_id
        app.settings = {**app.settings, "server_url": server_url}
        secret_changed = bool(provider.secret) and provider.secret != app.secret
        if provider.secret:
            app.secret = provider.secret
        app.full_clean()
        app.save()
        if sso is None:
            sso = OrganisationSso(organisation=organisation, app=app)
        sso.required = provider.required
        sso.full_clean()
        sso.save()
        after = _state(sso)
        if before is None:
            changes = {name: [None, value] for name, value in after.items()}
            changes["secret"] = [None, SECRET_NOT_RECORDED]
            action = AuditEntry.Action.CREATE
        else:
            changes = audit.diff(before, after)
            if secret_changed:
                changes["secret"] = [SECRET_NOT_RECORDED, SECRET_NOT_RECORDED]
            action = AuditEntry.Action.UPDATE
        if changes:
            audit.record(actor=actor, action=action, instance=sso, changes=changes)
    return sso


def organisation_sso_remove(*, actor: User, organisation: Organisation, reason: str) -> None:
    """Remove `organisation`'s provider: its members sign in with their password again. Their
    links stay, and work again if the same provider is set up anew."""
    _check_admin(actor)
    reason = reason.strip()
    if not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    with transaction.atomic():
        sso = (
            OrganisationSso.objects.select_for_update()
            .select_related("app", "organisation")
            .filter(organisation=organisation)
            .first()
        )
        if sso is None:
            return
        last = _state(sso)
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DELETE,
            instance=sso,
            changes={name: [value, None] for name, value in last.items()},
            reason=reason,
        )
        app = sso.app
        sso.delete()
        app.delete()


# --- Signing in through a provider --------------------------------------------------------


class Refused(Exception):
    """A provider's answer may not sign anyone in: `message` for the person, `why` for the
    audit trail, `email` as the provider gave it (if it did)."""

    def __init__(self, message: str, *, why: str, email: str = "", status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.why = why
        self.email = email
        self.status = status


def _verified_email(sociallogin: Any) -> str:
    verified = [address.email for address in sociallogin.email_addresses if address.verified]
    return verified[0].strip() if verified else ""


def _claims(sociallogin: Any) -> dict[str, Any]:
    data = sociallogin.account.extra_data or {}
    token = data.get("id_token")
    return token if isinstance(token, dict) else {}


def sso_sign_in_account(*, request: Any, sociallogin: Any) -> User:
    """The account that a provider's answer signs in, linking it on first use; `Refused`
    otherwise. Called by the adapter before allauth signs anyone in.

    The answer must come back to the sign-in the portal started (the nonce it sent, kept in
    allauth's state, is in the ID token), name an email the provider verified, and match an
    account that is open, already exists, and belongs to the provider's own organisation: a
    provider never signs in somebody of another organisation, whatever email it asserts.
    """
    provider_id = sociallogin.account.provider
    sso = selectors.sso_for_provider(provider_id)
    if sso is None:
        raise Refused(UNKNOWN_PROVIDER, why=f"no organisation has the provider {provider_id}")
    organisation = sso.organisation
    sent = str(sociallogin.state.get(STATE_NONCE) or "")
    returned = str(_claims(sociallogin).get("nonce") or "")
    if not sent or not hmac.compare_digest(sent, returned):
        raise Refused(
            NOT_STARTED_HERE,
            why=f"single sign-on through {provider_id}: the ID token's nonce does not match "
            "the sign-in the portal started",
            status=400,
        )
    email = _verified_email(sociallogin)
    if not email:
        raise Refused(
            EMAIL_NOT_VERIFIED,
            why=f"single sign-on through {provider_id}: no verified email in the answer",
        )
    if sociallogin.is_existing:
        user = sociallogin.user
    else:
        user = (
            User.objects.select_related("membership__organisation")
            .filter(email__iexact=email)
            .first()
        )
    if user is None:
        raise Refused(
            NOT_INVITED.format(organisation=organisation, email=email),
            why=f"single sign-on through {provider_id}: no account has this email",
            email=email,
        )
    membership = getattr(user, "membership", None)
    if membership is None or membership.organisation_id != organisation.pk:
        raise Refused(
            NOT_INVITED.format(organisation=organisation, email=email),
            why=f"single sign-on through {provider_id} of {organisation}: the account is not "
            f"a member of {organisation}",
            email=email,
        )
    closed = account_state.closed_because(user)
    if closed:
        raise Refused(
            ACCOUNT_CLOSED.format(why=closed),
            why=f"single sign-on through {provider_id}: {closed}",
            email=email,
        )
    if not sociallogin.is_existing:
        with transaction.atomic():
            sociallogin.connect(request, user)
            auth_events.record(
                action=AuditEntry.Action.SSO_LINK,
                account=user,
                actor=user,
                request=request,
                details={
                    "provider": [None, provider_id],
                    "organisation": [None, organisation.name],
                    "subject": [None, sociallogin.account.uid],
                    "email": [None, email],
                },
                reason=f"Single sign-on linked: {organisation}'s provider ({provider_id}).",
            )
    return user


def sso_refusal_record(*, request: Any, refused: Refused) -> None:
    """Audit a refused single sign-on as a refused sign-in."""
    auth_events.refuse(request=request, email=refused.email, why=refused.why)
