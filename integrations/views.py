"""The sponsor lead's webhook pages: the list with the registration form, and each endpoint
with its settings, its secret's rotation and its delivery log (replay from there). One view
serves the page and, for HTMX, the fragment its form swaps."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from integrations import selectors
from integrations.forms import WebhookForm
from integrations.models import WebhookEndpoint
from integrations.services import deliveries, endpoints
from portal import access
from portal.errors import ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest, after_button, attempt

LIST = "integrations/webhooks.html"
DETAIL = "integrations/webhook.html"


def _render(
    request: PortalRequest, template: str, part: str, context: dict[str, Any]
) -> HttpResponse:
    status = 422 if context["form"].errors else 200
    if request.htmx:
        return render(request, f"{template}#{part}", context, status=status)
    return render(request, template, context, status=status)


@login_required
@vary_on_headers("HX-Request")
def webhook_list(request: PortalRequest) -> HttpResponse:
    if not access.may_manage_webhooks(request.user):
        return render(request, "portal/forbidden.html", status=403)
    form = WebhookForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _, new_secret = endpoints.webhook_endpoint_create(
                actor=request.user, **form.cleaned_data
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            form = WebhookForm()
    context = {
        "endpoints": selectors.endpoint_list(user=request.user),
        "form": form,
        "new_secret": new_secret,
    }
    return _render(request, LIST, "webhooks", context)


@login_required
def webhook_overview(request: PortalRequest) -> HttpResponse:
    """CDMO leadership's read-only view of every sponsor's endpoints and their health."""
    if access.is_sponsor(request.user) or access.viewer(request.user) is None:
        raise Http404("No such page.")
    if not access.is_leadership(request.user):
        return render(request, "portal/forbidden.html", status=403)
    context = {"endpoints": selectors.endpoint_overview(user=request.user)}
    return render(request, "integrations/overview.html", context)


def _initial(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_kinds": endpoint.event_kinds,
    }


def _detail_context(
    request: PortalRequest, endpoint: WebhookEndpoint, form: WebhookForm, **extra: Any
) -> dict[str, Any]:
    deliveries = selectors.delivery_list(endpoint=endpoint)[: selectors.LOG_LENGTH]
    return {"endpoint": endpoint, "form": form, "deliveries": deliveries, **extra}


@login_required
@vary_on_headers("HX-Request")
def webhook_detail(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_user(request.user, pk)
    form = WebhookForm(request.POST or None, initial=_initial(endpoint))
    saved = False
    if request.method == "POST" and form.is_valid():
        try:
            endpoint = endpoints.webhook_endpoint_update(
                actor=request.user, endpoint=endpoint, **form.cleaned_data
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            saved = True
            form = WebhookForm(initial=_initial(endpoint))
    context = _detail_context(request, endpoint, form, saved=saved)
    return _render(request, DETAIL, "settings", context)


@require_POST
@login_required
def webhook_rotate(request: PortalRequest, pk: int) -> HttpResponse:
    """The new secret is shown on the answer itself, once: never stored for a later page."""
    endpoint = selectors.get_endpoint_for_user(request.user, pk)
    endpoint, secret = endpoints.webhook_endpoint_rotate(actor=request.user, endpoint=endpoint)
    form = WebhookForm(initial=_initial(endpoint))
    context = _detail_context(request, endpoint, form, new_secret=secret)
    return render(request, DETAIL, context)


@require_POST
@login_required
def webhook_pause(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_user(request.user, pk)
    attempt(
        request,
        lambda: endpoints.webhook_endpoint_pause(actor=request.user, endpoint=endpoint),
        success="Endpoint paused: events wait for it until you resume it.",
    )
    return after_button(request, endpoint_url(endpoint))


@require_POST
@login_required
def webhook_resume(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_user(request.user, pk)
    attempt(
        request,
        lambda: endpoints.webhook_endpoint_resume(actor=request.user, endpoint=endpoint),
        success="Endpoint resumed: what waited is being sent.",
    )
    return after_button(request, endpoint_url(endpoint))


@require_POST
@login_required
def webhook_delete(request: PortalRequest, pk: int) -> HttpResponse:
    endpoint = selectors.get_endpoint_for_user(request.user, pk)
    endpoints.webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint.url} removed, with its delivery log.")
    return redirect("webhook-list")


@require_POST
@login_required
def webhook_replay(request: PortalRequest, pk: int, delivery: int) -> HttpResponse:
    found = selectors.get_delivery_for_user(request.user, pk, delivery)
    attempt(
        request,
        lambda: deliveries.webhook_delivery_replay(actor=request.user, delivery=found),
        success=f"Delivery {found.webhook_id} queued again, with the same webhook-id.",
    )
    return after_button(request, endpoint_url(found.endpoint))


def endpoint_url(endpoint: WebhookEndpoint) -> str:
    return reverse("webhook-detail", args=[endpoint.pk])
