"""The monthly program status report: the printable page, and the PDF asked for as a job.

The page renders `outcomes/report.html` inside the portal's layout; the PDF renders the same
template in a bare document (`outcomes.reports`). A month in the future or before the retained
records is a 400 naming the problem; nothing is created.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from outcomes import periods, reports
from portal.errors import Invalid
from portal.http import PortalRequest
from programs.views.common import program_grant


def _problem(request: PortalRequest, program: object, error: Invalid) -> HttpResponse:
    context = {"program": program, "problem": error.message}
    return render(request, "outcomes/report_problem.html", context, status=400)


@login_required
def program_report(request: PortalRequest, code: str, month: str) -> HttpResponse:
    """The report for one month, as this user may see it: printable as it stands."""
    program = program_grant(request, code).obj
    try:
        period = reports.report_period(month)
    except Invalid as error:
        return _problem(request, program, error)
    context = reports.report_context(request.user, program, period)
    previous = period.previous()
    following = periods.ending(periods.PeriodKind.MONTH, period.end)
    context.update(
        layout="base.html",
        for_pdf=False,
        report_css_url=static(reports.REPORT_CSS),
        previous_key=previous.key if previous.start >= periods.oldest_retained() else "",
        previous_label=previous.label,
        next_key="" if not period.is_complete() else following.key,
        next_label=following.label,
    )
    return render(request, reports.TEMPLATE, context)


@require_POST
@login_required
def program_report_pdf(request: PortalRequest, code: str, month: str) -> HttpResponse:
    """Ask for the report's PDF; the answer is the job's page, which shows its progress."""
    program = program_grant(request, code).obj
    try:
        job = reports.report_request(actor=request.user, program=program, month=month)
    except Invalid as error:
        return _problem(request, program, error)
    target = reverse("outcomes:job-detail", args=[job.pk])
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


@login_required
def program_report_latest(request: PortalRequest, code: str) -> HttpResponse:
    """The last complete month's report (the current month's while the portal is new)."""
    program = program_grant(request, code).obj
    last = periods.current(periods.PeriodKind.MONTH).previous()
    if last.start < periods.oldest_retained():
        last = periods.current(periods.PeriodKind.MONTH)
    return redirect("outcomes:program-report", program.code, last.key)
