"""The kick-off page: its checklist, the record form and the PM's confirmations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from governance import selectors
from governance.forms import KickoffConfirmForm, KickoffRecordForm
from governance.services import kickoff as service
from governance.services.common import NOT_PROGRAM_TEAM
from governance.views.common import fragment, program_grant, require
from portal import access
from portal.access import Action
from portal.errors import ServiceError
from portal.forms import submit
from portal.http import PortalRequest
from programs.models import Program

KICKOFF_FRAGMENTS = {"progress", "checklist", "record"}
TEMPLATE = "governance/kickoff.html"


def _context(grant: access.Grant[Program], **extra: Any) -> dict[str, Any]:
    progress = selectors.kickoff_progress(grant.obj)
    return {
        "program": grant.obj,
        "grant": grant,
        "progress": progress,
        "kickoff": progress.kickoff,
        **extra,
    }


def _record_form(program: Program, kickoff: Any) -> KickoffRecordForm:
    initial = {}
    if kickoff is not None:
        initial = {
            "held_on": kickoff.held_on,
            "attendees": [a.pk for a in kickoff.attendees.all()],
            "agenda": kickoff.agenda,
            "decisions": kickoff.decisions,
        }
    return KickoffRecordForm(program=program, initial=initial)


@login_required
@vary_on_headers("HX-Request")
def kickoff(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    context = _context(grant)
    template = TEMPLATE
    if name := fragment(request, KICKOFF_FRAGMENTS):
        template += f"#{name}"
    if grant.can.edit_program and name in (None, "record"):
        context["record_form"] = _record_form(grant.obj, context["kickoff"])
    return render(request, template, context)


@require_POST
@login_required
def kickoff_record(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    program = grant.obj
    form = KickoffRecordForm(request.POST, program=program)
    submit(form, service.kickoff_record, actor=request.user, program=program)
    if form.errors:
        context = _context(grant, record_form=form)
        template = TEMPLATE + ("#record" if request.htmx else "")
        return render(request, template, context, status=422)
    if not request.htmx:
        messages.success(request, "Kick-off record saved.")
        return redirect("kickoff", code=program.code)
    context = _context(grant, saved=True)
    context["record_form"] = _record_form(program, context["kickoff"])
    response = render(request, TEMPLATE + "#record", context)
    return trigger_client_event(response, "kickoff-changed")


def _checklist_answer(
    request: PortalRequest, grant: access.Grant[Program], error: str | None, success: str
) -> HttpResponse:
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, success)
        return redirect("kickoff", code=grant.obj.code)
    context = _context(grant, error=error)
    response = render(request, TEMPLATE + "#checklist", context, status=422 if error else 200)
    return response if error else trigger_client_event(response, "kickoff-changed")


@require_POST
@login_required
def kickoff_confirm(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    require(grant, Action.CONFIRM_KICKOFF, service.NOT_KICKOFF_OWNER)
    form = KickoffConfirmForm(request.POST)
    error = None
    if not form.is_valid():
        error = service.UNKNOWN_CONFIRMATION
    else:
        try:
            service.kickoff_confirm(actor=request.user, program=grant.obj, **form.cleaned_data)
        except ServiceError as exc:
            error = exc.message
    return _checklist_answer(request, grant, error, "Confirmation recorded.")


@require_POST
@login_required
def kickoff_complete(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    require(grant, Action.CONFIRM_KICKOFF, service.NOT_KICKOFF_OWNER)
    error = None
    try:
        service.kickoff_complete(actor=request.user, program=grant.obj)
    except ServiceError as exc:
        error = exc.message
    return _checklist_answer(
        request, grant, error, "Kick-off complete. The baseline timeline is now frozen."
    )
