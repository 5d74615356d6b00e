"""The email-first single sign-on page, and the CDMO administrators' page of providers."""

from __future__ import annotations

import secrets

import requests
from allauth.socialaccount.providers.base import AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal import access
from portal.errors import ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest, attempt
from portal.models import Organisation, OrganisationSso
from portal.sso import selectors, services
from portal.sso.forms import ProviderForm, ProviderRemoveForm, SsoStartForm

NO_SSO = (
    "Your organisation does not sign in through single sign-on here: sign in with your email "
    "and password."
)
PROVIDER_UNREACHABLE = (
    "Your organisation's sign-in service cannot be reached just now. Try again in a few "
    "minutes; if it lasts, tell your IT team."
)


def _next_url(request: HttpRequest) -> str | None:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def sso_start(request: HttpRequest) -> HttpResponse:
    """Email first: an address at a domain whose organisation has a provider goes to that
    provider (with the address as a hint and a fresh nonce); any other is told that password
    sign-in applies."""
    if request.user.is_authenticated:
        return redirect("home")
    form = SsoStartForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    context: dict[str, object] = {"form": form, "next": _next_url(request) or ""}
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        sso = selectors.sso_for_email(email)
        if sso is None:
            context["no_sso"] = NO_SSO
            return render(request, "sso/start.html", context)
        provider = sso.app.get_provider(request)
        nonce = secrets.token_urlsafe(32)
        try:
            return provider.redirect(
                request,
                AuthProcess.LOGIN,
                next_url=_next_url(request),
                auth_params={**provider.get_auth_params(), "login_hint": email, "nonce": nonce},
                scope=provider.get_scope(),
                **{services.STATE_NONCE: nonce},
            )
        except (requests.RequestException, OAuth2Error, ValueError, KeyError):
            form.add_error(None, PROVIDER_UNREACHABLE)
            return render(request, "sso/start.html", context, status=503)
    return render(request, "sso/start.html", context, status=422 if form.errors else 200)


def _admin_only(request: PortalRequest) -> HttpResponse | None:
    """CDMO administrators keep providers; other CDMO users are refused, sponsors find
    nothing here."""
    if not access.is_cdmo(request.user):
        raise Http404("No such page.")
    if not access.is_cdmo_admin(request.user):
        return render(request, "portal/forbidden.html", status=403)
    return None


@login_required
def sso_settings(request: PortalRequest) -> HttpResponse:
    refused = _admin_only(request)
    if refused is not None:
        return refused
    sponsors = selectors.sponsors_with_sso(user=request.user)
    return render(request, "sso/settings.html", {"sponsors": sponsors})


def _sponsor(request: PortalRequest, slug: str) -> Organisation:
    organisation = selectors.sponsor_for_sso(user=request.user, slug=slug)
    if organisation is None:
        raise Http404("No such sponsor.")
    return organisation


@login_required
def sso_provider(request: PortalRequest, slug: str) -> HttpResponse:
    refused = _admin_only(request)
    if refused is not None:
        return refused
    organisation = _sponsor(request, slug)
    current = getattr(organisation, "sso", None)
    initial = {}
    if current is not None:
        initial = {
            "server_url": current.app.settings.get("server_url", ""),
            "client_id": current.app.client_id,
            "required": current.required,
        }
    form = ProviderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_sso_configure(
                actor=request.user, organisation=organisation, provider=form.provider()
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Single sign-on of {organisation} saved.")
            return redirect("sso-provider", slug=organisation.slug)
    context = {
        "organisation": organisation,
        "current": current,
        "form": form,
        "remove_form": ProviderRemoveForm(),
        "callback_url": request.build_absolute_uri(
            reverse(
                "openid_connect_callback",
                kwargs={"provider_id": OrganisationSso.provider_id_for(organisation)},
            )
        ),
    }
    return render(request, "sso/provider.html", context, status=422 if form.errors else 200)


@require_POST
@login_required
def sso_provider_remove(request: PortalRequest, slug: str) -> HttpResponse:
    refused = _admin_only(request)
    if refused is not None:
        return refused
    organisation = _sponsor(request, slug)
    form = ProviderRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["reason"]))
        return redirect("sso-provider", slug=organisation.slug)
    attempt(
        request,
        lambda: services.organisation_sso_remove(
            actor=request.user, organisation=organisation, reason=form.cleaned_data["reason"]
        ),
        success=f"Single sign-on of {organisation} removed: its members sign in with their "
        "password.",
    )
    return redirect("sso-provider", slug=organisation.slug)
