"""The pages of background jobs: the requester's own jobs, one job's progress (polled by HTMX
every second until it finishes) and its download.

Every lookup goes through `Job.objects.visible_to(user)`: someone else's job, or a job whose
program the user no longer sees, is a 404.
"""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers

from portal.http import PortalRequest

from . import jobs
from .models import Job
from .selectors import job_for

JOB_LIST_SIZE = 50


@login_required
def job_list(request: PortalRequest) -> HttpResponse:
    """The files this user asked for, newest first."""
    mine = Job.objects.visible_to(request.user).select_related("program")[:JOB_LIST_SIZE]
    return render(request, "outcomes/job_list.html", {"jobs": mine, "limit": JOB_LIST_SIZE})


@login_required
@vary_on_headers("HX-Request")
def job_detail(request: PortalRequest, pk: uuid.UUID) -> HttpResponse:
    """A job's state and progress; the `status` fragment is what the page polls."""
    job = job_for(request.user, pk)
    template = "outcomes/job_detail.html"
    if request.htmx and request.GET.get("fragment") == "status":
        template += "#status"
    return render(request, template, {"job": job})


@login_required
def job_file(request: PortalRequest, pk: uuid.UUID) -> HttpResponseBase:
    """The job's file, the download audited; a job not ready answers 409 with the reason."""
    job = job_for(request.user, pk)
    try:
        return jobs.job_download(actor=request.user, job=job)
    except jobs.JobNotReadyError as error:
        return render(
            request, "outcomes/job_detail.html", {"job": job, "problem": str(error)}, status=409
        )
