"""Meeting pages: the list with cadences, one meeting with its agenda and write-up, moving,
cancelling and sharing, and the meeting's own .ics."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRefresh

from governance import calendar, selectors
from governance.forms import (
    ACTION_PREFIX,
    ActionItemForm,
    ActionRowFormSet,
    CadenceForm,
    CancelForm,
    MeetingForm,
    RescheduleForm,
    WriteUpForm,
)
from governance.models import Meeting
from governance.services import cadence as cadence_service
from governance.services import meetings as service
from governance.services.common import NOT_PROGRAM_TEAM
from governance.views.calendar import ics_response
from governance.views.common import form_answer, fragment, program_grant, require
from portal import access, clock
from portal.access import Action
from portal.errors import ServiceError
from portal.forms import add_service_error, submit
from portal.http import PortalRequest, after_button, attempt
from programs.models import Program

UPCOMING_LIMIT = 12
PAST_LIMIT = 12
LIST_TEMPLATE = "governance/meeting_list.html"
DETAIL_TEMPLATE = "governance/meeting_detail.html"
MEETING_LIST_FRAGMENTS = {"meetings", "cadence-form", "meeting-form"}
MEETING_FRAGMENTS = {"record", "write-up", "action-row", "manage"}
MAX_ACTION_ROWS = 20


def _list_context(
    request: PortalRequest, grant: access.Grant[Program], **extra: Any
) -> dict[str, Any]:
    now = timezone.now()
    program = grant.obj
    meetings = selectors.meeting_list(user=request.user, program=program)
    return {
        "program": program,
        "grant": grant,
        "upcoming": list(
            meetings.filter(status=Meeting.Status.SCHEDULED, starts_at__gte=now).order_by(
                "starts_at", "id"
            )[:UPCOMING_LIMIT]
        ),
        "past": list(
            meetings.exclude(status=Meeting.Status.SCHEDULED, starts_at__gte=now)
            .order_by("-starts_at", "-id")
            .select_related("written_up_by")[:PAST_LIMIT]
        ),
        "cadences": list(selectors.cadence_list(user=request.user, program=program)),
        **extra,
    }


def _cadence_form(program: Program) -> CadenceForm:
    initial = {"time_zone": "Europe/London", "starts_on": clock.site_today()}
    return CadenceForm(program=program, initial=initial)


@login_required
@vary_on_headers("HX-Request")
def meeting_list(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    context = _list_context(request, grant)
    template = LIST_TEMPLATE
    if name := fragment(request, MEETING_LIST_FRAGMENTS):
        template += f"#{name}"
    if grant.can.edit_program:
        context["cadence_form"] = _cadence_form(grant.obj)
        context["meeting_form"] = MeetingForm(program=grant.obj)
    return render(request, template, context)


@require_POST
@login_required
def cadence_create(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    program = grant.obj
    form = CadenceForm(request.POST, program=program)
    submit(form, cadence_service.cadence_create, actor=request.user, program=program)
    ok = not form.errors
    context = _list_context(
        request,
        grant,
        cadence_form=form if not ok else _cadence_form(program),
        meeting_form=MeetingForm(program=program),
        cadence_saved=ok,
    )
    return form_answer(
        request,
        template=LIST_TEMPLATE,
        fragment="cadence-form",
        context=context,
        ok=ok,
        event="meetings-changed",
        redirect_to=reverse("meeting-list", args=[program.code]),
        success="Cadence agreed; its meetings are scheduled and invites are on their way.",
    )


@require_POST
@login_required
def cadence_end(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    schedule = selectors.get_cadence_for_user(request.user, grant.obj, pk)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    attempt(
        request,
        lambda: cadence_service.cadence_end(actor=request.user, schedule=schedule),
        success="Cadence ended; its upcoming meetings are cancelled.",
    )
    return after_button(request, reverse("meeting-list", args=[grant.obj.code]))


@require_POST
@login_required
def meeting_create(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    program = grant.obj
    form = MeetingForm(request.POST, program=program)
    submit(form, service.meeting_schedule, actor=request.user, program=program)
    ok = not form.errors
    context = _list_context(
        request,
        grant,
        meeting_form=form if not ok else MeetingForm(program=program),
        cadence_form=_cadence_form(program),
        meeting_saved=ok,
    )
    return form_answer(
        request,
        template=LIST_TEMPLATE,
        fragment="meeting-form",
        context=context,
        ok=ok,
        event="meetings-changed",
        redirect_to=reverse("meeting-list", args=[program.code]),
        success="Meeting scheduled; invites are on their way.",
    )


def _write_up_forms(
    program: Program, meeting: Meeting, data: Any = None
) -> tuple[WriteUpForm, Any]:
    initial: dict[str, Any] = {
        "present": [u.pk for u in meeting.present.all()] or [u.pk for u in meeting.attendees.all()],
        "minutes": meeting.minutes,
        "decisions": meeting.decisions,
    }
    if meeting.written_up_at is not None:
        initial["minutes_audience"] = meeting.minutes_audience
        initial["decisions_audience"] = meeting.decisions_audience
    form = WriteUpForm(data, program=program, initial=initial)
    rows = ActionRowFormSet(data, prefix=ACTION_PREFIX, form_kwargs={"program": program})
    return form, rows


def _detail_context(
    request: PortalRequest, grant: access.Grant[Program], meeting: Meeting, **extra: Any
) -> dict[str, Any]:
    program = grant.obj
    can_edit = grant.can.edit_program
    open_for_change = meeting.status == Meeting.Status.SCHEDULED and not meeting.written_up_at
    return {
        "program": program,
        "grant": grant,
        "meeting": meeting,
        "write_up": selectors.meeting_write_up(request.user, meeting),
        "agenda": selectors.meeting_agenda(request.user, meeting),
        "action_items": list(
            selectors.action_item_list(user=request.user, program=program).filter(meeting=meeting)
        ),
        "present_ids": {u.pk for u in meeting.present.all()},
        "can_write_up": can_edit
        and meeting.status != Meeting.Status.CANCELLED
        and meeting.starts_at <= timezone.now(),
        "can_change": can_edit and open_for_change,
        **extra,
    }


@login_required
@vary_on_headers("HX-Request")
def meeting_detail(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    meeting = selectors.get_meeting_for_user(request.user, grant.obj, pk)
    name = fragment(request, MEETING_FRAGMENTS)
    if name == "action-row":
        return _action_row(request, grant)
    context = _detail_context(request, grant, meeting)
    if context["can_write_up"] and name in (None, "write-up"):
        context["form"], context["rows"] = _write_up_forms(grant.obj, meeting)
    if context["can_change"] and name in (None, "manage"):
        context["reschedule_form"] = RescheduleForm(meeting=meeting)
        context["cancel_form"] = CancelForm(prefix="cancel")
    template = DETAIL_TEMPLATE + (f"#{name}" if name else "")
    return render(request, template, context)


def _action_row(request: PortalRequest, grant: access.Grant[Program]) -> HttpResponse:
    """One more empty action item row for the write-up form, and the formset's new count."""
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    try:
        index = int(request.GET.get(f"{ACTION_PREFIX}-TOTAL_FORMS", "1"))
    except ValueError:
        index = 1
    index = max(0, min(index, MAX_ACTION_ROWS - 1))
    row = ActionItemForm(program=grant.obj, prefix=f"{ACTION_PREFIX}-{index}")
    context = {"row": row, "index": index, "total": index + 1, "prefix": ACTION_PREFIX}
    return render(request, "governance/_action_row.html", context)


