"""Core pages: home, health probes, API token management and delegations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from portal import access, auth_events, clock, selectors, services
from portal.celery import app as celery_app
from portal.errors import ServiceError
from portal.forms import DelegationForm, TokenCreateForm, add_service_error
from portal.http import PortalRequest


@login_required
def home(request: PortalRequest) -> HttpResponse:
    """Project managers start on their workspace; everyone else on their programs."""
    who = access.viewer(request.user)
    if who is not None and who.role == access.Role.PM:
        return redirect("workspace")
    return redirect("program-list")


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database answers and the broker accepts a connection."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {exc.__class__.__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", **checks}, status=200 if ready else 503
    )


@login_required
def token_list(request: PortalRequest) -> HttpResponse:
    """Every token of the organisation (owner, scope, programs, expiry, last use), and a form
    to create one of your own."""
    if not access.may_manage_tokens(request.user):
        return render(request, "portal/forbidden.html", status=403)
    programs = services.token_programs(request.user)
    form = TokenCreateForm(request.POST or None, programs=programs)
    new_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_key = services.api_token_create(
                actor=request.user, user=request.user, **form.cleaned_data
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            form = TokenCreateForm(programs=programs)
    context = {
        "tokens": selectors.token_list(user=request.user),
        "form": form,
        "new_key": new_key,
        "now": timezone.now(),
    }
    status = 422 if form.errors else 200
    return render(request, "portal/tokens.html", context, status=status)


@require_POST
@login_required
def token_revoke(request: PortalRequest, pk: int) -> HttpResponse:
    token = selectors.get_token_for_user(request.user, pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked. Clients using it now get 401.")
    return redirect("token-list")


@login_required
def delegation_list(request: PortalRequest) -> HttpResponse:
    """A sponsor lead's delegations of change-order decisions: the organisation's, and a form
    to delegate their own."""
    if not access.may_manage_delegations(request.user):
        return render(request, "portal/forbidden.html", status=403)
    colleagues = selectors.delegate_choices(user=request.user)
    form = DelegationForm(
        request.POST or None, colleagues=colleagues, initial={"starts_on": clock.site_today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            delegation = services.delegation_create(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Delegated: {delegation}.")
            return redirect("delegation-list")
    context = {
        "delegations": selectors.delegation_list(user=request.user),
        "form": form,
        "today": clock.site_today(),
    }
    status = 422 if form.errors else 200
    return render(request, "portal/delegations.html", context, status=status)


@require_POST
@login_required
def delegation_end(request: PortalRequest, pk: int) -> HttpResponse:
    delegation = selectors.get_delegation_for_user(request.user, pk)
    try:
        services.delegation_end(actor=request.user, delegation=delegation)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delegation to {delegation.delegate} ended.")
    return redirect("delegation-list")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password page; the change is written to the audit trail with it."""

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            auth_events.password_changed(request=self.request, user=form.user, by=form.user)
        return response


def events_outside_asgi(request: HttpRequest) -> HttpResponse:
    """`/events/` is answered by the async handler in `portal.asgi`. Reaching Django means the
    page is served without it (runserver, WSGI): 204 tells EventSource not to reconnect, and the
    fragments' 30-second polling keeps the page current."""
    return HttpResponse(status=204)
