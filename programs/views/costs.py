"""The cost page: budget against committed and invoiced (totals and by driver), change
orders, the ledger of cost lines and invoices, and the team's forms. A sponsor's totals count
every cost line; the ledger lists the lines they may read (see `CostLine`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import trigger_client_event

from portal import access
from portal.access import Action, Grant
from portal.errors import Conflict
from portal.http import PortalRequest
from programs import selectors, svg
from programs.forms import BudgetForm, ChangeOrderForm, CostLineForm, InvoiceForm
from programs.models import Program
from programs.services import costs as services
from programs.views.common import COSTS_CHANGED, answer, fragment, program_grant, run

TEMPLATE = "programs/costs.html"


def costs_context(request: PortalRequest, grant: Grant[Program]) -> dict[str, Any]:
    user, program = request.user, grant.obj
    summary = selectors.cost_summary(user, program)
    drivers = selectors.cost_by_driver(user, program)
    has_figures = summary.has_budget or summary.committed or summary.invoiced
    return {
        "program": program,
        "grant": grant,
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
        "may_decide": access.may_decide_change_order(user, program),
        "cost_lines": selectors.cost_line_list(user, program),
        "invoices": selectors.invoice_list(user, program),
    }


def _budget_form(request: PortalRequest, program: Program, data: Any = None) -> BudgetForm:
    """Opens on the current contract value, if there is one."""
    current = selectors.get_budget_for_user(request.user, program)
    initial = {"contract_value": current.contract_value, "notes": current.notes} if current else {}
    return BudgetForm(data, initial=initial)


def costs_page(request: PortalRequest, grant: Grant[Program]) -> dict[str, Any]:
    context = costs_context(request, grant)
    if grant.can.edit_program:
        milestones = selectors.milestone_list(request.user, grant.obj)
        context |= {
            "budget_form": _budget_form(request, grant.obj),
            "change_order_form": ChangeOrderForm(),
            "cost_line_form": CostLineForm(milestones=milestones),
            "invoice_form": InvoiceForm(milestones=milestones),
        }
    return context


@login_required
@vary_on_headers("HX-Request")
def costs(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    if name := fragment(request, {"summary", "change-orders", "ledger"}):
        return render(request, f"{TEMPLATE}#{name}", costs_context(request, grant))
    return render(request, TEMPLATE, costs_page(request, grant))


def cost_post(
    request: PortalRequest,
    code: str,
    *,
    form_name: str,
    build: Callable[[Program, Any], forms.Form],
    service: Callable[..., Any],
    done: str,
) -> HttpResponse:
    """A form of the cost page's side panel, posted by the program's team."""
    grant = program_grant(request, code)
    grant.require(Action.EDIT_PROGRAM)
    program = grant.obj
    form = build(program, request.POST)
    run(form, service, actor=request.user, program=program)
    fresh = form if form.errors else build(program, None)
    return answer(
        request,
        form=form,
        template=TEMPLATE,
        partial=form_name.replace("_", "-"),
        partial_context={"program": program, "grant": grant, form_name: fresh},
        page_context=lambda: costs_page(request, grant),
        done=done,
        trigger=COSTS_CHANGED,
        next_url=reverse("program-costs", args=[program.code]),
    )


@require_POST
@login_required
def budget_set(request: PortalRequest, code: str) -> HttpResponse:
    return cost_post(
        request,
        code,
        form_name="budget_form",
        build=lambda program, data: _budget_form(request, program, data),
        service=services.budget_set,
        done="Contract value saved.",
    )


@require_POST
@login_required
def cost_line_create(request: PortalRequest, code: str) -> HttpResponse:
    return cost_post(
        request,
        code,
        form_name="cost_line_form",
        build=lambda program, data: CostLineForm(
            data, milestones=selectors.milestone_list(request.user, program)
        ),
        service=services.cost_line_add,
        done="Cost line added.",
    )


COST_LINE_SHARED = "Cost line shared with the sponsor."


@require_POST
@login_required
def cost_line_share(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    """Share an internal cost line with the sponsor. Answers with the fresh ledger."""
    grant = program_grant(request, code)
    line = selectors.get_cost_line_for_user(request.user, grant.obj, pk)
    grant.require(Action.SHARE)
    try:
        services.cost_line_share(actor=request.user, cost_line=line)
        done, level = COST_LINE_SHARED, messages.SUCCESS
    except Conflict as exc:
        done, level = exc.message, messages.WARNING
    if not request.htmx:
        messages.add_message(request, level, done)
        return redirect(reverse("program-costs", args=[grant.obj.code]))
    context = {**costs_context(request, grant), "done": done}
    return trigger_client_event(render(request, f"{TEMPLATE}#ledger", context), COSTS_CHANGED)


@require_POST
@login_required
def invoice_create(request: PortalRequest, code: str) -> HttpResponse:
    return cost_post(
        request,
        code,
        form_name="invoice_form",
        build=lambda program, data: InvoiceForm(
            data, milestones=selectors.milestone_list(request.user, program)
        ),
        service=services.invoice_add,
        done="Invoice recorded.",
    )
