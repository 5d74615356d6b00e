"""The timeline and the cost page of a program, with the CDMO team's forms.

One view serves a page and, for an HTMX request, the fragment that asked (`?fragment=`).
Forms post with HTMX: a valid post answers with the form's fragment, fresh, and an
`HX-Trigger` that makes the live fragments re-fetch; an invalid one answers 422 with the
errors inline. Without JavaScript the same forms post, redirect and flash.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from portal import policy
from portal.errors import ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from portal.models import AuditEntry
from programs import selectors, services, svg
from programs.forms import (
    BudgetForm,
    ChangeOrderForm,
    CompleteForm,
    CostLineForm,
    DecisionForm,
    InvoiceForm,
    MilestoneForm,
    RebaselineForm,
    RescheduleForm,
    WorkstreamForm,
)
from programs.models import ChangeOrder, Milestone, Program, Workstream

TIMELINE_CHANGED = "timeline-changed"
COSTS_CHANGED = "costs-changed"
_CODE = cast(
    re.Pattern[str],
    next(
        v.regex for v in Program._meta.get_field("code").validators if isinstance(v, RegexValidator)
    ),
)


def _program(request: PortalRequest, code: str) -> Program:
    """The program in the URL if this user may see it; a string that cannot be a code is a
    404 before it reaches the database."""
    if not _CODE.fullmatch(code):
        raise Http404("No such program.")
    return selectors.get_program_for_user(request.user, code)


def _fragment(request: PortalRequest, allowed: set[str]) -> str | None:
    name = request.GET.get("fragment")
    return name if request.htmx and name in allowed else None


def _require_editor(request: PortalRequest, program: Program) -> None:
    if not policy.can_edit_program(request.user, program):
        raise PermissionDenied(services.NOT_ALLOWED)


def _run(form: forms.Form, action: Callable[..., Any], **kwargs: Any) -> Any:
    """Validate, then call the service; a broken rule becomes a form error."""
    if not form.is_valid():
        return None
    try:
        return action(**kwargs, **form.cleaned_data)
    except ServiceError as exc:
        add_service_error(form, exc)
        return None


def _answer(
    request: PortalRequest,
    *,
    form: forms.Form,
    template: str,
    partial: str,
    partial_context: dict[str, Any],
    page_context: Callable[[], dict[str, Any]],
    done: str,
    trigger: str,
    next_url: str,
) -> HttpResponse:
    """The one way a form post answers: 422 with the errors, or the fresh fragment."""
    if form.errors:
        if request.htmx:
            return render(request, f"{template}#{partial}", partial_context, status=422)
        return render(request, template, {**page_context(), **partial_context}, status=422)
    if not request.htmx:
        messages.success(request, done)
        return redirect(next_url)
    response = render(request, f"{template}#{partial}", {**partial_context, "done": done})
    return trigger_client_event(response, trigger)


# --- Timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineRow:
    milestone: Milestone
    group: str
    beyond_threshold: bool


def _timeline_context(request: PortalRequest, program: Program) -> dict[str, Any]:
    user = request.user
    workstreams = list(selectors.workstream_list(user, program))
    milestones = list(selectors.milestone_list(user, program))
    threshold = program.slip_threshold_days
    today = timezone.localdate()
    groups = svg.timeline_groups(workstreams, milestones)
    rows = [
        TimelineRow(m, group.name, svg.is_beyond_threshold(m, threshold))
        for group in groups
        for m in group.milestones
    ]
    chart = ""
    if milestones:
        chart = svg.timeline_chart(
            workstreams=workstreams,
            milestones=milestones,
            today=today,
            threshold_days=threshold,
            title=f"{program.code} timeline: baseline, forecast and actual dates by workstream",
            link=lambda m: reverse("milestone-detail", args=[program.code, m.pk]),
        )
    open_rows = [r for r in rows if not r.milestone.is_done]
    return {
        "program": program,
        "workstreams": workstreams,
        "rows": rows,
        "chart": chart,
        "today": today,
        "threshold": threshold,
        "slipped_count": sum(1 for r in open_rows if r.milestone.slip_days > 0),
        "beyond_count": sum(1 for r in open_rows if r.beyond_threshold),
        "done_count": len(rows) - len(open_rows),
        "can_edit": policy.can_edit_program(user, program),
    }


def _milestone_form(request: PortalRequest, program: Program, data: Any = None) -> MilestoneForm:
    return MilestoneForm(data, workstreams=selectors.workstream_list(request.user, program))


def _workstream_form(
    program: Program, data: Any = None, initial: dict[str, Any] | None = None
) -> WorkstreamForm:
    return WorkstreamForm(
        data,
        initial=initial,
        cdmo_people=selectors.cdmo_people(),
        sponsor_people=selectors.sponsor_people(program),
    )


def _timeline_page(request: PortalRequest, program: Program) -> dict[str, Any]:
    context = _timeline_context(request, program)
    if context["can_edit"]:
        context["milestone_form"] = _milestone_form(request, program)
        context["workstream_form"] = _workstream_form(program)
    return context


@login_required
@vary_on_headers("HX-Request")
def timeline(request: PortalRequest, code: str) -> HttpResponse:
    program = _program(request, code)
    template = "programs/timeline.html"
    if fragment := _fragment(request, {"chart", "milestones", "workstreams"}):
        return render(request, f"{template}#{fragment}", _timeline_context(request, program))
    return render(request, template, _timeline_page(request, program))


@require_POST
@login_required
def milestone_create(request: PortalRequest, code: str) -> HttpResponse:
    program = _program(request, code)
    _require_editor(request, program)
    form = _milestone_form(request, program, request.POST)
    _run(form, services.milestone_create, actor=request.user, program=program)
    fresh = form if form.errors else _milestone_form(request, program)
    return _answer(
        request,
        form=form,
        template="programs/timeline.html",
        partial="milestone-form",
        partial_context={"program": program, "can_edit": True, "milestone_form": fresh},
        page_context=lambda: _timeline_page(request, program),
        done="Milestone added.",
        trigger=TIMELINE_CHANGED,
        next_url=reverse("program-timeline", args=[program.code]),
    )


@require_POST
@login_required
def workstream_create(request: PortalRequest, code: str) -> HttpResponse:
    program = _program(request, code)
    _require_editor(request, program)
    form = _workstream_form(program, request.POST)
    _run(form, services.workstream_create, actor=request.user, program=program)
    fresh = form if form.errors else _workstream_form(program)
    return _answer(
        request,
        form=form,
        template="programs/timeline.html",
        partial="workstream-form",
        partial_context={"program": program, "can_edit": True, "workstream_form": fresh},
        page_context=lambda: _timeline_page(request, program),
        done="Workstream added.",
        trigger=TIMELINE_CHANGED,
        next_url=reverse("program-timeline", args=[program.code]),
    )


@login_required
@vary_on_headers("HX-Request")
def workstream_edit(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    """GET: the edit form (a page, or the panel's fragment); POST: save it."""
    program = _program(request, code)
    workstream = selectors.get_workstream_for_user(request.user, program, pk)
    _require_editor(request, program)
    template = "programs/workstream.html"
    if request.method != "POST":
        form = _workstream_form(program, initial=WorkstreamForm.initial_for(workstream))
        context = {"program": program, "workstream": workstream, "form": form}
        if _fragment(request, {"editor"}):
            return render(request, f"{template}#editor", context)
        return render(request, template, context)
    form = _workstream_form(program, request.POST)
    saved: Workstream | None = _run(
        form, services.workstream_update, actor=request.user, workstream=workstream
    )
    workstream = saved or workstream
    return _answer(
        request,
        form=form,
        template=template,
        partial="editor",
        partial_context={"program": program, "workstream": workstream, "form": form},
        page_context=dict,
        done="Workstream saved.",
        trigger=TIMELINE_CHANGED,
        next_url=reverse("program-timeline", args=[program.code]),
    )


HISTORY_FIELDS = {"baseline_date": "Baseline", "forecast_date": "Forecast", "actual_date": "Actual"}


@dataclass(frozen=True)
class HistoryChange:
    label: str
    before: str
    after: str

    def __str__(self) -> str:
        if not self.before:
            return f"{self.label}: {self.after}"
        return f"{self.label}: {self.before} → {self.after or 'cleared'}"


@dataclass(frozen=True)
class HistoryEntry:
    title: str
    changes: list[HistoryChange]
    reason: str
    who: str
    at: datetime.datetime


def _as_day(value: object) -> str:
    if not value:
        return ""
    day = datetime.date.fromisoformat(str(value))
    return f"{day.day} {day:%b %Y}"


def _history(entries: Iterable[AuditEntry]) -> list[HistoryEntry]:
    """The milestone's audit trail as people read it: which date moved, from and to, why."""
    rows = []
    for entry in entries:
        dates = [name for name in HISTORY_FIELDS if name in entry.changes]
        if entry.action == AuditEntry.Action.CREATE:
            title = "Milestone added"
        elif "actual_date" in dates:
            title = "Completed"
        elif "baseline_date" in dates:
            title = "Baseline changed"
        else:
            title = "Forecast moved"
        changes = [
            HistoryChange(
                HISTORY_FIELDS[name],
                _as_day(entry.changes[name][0]),
                _as_day(entry.changes[name][1]),
            )
            for name in dates
            if entry.changes[name][0] or entry.changes[name][1]
        ]
        who = entry.actor.display_name if entry.actor else entry.actor_label
        rows.append(HistoryEntry(title, changes, entry.reason, who, entry.at))
    return rows


MILESTONE_SERVICES: dict[str, Callable[..., Milestone]] = {
    "reschedule": services.milestone_reschedule,
    "rebaseline": services.milestone_rebaseline,
    "complete": services.milestone_complete,
}
MILESTONE_FORMS: dict[str, type[forms.Form]] = {
    "reschedule": RescheduleForm,
    "rebaseline": RebaselineForm,
    "complete": CompleteForm,
}


def _milestone_context(
    request: PortalRequest,
    program: Program,
    milestone: Milestone,
    bound: dict[str, forms.Form] | None = None,
) -> dict[str, Any]:
    can_edit = policy.can_edit_program(request.user, program)
    context: dict[str, Any] = {
        "program": program,
        "milestone": milestone,
        "history": _history(selectors.milestone_history(milestone)),
        "can_edit": can_edit,
        "frozen": program.baseline_frozen_at is not None,
        "beyond_threshold": svg.is_beyond_threshold(milestone, program.slip_threshold_days),
    }
    if can_edit:
        bound = bound or {}
        initial = {
            "reschedule": {"forecast_date": milestone.forecast_date},
            "rebaseline": {"baseline_date": milestone.baseline_date},
            "complete": {"actual_date": timezone.localdate()},
        }
        for name, form_class in MILESTONE_FORMS.items():
            context[f"{name}_form"] = bound.get(name) or form_class(initial=initial[name])
    return context


@login_required
@vary_on_headers("HX-Request")
def milestone_detail(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    """A milestone, its history with every reason, and (for the CDMO team) its forms."""
    program = _program(request, code)
    milestone = selectors.get_milestone_for_user(request.user, program, pk)
    context = _milestone_context(request, program, milestone)
    template = "programs/milestone.html"
    if _fragment(request, {"editor"}):
        return render(request, f"{template}#editor", context)
    return render(request, template, context)


def _milestone_action(request: PortalRequest, code: str, pk: int, action: str) -> HttpResponse:
    program = _program(request, code)
    milestone = selectors.get_milestone_for_user(request.user, program, pk)
    _require_editor(request, program)
    form = MILESTONE_FORMS[action](request.POST)
    service = MILESTONE_SERVICES[action]
    saved: Milestone | None = _run(form, service, actor=request.user, milestone=milestone)
    if saved is not None:
        saved.program = program
        milestone = saved
    bound = {action: form} if form.errors else {}
    context = _milestone_context(request, program, milestone, bound)
    return _answer(
        request,
        form=form,
        template="programs/milestone.html",
        partial="editor",
        partial_context=context,
        page_context=dict,
        done={
            "reschedule": "Forecast moved; the reason is in the history.",
            "rebaseline": "Baseline changed; the change is in the history.",
            "complete": "Milestone marked complete.",
        }[action],
        trigger=TIMELINE_CHANGED,
        next_url=reverse("program-timeline", args=[program.code]),
    )


@require_POST
@login_required
def milestone_reschedule(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    return _milestone_action(request, code, pk, "reschedule")


@require_POST
@login_required
def milestone_rebaseline(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    return _milestone_action(request, code, pk, "rebaseline")


@require_POST
@login_required
def milestone_complete(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    return _milestone_action(request, code, pk, "complete")


# --- Costs ------------------------------------------------------------------------------------


def _costs_context(request: PortalRequest, program: Program) -> dict[str, Any]:
    user = request.user
    summary = selectors.cost_summary(user, program)
    drivers = selectors.cost_by_driver(user, program)
    has_figures = summary.has_budget or summary.committed or summary.invoiced
    return {
        "program": program,
        "summary": summary,
        "drivers": drivers,
        "chart": svg.cost_chart(
            summary=summary,
            drivers=drivers,
            title=f"{program.code} budget, committed and invoiced, by cost driver "
            f"({program.currency})",
        )
        if has_figures
        else "",
        "change_orders": selectors.change_order_list(user, program),
        "cost_lines": selectors.cost_line_list(user, program),
        "invoices": selectors.invoice_list(user, program),
        "can_edit": policy.can_edit_program(user, program),
        "can_decide": policy.can_decide_change_order(user, program),
    }


def _cost_forms(request: PortalRequest, program: Program) -> dict[str, forms.Form]:
    milestones = selectors.milestone_list(request.user, program)
    return {
        "budget_form": _budget_form(request, program),
        "change_order_form": ChangeOrderForm(),
        "cost_line_form": CostLineForm(milestones=milestones),
        "invoice_form": InvoiceForm(milestones=milestones),
    }


def _budget_form(request: PortalRequest, program: Program, data: Any = None) -> BudgetForm:
    """Opens on the current contract value, if there is one."""
    current = selectors.get_budget_for_user(request.user, program)
    initial = {"contract_value": current.contract_value, "notes": current.notes} if current else {}
    return BudgetForm(data, initial=initial)


def _costs_page(request: PortalRequest, program: Program) -> dict[str, Any]:
    context = _costs_context(request, program)
    if context["can_edit"]:
        context.update(_cost_forms(request, program))
    return context


@login_required
@vary_on_headers("HX-Request")
def costs(request: PortalRequest, code: str) -> HttpResponse:
    program = _program(request, code)
    template = "programs/costs.html"
    if fragment := _fragment(request, {"summary", "change-orders", "ledger"}):
        return render(request, f"{template}#{fragment}", _costs_context(request, program))
    return render(request, template, _costs_page(request, program))


def _cost_post(
    request: PortalRequest,
    code: str,
    *,
    form_name: str,
    build: Callable[[Program, Any], forms.Form],
    service: Callable[..., Any],
    done: str,
) -> HttpResponse:
    program = _program(request, code)
    _require_editor(request, program)
    form = build(program, request.POST)
    _run(form, service, actor=request.user, program=program)
    fresh = form if form.errors else build(program, None)
    return _answer(
        request,
        form=form,
        template="programs/costs.html",
        partial=form_name.replace("_", "-"),
        partial_context={"program": program, "can_edit": True, form_name: fresh},
        page_context=lambda: _costs_page(request, program),
        done=done,
        trigger=COSTS_CHANGED,
        next_url=reverse("program-costs", args=[program.code]),
    )


@require_POST
@login_required
def budget_set(request: PortalRequest, code: str) -> HttpResponse:
    return _cost_post(
        request,
        code,
        form_name="budget_form",
        build=lambda program, data: _budget_form(request, program, data),
        service=services.budget_set,
        done="Contract value saved.",
    )


@require_POST
@login_required
def change_order_create(request: PortalRequest, code: str) -> HttpResponse:
    return _cost_post(
        request,
        code,
        form_name="change_order_form",
        build=lambda program, data: ChangeOrderForm(data),
        service=services.change_order_propose,
        done="Change order proposed; the sponsor has been told.",
    )


@require_POST
@login_required
def cost_line_create(request: PortalRequest, code: str) -> HttpResponse:
    return _cost_post(
        request,
        code,
        form_name="cost_line_form",
        build=lambda program, data: CostLineForm(
            data, milestones=selectors.milestone_list(request.user, program)
        ),
        service=services.cost_line_add,
        done="Cost line added.",
    )


@require_POST
@login_required
def invoice_create(request: PortalRequest, code: str) -> HttpResponse:
    return _cost_post(
        request,
        code,
        form_name="invoice_form",
        build=lambda program, data: InvoiceForm(
            data, milestones=selectors.milestone_list(request.user, program)
        ),
        service=services.invoice_add,
        done="Invoice recorded.",
    )


@login_required
@vary_on_headers("HX-Request")
def change_order_detail(request: PortalRequest, code: str, reference: str) -> HttpResponse:
    """A change order and, for a lead of the sponsor while it is open, the decision form."""
    program = _program(request, code)
    change_order = selectors.get_change_order_for_user(request.user, program, reference)
    context = {
        "program": program,
        "change_order": change_order,
        "can_decide": policy.can_decide_change_order(request.user, program),
        "form": DecisionForm(),
    }
    template = "programs/change_order.html"
    if _fragment(request, {"decision"}):
        return render(request, f"{template}#decision", context)
    return render(request, template, context)


@require_POST
@login_required
def change_order_decide(request: PortalRequest, code: str, reference: str) -> HttpResponse:
    program = _program(request, code)
    change_order = selectors.get_change_order_for_user(request.user, program, reference)
    if not policy.can_decide_change_order(request.user, program):
        raise PermissionDenied(services.CO_NOT_DECIDER)
    form = DecisionForm(request.POST)
    decided = _run(
        form, services.change_order_decide, actor=request.user, change_order=change_order
    )
    change_order = decided or change_order
    verb = "approved" if change_order.status == ChangeOrder.Status.APPROVED else "rejected"
    return _answer(
        request,
        form=form,
        template="programs/change_order.html",
        partial="decision",
        partial_context={
            "program": program,
            "change_order": change_order,
            "can_decide": True,
            "form": form,
        },
        page_context=dict,
        done=f"Change order {change_order.reference} {verb}.",
        trigger=COSTS_CHANGED,
        next_url=reverse("program-costs", args=[program.code]),
    )
