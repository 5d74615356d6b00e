"""Batches: the program's lots with their outcome, one lot's record, and the steps of its life
(plan, start, rework, QA's signed decision, delivery). A refused step shows its message inline
(422) and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from portal.access import Action
from portal.http import PortalRequest
from portal.signatures import signatures_with_status
from programs import selectors
from programs.forms import (
    BatchDecisionForm,
    BatchDeliveryForm,
    BatchForm,
    BatchPlanForm,
    BatchReworkForm,
)
from programs.models import Batch, Event, Program
from programs.services import batches as services
from programs.views.common import program_grant, run

DISPOSITIONS = Batch.Disposition.choices


def _list_context(request: PortalRequest, program: Program, **extra: Any) -> dict[str, Any]:
    shown = request.GET.get("disposition", "")
    rows = selectors.batch_list(request.user, program)
    if shown in Batch.Disposition.values:
        rows = rows.filter(disposition=shown)
    return {
        "program": program,
        "batches": rows,
        "dispositions": DISPOSITIONS,
        "shown": shown,
        **extra,
    }


@login_required
def batch_list(request: PortalRequest, code: str) -> HttpResponse:
    """The program's batches; the CDMO team plans new ones here (POST)."""
    grant = program_grant(request, code)
    program = grant.obj
    may_record = grant.may(Action.RECORD_BATCH)
    if request.method == "POST":
        grant.require(Action.RECORD_BATCH)
        form = BatchForm(request.POST)
        batch = run(form, services.batch_create, actor=request.user, program=program)
        if batch is not None:
            messages.success(request, f"Batch {batch.lot_number} planned.")
            return redirect("batch-detail", code=program.code, lot=batch.lot_number)
        context = _list_context(request, program, grant=grant, form=form)
        return render(request, "programs/batches.html", context, status=422)
    blank = BatchForm(initial={"quantity_unit": "kg"}) if may_record else None
    return render(
        request, "programs/batches.html", _list_context(request, program, grant=grant, form=blank)
    )


def _detail_context(
    request: PortalRequest, code: str, lot: str, **bound: forms.Form
) -> dict[str, Any]:
    grant = program_grant(request, code)
    batch = selectors.get_batch_for_user(request.user, grant.obj, lot)
    plan = {name: getattr(batch, name) for name in services.PLAN_FIELDS}
    return {
        "program": grant.obj,
        "grant": grant,
        "batch": batch,
        # The deviations linked to it (the relation is declared in deviations, above programs).
        "deviations": batch.deviations.visible_to(request.user).order_by("reference"),
        "signatures": signatures_with_status(batch),
        "history": Event.objects.visible_to(request.user)
        .filter(subject_type="programs.batch", subject_id=str(batch.pk))
        .select_related("actor")
        .order_by("-id")[:50],
        "may_record": grant.may(Action.RECORD_BATCH),
        "may_decide": grant.may(Action.DECIDE_BATCH),
        "plan_form": bound.get("plan_form") or BatchPlanForm(initial=plan),
        "rework_form": bound.get("rework_form") or BatchReworkForm(),
        "decision_form": bound.get("decision_form") or BatchDecisionForm(),
        "delivery_form": bound.get("delivery_form")
        or BatchDeliveryForm(initial={"quantity_delivered": batch.quantity_committed}),
    }


@login_required
def batch_detail(request: PortalRequest, code: str, lot: str) -> HttpResponse:
    """One lot: its plan and actuals, outcome, deviations, QA's signatures and its history."""
    return render(request, "programs/batch.html", _detail_context(request, code, lot))


def _step(
    request: PortalRequest,
    code: str,
    lot: str,
    *,
    form_name: str,
    form: forms.Form,
    action: Action,
    service: Callable[..., Any],
    done: str,
    **kwargs: Any,
) -> HttpResponse:
    grant = program_grant(request, code)
    grant.require(action)
    batch = selectors.get_batch_for_user(request.user, grant.obj, lot)
    if run(form, service, actor=request.user, batch=batch, **kwargs) is None:
        context = _detail_context(request, code, lot, **{form_name: form})
        return render(request, "programs/batch.html", context, status=422)
    messages.success(request, done)
    return redirect("batch-detail", code=grant.obj.code, lot=batch.lot_number)


@require_POST
@login_required
def batch_plan(request: PortalRequest, code: str, lot: str) -> HttpResponse:
    form = BatchPlanForm(request.POST)
    return _step(
        request,
        code,
        lot,
        form_name="plan_form",
        form=form,
        action=Action.RECORD_BATCH,
        service=services.batch_update,
        done="Batch updated.",
    )


@require_POST
@login_required
def batch_rework(request: PortalRequest, code: str, lot: str) -> HttpResponse:
    return _step(
        request,
        code,
        lot,
        form_name="rework_form",
        form=BatchReworkForm(request.POST),
        action=Action.RECORD_BATCH,
        service=services.batch_rework,
        done="Rework recorded.",
    )


@require_POST
@login_required
def batch_decide(request: PortalRequest, code: str, lot: str) -> HttpResponse:
    grant = program_grant(request, code)
    batch = selectors.get_batch_for_user(request.user, grant.obj, lot)
    services.require_qa(
        actor=request.user, batch=batch, attempted=bool(request.POST.get("password"))
    )
    return _step(
        request,
        code,
        lot,
        form_name="decision_form",
        form=BatchDecisionForm(request.POST),
        action=Action.DECIDE_BATCH,
        service=services.batch_decide,
        done="Decision signed.",
    )


@require_POST
@login_required
def batch_deliver(request: PortalRequest, code: str, lot: str) -> HttpResponse:
    return _step(
        request,
        code,
        lot,
        form_name="delivery_form",
        form=BatchDeliveryForm(request.POST),
        action=Action.RECORD_BATCH,
        service=services.batch_record_delivery,
        done="Delivery recorded.",
    )
