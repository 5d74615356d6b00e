"""Governance pages: kick-off, meetings and their write-ups, action items, the risk register and
calendar feeds. One view serves a page and, for an HTMX request, the fragment that asked."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from governance import calendar, selectors, services
from governance.agenda import compose_agenda, sections_from_snapshot
from governance.forms import (
    ACTION_PREFIX,
    ActionItemForm,
    ActionRowFormSet,
    CadenceForm,
    CancelForm,
    KickoffConfirmForm,
    KickoffRecordForm,
    MeetingForm,
    RescheduleForm,
    RiskForm,
    WriteUpForm,
)
from governance.models import Meeting
from portal import policy
from portal.errors import ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from programs.models import Program
from programs.selectors import get_program_for_user

UPCOMING_LIMIT = 12
PAST_LIMIT = 12
ACTION_LIMIT = 200
_FEED_SECRET = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def _fragment(request: PortalRequest, allowed: set[str]) -> str | None:
    name = request.GET.get("fragment")
    return name if request.htmx and name in allowed else None


def _require(allowed: bool, message: str = services.NOT_PROGRAM_TEAM) -> None:
    if not allowed:
        raise PermissionDenied(message)


# --- kick-off --------------------------------------------------------------------------------

KICKOFF_FRAGMENTS = {"progress", "checklist", "record"}


def _kickoff_context(request: PortalRequest, program: Program, **extra: Any) -> dict[str, Any]:
    progress = selectors.kickoff_progress(program)
    context: dict[str, Any] = {
        "program": program,
        "progress": progress,
        "kickoff": progress.kickoff,
        "can_edit": policy.can_edit_program(request.user, program),
        "can_confirm": policy.can_confirm_kickoff(request.user, program),
    }
    context.update(extra)
    return context


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
    program = get_program_for_user(request.user, code)
    context = _kickoff_context(request, program)
    template = "governance/kickoff.html"
    if fragment := _fragment(request, KICKOFF_FRAGMENTS):
        template += f"#{fragment}"
    if context["can_edit"] and fragment in (None, "record"):
        context["record_form"] = _record_form(program, context["kickoff"])
    return render(request, template, context)


@require_POST
@login_required
def kickoff_record(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    _require(policy.can_edit_program(request.user, program))
    form = KickoffRecordForm(request.POST, program=program)
    if form.is_valid():
        try:
            services.kickoff_record(actor=request.user, program=program, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
    if form.errors:
        context = _kickoff_context(request, program, record_form=form)
        template = "governance/kickoff.html" + ("#record" if request.htmx else "")
        return render(request, template, context, status=422)
    if not request.htmx:
        messages.success(request, "Kick-off record saved.")
        return redirect("kickoff", code=program.code)
    context = _kickoff_context(request, program, saved=True)
    context["record_form"] = _record_form(program, context["kickoff"])
    response = render(request, "governance/kickoff.html#record", context)
    return trigger_client_event(response, "kickoff-changed")


def _checklist_answer(
    request: PortalRequest, program: Program, error: str | None, success: str
) -> HttpResponse:
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, success)
        return redirect("kickoff", code=program.code)
    context = _kickoff_context(request, program, error=error)
    response = render(
        request, "governance/kickoff.html#checklist", context, status=422 if error else 200
    )
    return response if error else trigger_client_event(response, "kickoff-changed")


@require_POST
@login_required
def kickoff_confirm(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    _require(policy.can_confirm_kickoff(request.user, program), services.NOT_KICKOFF_OWNER)
    form = KickoffConfirmForm(request.POST)
    error = None
    if not form.is_valid():
        error = services.UNKNOWN_CONFIRMATION
    else:
        try:
            services.kickoff_confirm(actor=request.user, program=program, **form.cleaned_data)
        except ServiceError as exc:
            error = exc.message
    return _checklist_answer(request, program, error, "Confirmation recorded.")


@require_POST
@login_required
def kickoff_complete(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    _require(policy.can_confirm_kickoff(request.user, program), services.NOT_KICKOFF_OWNER)
    error = None
    try:
        services.kickoff_complete(actor=request.user, program=program)
    except ServiceError as exc:
        error = exc.message
    return _checklist_answer(
        request, program, error, "Kick-off complete. The baseline timeline is now frozen."
    )


# --- meetings --------------------------------------------------------------------------------

MEETING_LIST_FRAGMENTS = {"meetings", "cadence-form", "meeting-form"}


def _meetings_context(request: PortalRequest, program: Program, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    meetings = selectors.meeting_list(user=request.user, program=program)
    context: dict[str, Any] = {
        "program": program,
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
        "can_edit": policy.can_edit_program(request.user, program),
    }
    context.update(extra)
    return context


@login_required
@vary_on_headers("HX-Request")
def meeting_list(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    context = _meetings_context(request, program)
    template = "governance/meeting_list.html"
    if fragment := _fragment(request, MEETING_LIST_FRAGMENTS):
        template += f"#{fragment}"
    if context["can_edit"]:
        context["cadence_form"] = CadenceForm(
            program=program,
            initial={"time_zone": "Europe/London", "starts_on": timezone.localdate()},
        )
        context["meeting_form"] = MeetingForm(program=program)
    return render(request, template, context)


def _form_answer(
    request: PortalRequest,
    *,
    program: Program,
    template: str,
    fragment: str,
    context: dict[str, Any],
    ok: bool,
    event: str,
    redirect_to: str,
    success: str,
) -> HttpResponse:
    """Answer a form post: 422 with the fragment (or page) on error; on success the fresh
    fragment plus an HX-Trigger for HTMX, or a redirect with a message without it."""
    if not ok:
        name = f"{template}#{fragment}" if request.htmx else template
        return render(request, name, context, status=422)
    if not request.htmx:
        messages.success(request, success)
        return redirect(redirect_to)
    response = render(request, f"{template}#{fragment}", context)
    return trigger_client_event(response, event)


@require_POST
@login_required
def cadence_create(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    _require(policy.can_edit_program(request.user, program))
    form = CadenceForm(request.POST, program=program)
    if form.is_valid():
        try:
            services.cadence_create(actor=request.user, program=program, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
    ok = not form.errors
    context = _meetings_context(
        request,
        program,
        cadence_form=form if not ok else CadenceForm(program=program),
        meeting_form=MeetingForm(program=program),
        cadence_saved=ok,
    )
    return _form_answer(
        request,
        program=program,
        template="governance/meeting_list.html",
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
    program = get_program_for_user(request.user, code)
    schedule = selectors.get_cadence_for_user(request.user, program, pk)
    _require(policy.can_edit_program(request.user, program))
    try:
        services.cadence_end(actor=request.user, schedule=schedule)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Cadence ended; its upcoming meetings are cancelled.")
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("meeting-list", code=program.code)


@require_POST
@login_required
def meeting_create(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    _require(policy.can_edit_program(request.user, program))
    form = MeetingForm(request.POST, program=program)
    if form.is_valid():
        try:
            services.meeting_schedule(actor=request.user, program=program, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
    ok = not form.errors
    context = _meetings_context(
        request,
        program,
        meeting_form=form if not ok else MeetingForm(program=program),
        cadence_form=CadenceForm(program=program),
        meeting_saved=ok,
    )
    return _form_answer(
        request,
        program=program,
        template="governance/meeting_list.html",
        fragment="meeting-form",
        context=context,
        ok=ok,
        event="meetings-changed",
        redirect_to=reverse("meeting-list", args=[program.code]),
        success="Meeting scheduled; invites are on their way.",
    )


MEETING_FRAGMENTS = {"record", "write-up", "action-row", "manage"}


def _write_up_forms(
    program: Program, meeting: Meeting, data: Any = None
) -> tuple[WriteUpForm, Any]:
    initial = {
        "present": [u.pk for u in meeting.present.all()] or [u.pk for u in meeting.attendees.all()],
        "minutes": meeting.minutes,
        "decisions": meeting.decisions,
    }
    form = WriteUpForm(data, program=program, initial=initial)
    rows = ActionRowFormSet(data, prefix=ACTION_PREFIX, form_kwargs={"program": program})
    return form, rows


def _meeting_context(
    request: PortalRequest, program: Program, meeting: Meeting, **extra: Any
) -> dict[str, Any]:
    can_edit = policy.can_edit_program(request.user, program)
    written_up = meeting.written_up_at is not None
    open_for_change = meeting.status == Meeting.Status.SCHEDULED and not written_up
    context: dict[str, Any] = {
        "program": program,
        "meeting": meeting,
        "local_start": services.local_start(meeting),
        "agenda": (
            sections_from_snapshot(meeting.agenda)
            if written_up
            else compose_agenda(program, meeting)
        ),
        "action_items": list(
            selectors.action_item_list(user=request.user, program=program).filter(meeting=meeting)
        ),
        "present_ids": {u.pk for u in meeting.present.all()},
        "can_edit": can_edit,
        "can_write_up": can_edit
        and meeting.status != Meeting.Status.CANCELLED
        and meeting.starts_at <= timezone.now(),
        "can_change": can_edit and open_for_change,
        "is_team": policy.is_program_team(request.user, program),
    }
    context.update(extra)
    return context


@login_required
@vary_on_headers("HX-Request")
def meeting_detail(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    meeting = selectors.get_meeting_for_user(request.user, program, pk)
    fragment = _fragment(request, MEETING_FRAGMENTS)
    if fragment == "action-row":
        return _action_row(request, program)
    context = _meeting_context(request, program, meeting)
    if context["can_write_up"] and fragment in (None, "write-up"):
        context["form"], context["rows"] = _write_up_forms(program, meeting)
    if context["can_change"] and fragment in (None, "manage"):
        context["reschedule_form"] = RescheduleForm(meeting=meeting)
        context["cancel_form"] = CancelForm(prefix="cancel")
    template = "governance/meeting_detail.html"
    if fragment:
        template += f"#{fragment}"
    return render(request, template, context)


def _action_row(request: PortalRequest, program: Program) -> HttpResponse:
    """One more empty action item row for the write-up form, and the formset's new count."""
    _require(policy.can_edit_program(request.user, program))
    try:
        index = int(request.GET.get(f"{ACTION_PREFIX}-TOTAL_FORMS", "1"))
    except ValueError:
        index = 1
    index = max(0, min(index, 19))
    row = ActionItemForm(program=program, prefix=f"{ACTION_PREFIX}-{index}")
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
    program = get_program_for_user(request.user, code)
    meeting = selectors.get_meeting_for_user(request.user, program, pk)
    _require(policy.can_edit_program(request.user, program))
    form, rows = _write_up_forms(program, meeting, request.POST)
    ok = False
    if form.is_valid() and rows.is_valid():
        try:
            meeting = services.meeting_write_up(
                actor=request.user,
                meeting=meeting,
                present=list(form.cleaned_data["present"]),
                minutes=form.cleaned_data["minutes"],
                decisions=form.cleaned_data["decisions"],
                action_items=rows.drafts(),
            )
            ok = True
        except ServiceError as exc:
            _attach_write_up_error(form, rows, exc)
    if ok:
        meeting = selectors.get_meeting_for_user(request.user, program, pk)
        form, rows = _write_up_forms(program, meeting)
    context = _meeting_context(
        request, program, meeting, form=form, rows=rows, saved=ok, can_write_up=True
    )
    return _form_answer(
        request,
        program=program,
        template="governance/meeting_detail.html",
        fragment="write-up",
        context=context,
        ok=ok,
        event="meeting-changed",
        redirect_to=reverse("meeting-detail", args=[program.code, pk]),
        success="Write-up saved. The sponsor sees it now.",
    )


