"""Sponsor-facing pages: the portfolio, the program page with its live feed, and updates.

They live here, in the top app, because they compose programs with their communications.
One view serves the full page and, for an HTMX request, just the fragment that asked.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from comms import selectors, services
from comms.conversation_views import updates_seen
from comms.dashboard import pm_workspace, program_overview
from comms.forms import HealthOverrideForm, UpdateForm
from portal import policy
from portal.errors import ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from programs.selectors import event_list, get_program_for_user
from programs.services import program_override_health

FEED_LENGTH = 12
FRAGMENTS = {"program-rows", "feed", "updates", "overview"}


def _fragment(request: PortalRequest) -> str | None:
    """The partial an HTMX request asked for with `?fragment=`, if it is one we serve."""
    name = request.GET.get("fragment")
    return name if request.htmx and name in FRAGMENTS else None


@login_required
@vary_on_headers("HX-Request")
def program_list(request: PortalRequest) -> HttpResponse:
    context = {"programs": selectors.portfolio(user=request.user)}
    template = "comms/program_list.html"
    if fragment := _fragment(request):
        template += f"#{fragment}"
    return render(request, template, context)


def _program_context(request: PortalRequest, code: str) -> dict[str, object]:
    program = get_program_for_user(request.user, code)
    return {
        "program": program,
        "overview": program_overview(user=request.user, program=program),
        "events": event_list(user=request.user, program=program)[:FEED_LENGTH],
        "updates": updates_seen(user=request.user, program=program, limit=10),
        "can_post": policy.can_post_update(request.user, program),
    }


@login_required
@vary_on_headers("HX-Request")
def program_detail(request: PortalRequest, code: str) -> HttpResponse:
    context = _program_context(request, code)
    template = "comms/program_detail.html"
    if fragment := _fragment(request):
        template += f"#{fragment}"
    elif context["can_post"]:
        context["form"] = UpdateForm()
        context["health_form"] = HealthOverrideForm()
    return render(request, template, context)


@require_POST
@login_required
def update_create(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    if not policy.can_post_update(request.user, program):
        raise PermissionDenied(services.NOT_PROGRAM_TEAM)
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            services.update_post(actor=request.user, program=program, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
    if form.errors:
        context = {"program": program, "form": form, "can_post": True}
        template = "comms/program_detail.html#update-form" if request.htmx else None
        if template is None:
            context.update(_program_context(request, code))
            template = "comms/program_detail.html"
        return render(request, template, context, status=422)
    if not request.htmx:
        messages.success(request, "Update posted.")
        return redirect("program-detail", code=program.code)
    response = render(
        request,
        "comms/program_detail.html#update-form",
        {"program": program, "form": UpdateForm(), "can_post": True, "posted": True},
    )
    return trigger_client_event(response, "update-posted")


@require_POST
@login_required
def update_publish(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    update = selectors.get_update_for_user(request.user, program, pk)
    if not policy.can_post_update(request.user, program):
        raise PermissionDenied(services.NOT_PROGRAM_TEAM)
    try:
        services.update_publish(actor=request.user, update=update)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Shared with the sponsor; their notification is on its way.")
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("program-detail", code=program.code)


@login_required
def notification_list(request: PortalRequest) -> HttpResponse:
    notifications = list(selectors.notification_list(user=request.user)[:50])
    response = render(request, "comms/notification_list.html", {"notifications": notifications})
    services.notifications_mark_read(user=request.user, ids=[n.pk for n in notifications])
    return response


@require_POST
@login_required
def program_health(request: PortalRequest, code: str) -> HttpResponse:
    """The PM overrides the health rule (or returns to it), with a reason."""
    program = get_program_for_user(request.user, code)
    if not policy.can_edit_program(request.user, program):
        raise PermissionDenied(services.NOT_PROGRAM_TEAM)
    form = HealthOverrideForm(request.POST)
    if form.is_valid():
        try:
            program = program_override_health(
                actor=request.user,
                program=program,
                health=form.cleaned_data["health"],
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            add_service_error(form, exc)
    if form.errors:
        context = {"program": program, "health_form": form, "can_post": True}
        return render(request, "comms/program_detail.html#health-form", context, status=422)
    if request.htmx:
        return HttpResponseClientRefresh()
    messages.success(request, "Health saved; the sponsor sees it with your reason.")
    return redirect("program-detail", code=program.code)


@login_required
def workspace(request: PortalRequest) -> HttpResponse:
    """The PM's morning: their programs and what needs them today."""
    if not policy.is_cdmo(request.user):
        return redirect("program-list")
    context = {"workspace": pm_workspace(user=request.user), "today": timezone.localdate()}
    return render(request, "comms/workspace.html", context)
