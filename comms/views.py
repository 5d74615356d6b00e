"""Sponsor-facing pages: the portfolio, the program page with its live feed, and updates.

They live here, in the top app, because they compose programs with their communications.
One view serves the full page and, for an HTMX request, just the fragment that asked.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from comms import selectors
from comms.conversation_views import updates_seen
from comms.dashboard import kept_program_overview, pm_workspace
from comms.forms import HealthOverrideForm, UpdateForm
from comms.services import updates
from portal import access, clock
from portal.errors import NotAllowed, ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest, after_button, attempt
from programs.selectors import event_list
from programs.services.health import program_override_health

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


def _program_context(request: PortalRequest, grant: access.Grant) -> dict[str, object]:
    program = grant.obj
    return {
        "program": program,
        "grant": grant,
        "overview": kept_program_overview(user=request.user, program=program),
        "events": event_list(user=request.user, program=program)[:FEED_LENGTH],
        "updates": updates_seen(user=request.user, program=program, limit=10),
    }


@login_required
@vary_on_headers("HX-Request")
def program_detail(request: PortalRequest, code: str) -> HttpResponse:
    grant = selectors.program_grant(request.user, code)
    context = _program_context(request, grant)
    template = "comms/program_detail.html"
    if fragment := _fragment(request):
        template += f"#{fragment}"
    else:
        if grant.can.post_update:
            context["form"] = UpdateForm()
        if grant.can.override_health:
            context["health_form"] = HealthOverrideForm()
    return render(request, template, context)


@require_POST
@login_required
def update_create(request: PortalRequest, code: str) -> HttpResponse:
    """Post an update. The service decides who may (a refusal is a 403); the form shows the
    rest of what it refuses."""
    grant = selectors.program_grant(request.user, code)
    program = grant.obj
    form = UpdateForm(request.POST)
    if form.is_valid():
        try:
            updates.update_post(actor=request.user, program=program, **form.cleaned_data)
        except NotAllowed:
            raise
        except ServiceError as exc:
            add_service_error(form, exc)
    elif not grant.can.post_update:
        raise NotAllowed(updates.NOT_PROGRAM_TEAM)
    if form.errors:
        context = {"program": program, "form": form, "grant": grant}
        template = "comms/program_detail.html#update-form" if request.htmx else None
        if template is None:
            context.update(_program_context(request, grant))
            template = "comms/program_detail.html"
        return render(request, template, context, status=422)
    if not request.htmx:
        messages.success(request, "Update posted.")
        return redirect("program-detail", code=program.code)
    response = render(
        request,
        "comms/program_detail.html#update-form",
        {"program": program, "form": UpdateForm(), "grant": grant, "posted": True},
    )
    return trigger_client_event(response, "update-posted")


@require_POST
@login_required
def update_publish(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    program = selectors.program_grant(request.user, code).obj
    update = selectors.get_update_for_user(request.user, program, pk)
    attempt(
        request,
        lambda: updates.update_publish(actor=request.user, update=update),
        success="Shared with the sponsor; their notification is on its way.",
    )
    return after_button(request, reverse("program-detail", args=[program.code]))


@require_POST
@login_required
def program_health(request: PortalRequest, code: str) -> HttpResponse:
    """The PM overrides the health rule (or returns to it), with a reason."""
    grant = selectors.program_grant(request.user, code)
    program = grant.obj
    form = HealthOverrideForm(request.POST)
    if form.is_valid():
        try:
            program = program_override_health(
                actor=request.user,
                program=program,
                health=form.cleaned_data["health"],
                reason=form.cleaned_data["reason"],
            )
        except NotAllowed:
            raise
        except ServiceError as exc:
            add_service_error(form, exc)
    elif not grant.can.override_health:
        raise NotAllowed(updates.NOT_PROGRAM_TEAM)
    if form.errors:
        context = {"program": program, "health_form": form, "grant": grant}
        return render(request, "comms/program_detail.html#health-form", context, status=422)
    if request.htmx:
        return HttpResponseClientRefresh()
    messages.success(request, "Health saved; the sponsor sees it with your reason.")
    return redirect("program-detail", code=program.code)


@login_required
def workspace(request: PortalRequest) -> HttpResponse:
    """The PM's morning: their programs and what needs them today."""
    if not access.is_cdmo(request.user):
        return redirect("program-list")
    context = {"workspace": pm_workspace(user=request.user), "today": clock.site_today()}
    return render(request, "comms/workspace.html", context)
