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
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from portal import access
from portal.errors import Invalid
from portal.forms import add_service_error
from portal.http import PortalRequest
from programs.selectors import program_grant

from . import bundle, jobs
from .forms import BundleForm
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


# --- The inspection bundle (outcomes.bundle) ---------------------------------------------------

BUNDLE_TEMPLATE = "outcomes/program_bundle.html"


@login_required
def program_bundle(request: PortalRequest, code: str) -> HttpResponseBase:
    """Choose a period and start building the program's inspection bundle; the job page then
    shows its progress. Only those who may export it see the form (403 otherwise)."""
    grant = program_grant(request.user, code)
    program = grant.obj
    grant.require(access.Action.EXPORT_BUNDLE)
    form = BundleForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                period = bundle.bundle_period(**form.cleaned_data)
            except Invalid as error:
                add_service_error(form, error)
            else:
                job = bundle.bundle_request(actor=request.user, program=program, period=period)
                target = reverse("outcomes:job-detail", args=[job.pk])
                if request.htmx:
                    return HttpResponseClientRedirect(target)
                return redirect(target)
        context = {"program": program, "grant": grant, "form": form}
        return render(request, BUNDLE_TEMPLATE, context, status=422)
    return render(request, BUNDLE_TEMPLATE, {"program": program, "grant": grant, "form": form})