def _manage_answer(
    request: PortalRequest,
    program: Program,
    meeting: Meeting,
    forms: dict[str, Form],
    ok: bool,
    success: str,
) -> HttpResponse:
    if ok:
        messages.success(request, success)
        if request.htmx:
            return HttpResponseClientRefresh()
        return redirect("meeting-detail", code=program.code, pk=meeting.pk)
    context = _meeting_context(request, program, meeting, **forms)
    name = "governance/meeting_detail.html" + ("#manage" if request.htmx else "")
    return render(request, name, context, status=422)


@require_POST
@login_required
def meeting_reschedule(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    meeting = selectors.get_meeting_for_user(request.user, program, pk)
    _require(policy.can_edit_program(request.user, program))
    form = RescheduleForm(request.POST, meeting=meeting)
    if form.is_valid():
        try:
            services.meeting_reschedule(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
    return _manage_answer(
        request,
        program,
        meeting,
        {"reschedule_form": form, "cancel_form": CancelForm(prefix="cancel")},
        not form.errors,
        "Meeting moved; attendees' calendars get the update.",
    )


@require_POST
@login_required
def meeting_cancel(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    meeting = selectors.get_meeting_for_user(request.user, program, pk)
    _require(policy.can_edit_program(request.user, program))
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            services.meeting_cancel(actor=request.user, meeting=meeting, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
    return _manage_answer(
        request,
        program,
        meeting,
        {"reschedule_form": RescheduleForm(meeting=meeting), "cancel_form": form},
        not form.errors,
        "Meeting cancelled; attendees' calendars remove it.",
    )


def _ics_response(body: bytes, filename: str, method: str | None = None) -> HttpResponse:
    content_type = calendar.CONTENT_TYPE + (f"; method={method}" if method else "")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
def meeting_invite(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    meeting = selectors.get_meeting_for_user(request.user, program, pk)
    filename = f"{program.code}-{services.local_start(meeting):%Y-%m-%d}.ics"
    return _ics_response(calendar.meeting_ics(meeting), filename, calendar.method_for(meeting))


# --- action items ----------------------------------------------------------------------------

ACTION_FRAGMENTS = {"actions", "action-form"}


def _actions_context(request: PortalRequest, program: Program, **extra: Any) -> dict[str, Any]:
    state = request.POST.get("state") or request.GET.get("state") or "open"
    if state not in selectors.ACTION_FILTERS:
        state = "open"
    items = selectors.action_item_list(user=request.user, program=program, state=state)
    context: dict[str, Any] = {
        "program": program,
        "state": state,
        "filters": selectors.ACTION_FILTERS,
        "items": list(items.order_by("due_date", "id")[:ACTION_LIMIT]),
        "today": timezone.localdate(),
        "is_team": policy.is_program_team(request.user, program),
        "can_edit": policy.can_edit_program(request.user, program),
    }
    context.update(extra)
    return context


@login_required
@vary_on_headers("HX-Request")
def action_list(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    context = _actions_context(request, program)
    template = "governance/action_list.html"
    if fragment := _fragment(request, ACTION_FRAGMENTS):
        template += f"#{fragment}"
    if context["can_edit"]:
        context["form"] = ActionItemForm(program=program)
    return render(request, template, context)


@require_POST
@login_required
def action_create(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    _require(policy.can_edit_program(request.user, program))
    form = ActionItemForm(request.POST, program=program)
    if form.is_valid():
        try:
            services.action_item_create(actor=request.user, program=program, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
    ok = not form.errors
    context = _actions_context(
        request, program, form=form if not ok else ActionItemForm(program=program), saved=ok
    )
    return _form_answer(
        request,
        program=program,
        template="governance/action_list.html",
        fragment="action-form",
        context=context,
        ok=ok,
        event="actions-changed",
        redirect_to=reverse("action-list", args=[program.code]),
        success="Action item added.",
    )


@require_POST
@login_required
def action_done(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    item = selectors.get_action_item_for_user(request.user, program, pk)
    _require(policy.can_complete_action_item(request.user, item), services.NOT_OWNER_OR_TEAM)
    error = None
    try:
        services.action_item_complete(actor=request.user, item=item)
    except ServiceError as exc:
        error = exc.message
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"“{item.title}” marked done.")
        return redirect(
            reverse("action-list", args=[program.code])
            + f"?state={request.POST.get('state', 'open')}"
        )
    context = _actions_context(request, program, error=error)
    response = render(
        request, "governance/action_list.html#actions", context, status=422 if error else 200
    )
    return response if error else trigger_client_event(response, "actions-changed")


# --- risks -----------------------------------------------------------------------------------

RISK_FRAGMENTS = {"register", "risk-form"}


def _risks_context(request: PortalRequest, program: Program, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "program": program,
        "risks": list(selectors.risk_list(user=request.user, program=program)),
        "heat_map": selectors.risk_heat_map(user=request.user, program=program),
        "today": timezone.localdate(),
        "can_edit": policy.can_edit_program(request.user, program),
    }
    context.update(extra)
    return context


@login_required
@vary_on_headers("HX-Request")
def risk_list(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    context = _risks_context(request, program)
    template = "governance/risk_list.html"
    if fragment := _fragment(request, RISK_FRAGMENTS):
        template += f"#{fragment}"
    if context["can_edit"]:
        context["form"] = RiskForm(program=program)
    return render(request, template, context)


@require_POST
@login_required
def risk_create(request: PortalRequest, code: str) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    _require(policy.can_edit_program(request.user, program))
    form = RiskForm(request.POST, program=program)
    if form.is_valid():
        try:
            services.risk_create(actor=request.user, program=program, **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
    ok = not form.errors
    context = _risks_context(
        request, program, form=form if not ok else RiskForm(program=program), saved=ok
    )
    return _form_answer(
        request,
        program=program,
        template="governance/risk_list.html",
        fragment="risk-form",
        context=context,
        ok=ok,
        event="risks-changed",
        redirect_to=reverse("risk-list", args=[program.code]),
        success="Risk added to the register.",
    )


@login_required
def risk_edit(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    program = get_program_for_user(request.user, code)
    risk = selectors.get_risk_for_user(request.user, program, pk)
    _require(policy.can_edit_program(request.user, program))
    if request.method == "POST":
        form = RiskForm(request.POST, instance=risk, program=program)
        if form.is_valid():
            try:
                services.risk_update(actor=request.user, risk=risk, **form.cleaned_data)
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Risk updated.")
                return redirect(reverse("risk-list", args=[program.code]) + f"#risk-{risk.pk}")
        return render(
            request,
            "governance/risk_edit.html",
            {"program": program, "risk": risk, "form": form},
            status=422,
        )
    form = RiskForm(instance=risk, program=program)
    return render(
        request, "governance/risk_edit.html", {"program": program, "risk": risk, "form": form}
    )


# --- calendar feed ---------------------------------------------------------------------------


@login_required
def calendar_settings(request: PortalRequest) -> HttpResponse:
    if request.method == "POST":
        try:
            services.calendar_feed_rotate(user=request.user)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, "New calendar address issued; the previous one stopped working."
            )
        return redirect("calendar-settings")
    feed = selectors.get_calendar_feed(request.user)
    url = request.build_absolute_uri(reverse("calendar-feed", args=[feed.secret])) if feed else None
    return render(
        request,
        "governance/calendar_settings.html",
        {"feed": feed, "feed_url": url, "webcal_url": url and re.sub(r"^https?", "webcal", url)},
    )


@require_GET
@never_cache
def calendar_feed(request: PortalRequest, secret: str) -> HttpResponse:
    """The user's meetings for a calendar client. The secret is the only credential a client
    can send; a wrong or rotated one is a 404."""
    if not _FEED_SECRET.match(secret):
        raise Http404("No such calendar.")
    owner = selectors.feed_owner(secret)
    if owner is None:
        raise Http404("No such calendar.")
    meetings = selectors.feed_meetings(owner)
    body = calendar.feed_ics(meetings, name=f"Northbridge meetings · {owner.display_name}")
    return _ics_response(body, "meetings.ics")
