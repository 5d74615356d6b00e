"""Leadership's room (the escalation queue and the portfolio) and a program's escalations page
(where a sponsor raises a concern and the team an issue). One view serves a page and its HTMX
fragment; the pages listen to the live stream's `escalations` and `portfolio` events."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from governance.escalations import selectors, services
from governance.escalations.forms import AssignForm, RaiseForm, ResolveForm
from governance.escalations.models import Escalation
from portal import access
from portal.access import Action
from portal.errors import NotAllowed, ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from programs.selectors import cdmo_people
from programs.views.common import fragment, program_grant

QUEUE_LIMIT = 200
QUEUE_TEMPLATE = "governance/escalations/queue.html"
PORTFOLIO_TEMPLATE = "governance/escalations/portfolio.html"
PROGRAM_TEMPLATE = "governance/escalations/program.html"


def _require_leadership(request: PortalRequest) -> None:
    if not access.is_leadership(request.user):
        raise NotAllowed(services.NOT_LEADERSHIP)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _queue_context(request: PortalRequest, **extra: Any) -> dict[str, Any]:
    params = request.POST if request.method == "POST" else request.GET
    status = params.get("status") or "open"
    if status not in selectors.STATUS_FILTERS:
        status = "open"
    rows = selectors.escalation_list(request.user, status=status)
    sponsor_id = _int(params.get("sponsor"))
    level = _int(params.get("level"))
    soon = params.get("due") == "24h"
    if sponsor_id is not None:
        rows = rows.filter(program__sponsor_id=sponsor_id)
    if level is not None:
        rows = rows.filter(level=level)
    if soon:
        rows = rows.filter(selectors.due(timezone.now() + selectors.LOOK_AHEAD))
    query = "&".join(
        f"{k}={v}"
        for k, v in (("status", status), ("sponsor", sponsor_id), ("level", level))
        if v is not None
    ) + ("&due=24h" if soon else "")
    return {
        "rows": list(rows.order_by("due_at", "-raised_at", "id")[:QUEUE_LIMIT]),
        "status": status,
        "statuses": list(selectors.STATUS_FILTERS),
        "sponsor_id": sponsor_id,
        "level": level,
        "soon": soon,
        "query": query,
        "sponsors": list(selectors.sponsors()),
        "people": list(cdmo_people()),  # once, for every row's assign list
        **extra,
    }


@login_required
@vary_on_headers("HX-Request")
def leadership_escalations(request: PortalRequest) -> HttpResponse:
    _require_leadership(request)
    template = QUEUE_TEMPLATE
    if name := fragment(request, {"queue"}):
        template += f"#{name}"
    return render(request, template, _queue_context(request))


def _queue_answer(request: PortalRequest, error: str | None, success: str, pk: int) -> HttpResponse:
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, success)
        return redirect(reverse("leadership-escalations"))
    context = _queue_context(request, error=error, error_pk=pk)
    response = render(request, QUEUE_TEMPLATE + "#queue", context, status=422 if error else 200)
    return response if error else trigger_client_event(response, "escalations-changed")


def _act(request: PortalRequest, pk: int) -> Escalation:
    _require_leadership(request)
    return selectors.escalation_grant(request.user, pk).obj


@require_POST
@login_required
def escalation_acknowledge(request: PortalRequest, pk: int) -> HttpResponse:
    escalation = _act(request, pk)
    error = None
    try:
        services.escalation_acknowledge(actor=request.user, escalation=escalation)
    except ServiceError as exc:
        error = exc.message
    return _queue_answer(request, error, f"{escalation.reference} acknowledged.", pk)


@require_POST
@login_required
def escalation_assign(request: PortalRequest, pk: int) -> HttpResponse:
    escalation = _act(request, pk)
    form = AssignForm(request.POST)
    error = None
    if not form.is_valid():
        error = "; ".join(str(e) for errors in form.errors.values() for e in errors)
    else:
        try:
            services.escalation_assign(
                actor=request.user, escalation=escalation, assignee=form.cleaned_data["assignee"]
            )
        except ServiceError as exc:
            error = exc.message
    return _queue_answer(request, error, f"{escalation.reference} assigned.", pk)


@require_POST
@login_required
def escalation_resolve(request: PortalRequest, pk: int) -> HttpResponse:
    escalation = _act(request, pk)
    form = ResolveForm(request.POST)
    error = None
    if not form.is_valid():
        error = services.RESOLUTION_REQUIRED if "resolution" in form.errors else str(form.errors)
    else:
        try:
            services.escalation_resolve(
                actor=request.user,
                escalation=escalation,
                resolution=form.cleaned_data["resolution"],
            )
        except ServiceError as exc:
            error = exc.message
    return _queue_answer(request, error, f"{escalation.reference} resolved.", pk)


@login_required
@vary_on_headers("HX-Request")
def leadership_portfolio(request: PortalRequest) -> HttpResponse:
    _require_leadership(request)
    sponsor_id = _int(request.GET.get("sponsor"))
    template = PORTFOLIO_TEMPLATE
    if name := fragment(request, {"portfolio"}):
        template += f"#{name}"
    context = {
        "rows": selectors.portfolio(request.user, sponsor_id=sponsor_id),
        "sponsors": list(selectors.sponsors()),
        "sponsor_id": sponsor_id,
    }
    return render(request, template, context)


def _program_context(
    request: PortalRequest, grant: access.Grant[Any], **extra: Any
) -> dict[str, Any]:
    rows = (
        selectors.escalation_list(request.user, status="all")
        .filter(program=grant.obj)
        .order_by("-raised_at", "-id")[:QUEUE_LIMIT]
    )
    may_raise = grant.may(Action.RAISE_CONCERN) or grant.may(Action.RAISE_ISSUE)
    return {
        "program": grant.obj,
        "grant": grant,
        "rows": list(rows),
        "may_raise": may_raise,
        "is_concern": grant.may(Action.RAISE_CONCERN),
        "form": RaiseForm(concern=grant.may(Action.RAISE_CONCERN)) if may_raise else None,
        # The path in force, for the CDMO (a sponsor's concern goes to leadership directly).
        "levels": selectors.effective_levels(grant.obj) if access.is_cdmo(request.user) else [],
        **extra,
    }


@login_required
@vary_on_headers("HX-Request")
def program_escalations(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    template = PROGRAM_TEMPLATE
    if name := fragment(request, {"escalations"}):
        template += f"#{name}"
    return render(request, template, _program_context(request, grant))


@require_POST
@login_required
def program_escalation_raise(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    concern = grant.may(Action.RAISE_CONCERN)
    if not concern and not grant.may(Action.RAISE_ISSUE):
        raise NotAllowed(services.NOT_TEAM)
    service = services.concern_raise if concern else services.issue_raise
    form = RaiseForm(request.POST, concern=concern)
    ok = False
    if form.is_valid():
        try:
            service(actor=request.user, program=grant.obj, **form.cleaned_data)
            ok = True
        except ServiceError as exc:
            add_service_error(form, exc)
    said = "Your concern is with the CDMO's leadership." if concern else "Issue raised."
    if not request.htmx:
        if ok:
            messages.success(request, said)
            return redirect(reverse("program-escalations", args=[code]))
        return render(
            request, PROGRAM_TEMPLATE, _program_context(request, grant, form=form), status=422
        )
    context = _program_context(
        request, grant, form=RaiseForm(concern=concern) if ok else form, saved=said if ok else ""
    )
    response = render(request, PROGRAM_TEMPLATE + "#raise", context, status=200 if ok else 422)
    return trigger_client_event(response, "escalations-changed") if ok else response
