"""Background jobs over REST: a job's state and progress, and its file once ready.

A job is read by the person who asked for it only (`Job.objects.visible_to`): anyone else's
job, or one whose program the caller no longer sees, is a 404. Every download is audited.
"""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.errors import Conflict

from .. import jobs
from ..models import Job
from ..selectors import job_for

JOB_PARAMETER = OpenApiParameter(
    "id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The job's id (a UUID), as the request that started it answered.",
)


class JobSerializer(serializers.ModelSerializer):
    program = serializers.CharField(
        source="program.code", read_only=True, allow_null=True, help_text="The program's code."
    )
    download_url = serializers.SerializerMethodField(
        help_text="Where to fetch the file once `state` is `done`; null before."
    )
    status_url = serializers.SerializerMethodField(help_text="This job, to poll.")

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "program",
            "audience",
            "period_start",
            "period_end",
            "params",
            "state",
            "progress",
            "step",
            "file_name",
            "content_type",
            "size",
            "sha256",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "status_url",
            "download_url",
        ]
        read_only_fields = fields

    def get_status_url(self, job: Job) -> str:
        return reverse("api-job-detail", kwargs={"id": str(job.pk)})

    def get_download_url(self, job: Job) -> str | None:
        if job.state != Job.State.DONE:
            return None
        return reverse("api-job-download", kwargs={"id": str(job.pk)})


def job_accepted(job: Job) -> Response:
    """The 202 answer to a request that started `job`: the job, and where to poll it."""
    response = Response(JobSerializer(job).data, status=202)
    response["Location"] = reverse("api-job-detail", kwargs={"id": str(job.pk)})
    return response


class JobDetailView(APIView):
    @extend_schema(
        summary="A job's state and progress",
        tags=["jobs"],
        description="Poll until `state` is `done` (then fetch `download_url`) or `failed` "
        "(`error` says why). Only the person who asked for the job can read it.",
        parameters=[JOB_PARAMETER],
        responses={200: JobSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, id: str) -> Response:
        job = job_for(api_user(request), id)
        return Response(JobSerializer(job).data)


class JobDownloadView(APIView):
    @extend_schema(
        summary="Download a job's file",
        tags=["jobs"],
        description="The file built by the job, with its SHA-256 in `X-Content-SHA256`. Every "
        "download is recorded in the audit trail. 409 while the job is not done.",
        parameters=[JOB_PARAMETER],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file."
            ),
            **error_responses(401, 404, 409, 429),
        },
    )
    def get(self, request: Request, id: str) -> HttpResponseBase:
        user = api_user(request)
        job = job_for(user, id)
        try:
            return jobs.job_download(actor=user, job=job)
        except jobs.JobNotReadyError as error:
            raise Conflict(str(error)) from None
