"""Change orders: proposed by the program's CDMO team, decided once by a lead of the
program's own sponsor."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from portal import access
from portal.errors import NotAllowed
from portal.http import PortalRequest
from programs import selectors
from programs.forms import ChangeOrderForm, DecisionForm
from programs.models import ChangeOrder
from programs.services import costs as services
from programs.views.common import COSTS_CHANGED, answer, fragment, program_grant, run
from programs.views.costs import cost_post


@require_POST
@login_required
def change_order_create(request: PortalRequest, code: str) -> HttpResponse:
    return cost_post(
        request,
        code,
        form_name="change_order_form",
        build=lambda program, data: ChangeOrderForm(data),
        service=services.change_order_propose,
        done="Change order proposed; the sponsor has been told.",
    )


@login_required
@vary_on_headers("HX-Request")
def change_order_detail(request: PortalRequest, code: str, reference: str) -> HttpResponse:
    """A change order and, for a lead of the sponsor while it is open, the decision form."""
    grant = program_grant(request, code)
    change_order = selectors.get_change_order_for_user(request.user, grant.obj, reference)
    context = {
        "program": grant.obj,
        "grant": grant,
        "change_order": change_order,
        "form": DecisionForm(),
        "may_decide": access.may_decide_change_order(request.user, grant.obj),
    }
    template = "programs/change_order.html"
    if fragment(request, {"decision"}):
        return render(request, f"{template}#decision", context)
    return render(request, template, context)


@require_POST
@login_required
def change_order_decide(request: PortalRequest, code: str, reference: str) -> HttpResponse:
    grant = program_grant(request, code)
    program = grant.obj
    change_order = selectors.get_change_order_for_user(request.user, program, reference)
    if not access.may_decide_change_order(request.user, program):
        raise NotAllowed(services.CO_NOT_DECIDER)
    form = DecisionForm(request.POST)
    decided = run(form, services.change_order_decide, actor=request.user, change_order=change_order)
    change_order = decided or change_order
    verb = "approved" if change_order.status == ChangeOrder.Status.APPROVED else "rejected"
    return answer(
        request,
        form=form,
        template="programs/change_order.html",
        partial="decision",
        partial_context={
            "program": program,
            "grant": grant,
            "change_order": change_order,
            "form": form,
            "may_decide": True,
        },
        page_context=dict,
        done=f"Change order {change_order.reference} {verb}.",
        trigger=COSTS_CHANGED,
        next_url=reverse("program-costs", args=[program.code]),
    )
