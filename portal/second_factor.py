"""A second factor where the portal requires one (21 CFR 11.300, EU GMP Annex 11 §12.1).

Every CDMO user, every sponsor lead (who decides change orders, manages people and tokens) and
every member of an organisation that asks for it (`Organisation.mfa_required`) must have a
second factor: an authenticator app or a security key (recovery codes alone do not count). A
signed-in user who must and has none is sent to set one up and may use nothing else meanwhile:
pages redirect to the authenticator-app page, HTMX requests get `HX-Redirect`, session calls to
the API a 403 naming the rule. API tokens are a separate credential and are not affected.

Enforcement is the setting `MFA_ENFORCED`: on by default in production, off in the embedded
mode (`make run`), where the demo logins sign in with the password alone (DESIGN §6).

The answer "has a factor" is kept in the session once seen, so that a page costs no query for
it; removing a factor clears it (`forget`), and allauth's sign-in asks for the factor anyway.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from portal.models import Membership, User

SESSION_KEY = "portal_second_factor"
REQUIRED = (
    "Set up a second factor to continue: an authenticator app or a security key. The portal "
    "requires one for {who}."
)
# Where a user without the factor may still go: signing in and out, the factor's own pages,
# password reset, static files and the probes.
OPEN_PATHS = ("/accounts/", "/static/", "/healthz", "/readyz")
FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def required_because(user: User) -> str:
    """Why `user` must have a second factor ("" when they need not). Reads the membership and
    its organisation, which the session's user is loaded with (portal.backends)."""
    membership: Membership | None = getattr(user, "membership", None)
    if membership is None:
        return ""
    if membership.is_cdmo:
        return "every CDMO user"
    if membership.role == Membership.Role.SPONSOR_LEAD:
        return "every sponsor lead"
    if membership.organisation.mfa_required:
        return f"every member of {membership.organisation.name}"
    return ""


def has_factor(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type__in=FACTORS).exists()


def forget(request: HttpRequest | None) -> None:
    """A factor was removed: ask the database again on the next request."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(SESSION_KEY, None)


class SecondFactorRequiredMiddleware:
    """Placed after the authentication and session limits middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self.refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def refusal(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not settings.MFA_ENFORCED or not isinstance(user, User) or not user.is_authenticated:
            return None
        if request.path.startswith(OPEN_PATHS) or request.session.get(SESSION_KEY):
            return None
        why = required_because(user)
        if not why:
            return None
        if has_factor(user):
            request.session[SESSION_KEY] = True
            return None
        message = REQUIRED.format(who=why)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "code": "second_factor_required"}, status=403)
        target = reverse("mfa_activate_totp")
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        messages.warning(request, message)
        return redirect(target)
