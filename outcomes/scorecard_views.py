"""The KPI page of a program (every KPI against its target, with its trend), the targets form,
and the scorecards: one sponsor's programs side by side, and leadership's across sponsors.

Every figure links to the records it counted (`program-kpi-records`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from outcomes import periods, scorecard
from outcomes.periods import Period, PeriodError, PeriodKind
from outcomes.svg import trend_chart
from portal import access
from portal.access import Action
from portal.errors import NotAllowed, ServiceError
from portal.forms import add_service_error
from portal.http import PortalRequest
from programs.forms import KpiTargetsForm
from programs.models import Program
from programs.services.targets import kpi_targets_set
from programs.views.common import program_grant

TARGETS_SAVED = "KPI targets saved."


def _period(request: PortalRequest) -> tuple[Period | None, dict[str, Any]]:
    """The period of `?period=<kind>&key=<key>`, and the chooser's context (with the problem
    when the period cannot be reported on)."""
    kind = request.GET.get("period") or PeriodKind.ROLLING_12
    key = request.GET.get("key", "")
    context: dict[str, Any] = {"kinds": PeriodKind.choices, "kind": kind, "key": key}
    try:
        period = periods.parse(kind, key)
    except PeriodError as problem:
        context["period_error"] = str(problem)
        return None, context
    context |= {"period": period, "kind": period.kind, "key": period.key}
    context["previous"] = period.previous()
    return period, context


def _kpi_rows(program: Program, period: Period, user: Any) -> list[dict[str, Any]]:
    trends = scorecard.program_trends(program, period, user)
    rows = []
    for figure in scorecard.program_figures(program, period, user):
        key = figure.definition.key
        rows.append(
            {
                "figure": figure,
                "trend": trends[key],
                "chart": trend_chart(
                    figure.definition, trends[key], figure.target, id_prefix=f"trend-{key}"
                ),
            }
        )
    return rows


def _program_page(
    request: PortalRequest, code: str, form: KpiTargetsForm | None = None, status: int = 200
) -> HttpResponse:
    grant = program_grant(request, code)
    program = grant.obj
    period, context = _period(request)
    editable = grant.may(Action.CONFIRM_KICKOFF)
    if editable and form is None:
        agreed = scorecard.targets_of([program.pk])[program.pk]
        form = KpiTargetsForm(targets=agreed)
    context |= {
        "program": program,
        "grant": grant,
        "form": form if editable else None,
        "frozen": program.baseline_frozen_at is not None,
    }
    if period is None:
        return render(request, "outcomes/program_kpis.html", context, status=400)
    context["rows"] = _kpi_rows(program, period, request.user)
    return render(request, "outcomes/program_kpis.html", context, status=status)


@login_required
def program_kpis(request: PortalRequest, code: str) -> HttpResponse:
    """Every KPI of the program in the period: definition, value, target, status and trend."""
    return _program_page(request, code)


@login_required
@require_POST
def program_kpi_targets(request: PortalRequest, code: str) -> HttpResponse:
    """Record the targets (the PM or leadership); errors inline, nothing changed."""
    grant = program_grant(request, code)
    grant.require(Action.CONFIRM_KICKOFF)
    program = grant.obj
    agreed = scorecard.targets_of([program.pk])[program.pk]
    form = KpiTargetsForm(request.POST, targets=agreed)
    if form.is_valid():
        try:
            kpi_targets_set(
                actor=request.user,
                program=program,
                targets=form.targets(),
                reason=form.cleaned_data.get("reason") or "",
            )
        except NotAllowed:
            raise
        except ServiceError as problem:
            add_service_error(form, problem)
    if form.errors:
        return _program_page(request, code, form=form, status=422)
    messages.success(request, TARGETS_SAVED)
    return redirect("program-kpis", code=program.code)


def _scorecard_page(
    request: PortalRequest, programs_: list[Program], sponsor: Any = None
) -> HttpResponse:
    period, context = _period(request)
    context["sponsor"] = sponsor
    if period is None:
        return render(request, "outcomes/scorecard.html", context, status=400)
    context["cards"] = scorecard.sponsor_cards(programs_, period, request.user)
    if sponsor is None:
        context["portfolio"] = scorecard.portfolio(programs_, period, request.user)
    return render(request, "outcomes/scorecard.html", context)


@login_required
def scorecard_all(request: PortalRequest) -> HttpResponse:
    """Leadership's scorecard across sponsors; a sponsor's user sees their own sponsor's."""
    who = access.viewer(request.user)
    if who is not None and not who.is_cdmo:
        slug = request.user.membership.organisation.slug
        target = reverse("scorecard-sponsor", args=[slug])
        query = request.GET.urlencode()
        return redirect(f"{target}?{query}" if query else target)
    return _scorecard_page(request, scorecard.scorecard_programs(request.user))


@login_required
def scorecard_sponsor(request: PortalRequest, slug: str) -> HttpResponse:
    """One sponsor's programs side by side, and the sponsor's overall figures."""
    sponsor = scorecard.sponsor_for(request.user, slug)
    return _scorecard_page(
        request, scorecard.scorecard_programs(request.user, sponsor), sponsor=sponsor
    )