def _attach_write_up_error(form: WriteUpForm, rows: Any, exc: ServiceError) -> None:
    match = re.fullmatch(r"action_items\.(\d+)\.(\w+)", exc.field or "")
    if match:
        filled = [row for row in rows.forms if row.cleaned_data]
        index, field = int(match.group(1)), match.group(2)
        if index < len(filled):
            filled[index].add_error(field if field in filled[index].fields else None, exc.message)
            return
    add_service_error(form, exc)


@require_POST
@login_required
def meeting_write_up(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    program = grant.obj
    meeting = selectors.get_meeting_for_user(request.user, program, pk)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    form, rows = _write_up_forms(program, meeting, request.POST)
    ok = False
    if form.is_valid() and rows.is_valid():
        data = form.cleaned_data
        try:
            meeting = service.meeting_write_up(
                actor=request.user,
                meeting=meeting,
                present=list(data["present"]),
                minutes=data["minutes"],
                minutes_audience=data["minutes_audience"],
                decisions=data["decisions"],
                decisions_audience=data["decisions_audience"],
                action_items=rows.drafts(),
            )
            ok = True
        except ServiceError as exc:
            _attach_write_up_error(form, rows, exc)
    if ok:
        meeting = selectors.get_meeting_for_user(request.user, program, pk)
        form, rows = _write_up_forms(program, meeting)
    context = _detail_context(
        request, grant, meeting, form=form, rows=rows, saved=ok, can_write_up=True
    )
    return form_answer(
        request,
        template=DETAIL_TEMPLATE,
        fragment="write-up",
        context=context,
        ok=ok,
        event="meeting-changed",
        redirect_to=reverse("meeting-detail", args=[program.code, pk]),
        success="Write-up saved. The sponsor sees what you shared with them now.",
    )


@require_POST
@login_required
def meeting_share(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    """Share the minutes or the decisions of a written-up meeting with the sponsor."""
    grant = program_grant(request, code)
    meeting = selectors.get_meeting_for_user(request.user, grant.obj, pk)
    require(grant, Action.SHARE, NOT_PROGRAM_TEAM)
    section = request.POST.get("section", "")
    attempt(
        request,
        lambda: service.meeting_share(actor=request.user, meeting=meeting, section=section),
        success=f"{service.SECTION_LABELS.get(section, section)} shared with the sponsor.",
    )
    return after_button(request, reverse("meeting-detail", args=[grant.obj.code, meeting.pk]))


def _manage_answer(
    request: PortalRequest,
    grant: access.Grant[Program],
    meeting: Meeting,
    forms: dict[str, Form],
    ok: bool,
    success: str,
) -> HttpResponse:
    if ok:
        messages.success(request, success)
        if request.htmx:
            return HttpResponseClientRefresh()
        return redirect("meeting-detail", code=grant.obj.code, pk=meeting.pk)
    context = _detail_context(request, grant, meeting, **forms)
    name = DETAIL_TEMPLATE + ("#manage" if request.htmx else "")
    return render(request, name, context, status=422)


@require_POST
@login_required
def meeting_reschedule(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    meeting = selectors.get_meeting_for_user(request.user, grant.obj, pk)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    form = RescheduleForm(request.POST, meeting=meeting)
    submit(form, service.meeting_reschedule, actor=request.user, meeting=meeting)
    return _manage_answer(
        request,
        grant,
        meeting,
        {"reschedule_form": form, "cancel_form": CancelForm(prefix="cancel")},
        not form.errors,
        "Meeting moved; attendees' calendars get the update.",
    )


@require_POST
@login_required
def meeting_cancel(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    meeting = selectors.get_meeting_for_user(request.user, grant.obj, pk)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    form = CancelForm(request.POST, prefix="cancel")
    submit(form, service.meeting_cancel, actor=request.user, meeting=meeting)
    return _manage_answer(
        request,
        grant,
        meeting,
        {"reschedule_form": RescheduleForm(meeting=meeting), "cancel_form": form},
        not form.errors,
        "Meeting cancelled; attendees' calendars remove it.",
    )


@require_GET
@login_required
def meeting_invite(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    meeting = selectors.get_meeting_for_user(request.user, grant.obj, pk)
    filename = f"{grant.obj.code}-{meeting.local_start:%Y-%m-%d}.ics"
    return ics_response(calendar.meeting_ics(meeting), filename, calendar.method_for(meeting))
