"""The drill-down behind a KPI figure: exactly the records counted, with the definition on top.

The KPI page itself (every KPI against its target, with trends) is the scorecard's; each of
its figures links here.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render

from outcomes import kpis, periods
from outcomes.periods import PeriodError, PeriodKind
from portal.http import PortalRequest
from programs import kpi_catalogue
from programs.kpi_catalogue import Kpi
from programs.models import KpiTarget
from programs.views.common import program_grant

NO_SUCH_KPI = "No such KPI."


@login_required
def kpi_records(request: PortalRequest, code: str, kpi: str) -> HttpResponse:
    """The records one KPI of one program counted in a period (`?period=<kind>&key=<key>`).
    Another sponsor's program and an unknown KPI are a 404; a period that cannot be reported
    on is a 400 with its message, and the period form to choose another."""
    program = program_grant(request, code).obj
    if kpi not in Kpi.values:
        raise Http404(NO_SUCH_KPI)
    kind = request.GET.get("period") or PeriodKind.ROLLING_12
    key = request.GET.get("key", "")
    context = {
        "program": program,
        "definition": kpi_catalogue.definition(kpi),
        "kinds": PeriodKind.choices,
        "kind": kind,
        "key": key,
    }
    try:
        period = periods.parse(kind, key)
    except PeriodError as problem:
        context["period_error"] = str(problem)
        return render(request, "outcomes/kpi_records.html", context, status=400)
    value = kpis.kpis_for(program_ids=[program.pk], period=period, kpis=[kpi], user=request.user)[
        program.pk
    ][kpi]
    target = KpiTarget.objects.filter(program=program, kpi=kpi).values_list("target", flat=True)
    agreed = next(iter(target), None)
    records = kpis.counted_records(
        program_ids=[program.pk], kpi=kpi, period=period, user=request.user
    )
    context |= {
        "period": period,
        "key": period.key,
        "kind": period.kind,
        "previous": period.previous(),
        "value": value,
        "target": agreed,
        "status": kpis.status_against(value, agreed),
        "records": records,
        "fact_labels": [label for label, _ in records[0].facts] if records else [],
    }
    return render(request, "outcomes/kpi_records.html", context)
