"""The risk register: the list with its heat map, adding, editing and sharing a risk."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from governance import selectors
from governance.forms import RiskCreateForm, RiskForm
from governance.services import risks as service
from governance.services.common import NOT_PROGRAM_TEAM
from governance.views.common import form_answer, fragment, program_grant, require
from portal import access, clock
from portal.access import Action
from portal.errors import ServiceError
from portal.forms import add_service_error, submit
from portal.http import PortalRequest, attempt
from programs.models import Program

RISK_FRAGMENTS = {"register", "risk-form"}
TEMPLATE = "governance/risk_list.html"


def _context(request: PortalRequest, grant: access.Grant[Program], **extra: Any) -> dict[str, Any]:
    program = grant.obj
    return {
        "program": program,
        "grant": grant,
        "risks": list(selectors.risk_list(user=request.user, program=program)),
        "heat_map": selectors.risk_heat_map(user=request.user, program=program),
        "today": clock.site_today(),
        **extra,
    }


@login_required
@vary_on_headers("HX-Request")
def risk_list(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    context = _context(request, grant)
    template = TEMPLATE
    if name := fragment(request, RISK_FRAGMENTS):
        template += f"#{name}"
    if grant.can.edit_program:
        context["form"] = RiskCreateForm(program=grant.obj)
    return render(request, template, context)


@require_POST
@login_required
def risk_create(request: PortalRequest, code: str) -> HttpResponse:
    grant = program_grant(request, code)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    program = grant.obj
    form = RiskCreateForm(request.POST, program=program)
    submit(form, service.risk_create, actor=request.user, program=program)
    ok = not form.errors
    context = _context(
        request, grant, form=form if not ok else RiskCreateForm(program=program), saved=ok
    )
    return form_answer(
        request,
        template=TEMPLATE,
        fragment="risk-form",
        context=context,
        ok=ok,
        event="risks-changed",
        redirect_to=reverse("risk-list", args=[program.code]),
        success="Risk added to the register.",
    )


@login_required
def risk_edit(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    program = grant.obj
    risk = selectors.get_risk_for_user(request.user, program, pk)
    require(grant, Action.EDIT_PROGRAM, NOT_PROGRAM_TEAM)
    context = {"program": program, "grant": grant, "risk": risk}
    if request.method == "POST":
        form = RiskForm(request.POST, instance=risk, program=program)
        if form.is_valid():
            try:
                service.risk_update(actor=request.user, risk=risk, **form.cleaned_data)
            except ServiceError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Risk updated.")
                return redirect(reverse("risk-list", args=[program.code]) + f"#risk-{risk.pk}")
        return render(request, "governance/risk_edit.html", {**context, "form": form}, status=422)
    form = RiskForm(instance=risk, program=program)
    return render(request, "governance/risk_edit.html", {**context, "form": form})


@require_POST
@login_required
def risk_share(request: PortalRequest, code: str, pk: int) -> HttpResponse:
    grant = program_grant(request, code)
    risk = selectors.get_risk_for_user(request.user, grant.obj, pk)
    require(grant, Action.SHARE, NOT_PROGRAM_TEAM)
    attempt(
        request,
        lambda: service.risk_share(actor=request.user, risk=risk),
        success=f"“{risk.title}” shared with the sponsor.",
    )
    return redirect(reverse("risk-list", args=[grant.obj.code]) + f"#risk-{risk.pk}")
