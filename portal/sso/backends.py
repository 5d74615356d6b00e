"""Password sign-in refused where single sign-on is mandatory.

First in settings.AUTHENTICATION_BACKENDS, so that every password sign-in (the portal's page,
the admin's, any form that calls `authenticate()`) meets it before a password is checked. For a
member of an organisation whose single sign-on is mandatory it audits the refusal and raises a
`ValidationError` that the sign-in form shows as it is, pointing to single sign-on (Django's
`PermissionDenied` would stop the chain too, but the form would only say "wrong password").

An electronic signature is not a sign-in: `portal.signatures` checks the password itself
(21 CFR 11.200), so signing still works for these members.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from portal import auth_events
from portal.sso import selectors

SSO_REQUIRED = (
    "{organisation} signs in through its own single sign-on: choose \u201cSign in with "
    "single sign-on\u201d ({url}) instead of a password."
)


class SingleSignOnRequiredBackend:
    """Authenticates nobody; refuses password sign-in where single sign-on is mandatory."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        email: str | None = None,
        **credentials: Any,
    ) -> None:
        address = str(email or username or "").strip()
        if not address or password is None:
            return None
        sso = selectors.mandatory_sso_for(address)
        if sso is None:
            return None
        auth_events.refuse(
            request=request,
            email=address,
            why=f"single sign-on is mandatory for {sso.organisation}",
        )
        raise ValidationError(
            SSO_REQUIRED.format(organisation=sso.organisation, url=reverse("sso-start")),
            code="sso_required",
        )
