"""Exports of a program's lists: the page that offers them, and one view per list and format.

`/programs/<code>/exports/` lists every export; `/programs/<code>/exports/<list>/?format=csv`
(or `xlsx`) answers with the file when it is small, or starts a job and sends the reader to
its page when it is large.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render

from outcomes import exports
from outcomes.models import Job
from portal.csv_export import FORMATS
from portal.errors import Invalid
from portal.http import PortalRequest
from programs.views.common import program_grant


@login_required
def program_exports(request: PortalRequest, code: str) -> HttpResponse:
    program = program_grant(request, code).obj
    context = {
        "program": program,
        "lists": [(name, spec.title) for name, spec in exports.LISTS.items()],
        "formats": FORMATS,
        "limit": settings.EXPORT_SYNC_LIMIT,
    }
    return render(request, "outcomes/exports.html", context)


@login_required
def program_export(request: PortalRequest, code: str, name: str) -> HttpResponseBase:
    program = program_grant(request, code).obj
    try:
        answer = exports.export_now_or_later(
            actor=request.user, program=program, name=name, fmt=request.GET.get("format")
        )
    except Invalid as error:
        context = {"program": program, "problem": error.message}
        return render(request, "outcomes/export_problem.html", context, status=400)
    if isinstance(answer, Job):
        return redirect("outcomes:job-detail", answer.pk)
    return answer
