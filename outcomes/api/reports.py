"""The monthly program status report over REST: ask for its PDF, then follow the job."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.api.serializers import StrictSerializer
from programs.api.views import CODE_PARAMETER, program_from_url

from .. import reports
from .jobs import JobSerializer, job_accepted


class ReportRequestSerializer(StrictSerializer):
    month = serializers.RegexField(
        r"^[0-9]{4}-[0-9]{2}$",
        max_length=7,
        help_text="The month to report on, `YYYY-MM`: not in the future, nor before the "
        "retained records.",
    )


class ReportRequestView(APIView):
    @extend_schema(
        summary="Ask for a program's monthly status report (PDF)",
        tags=["reports"],
        description="Starts a job that builds the PDF in the background, with what the caller "
        "may see (a sponsor's report never holds an internal item). Answers 202 with the job "
        "and its address in `Location`; poll it until `state` is `done`, then fetch its "
        "`download_url`. The same records give the same file (same `sha256`).",
        parameters=[CODE_PARAMETER],
        request=ReportRequestSerializer,
        examples=[OpenApiExample("November 2026", value={"month": "2026-11"}, request_only=True)],
        responses={202: JobSerializer, **error_responses(400, 401, 404, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = reports.report_request(
            actor=user, program=program, month=serializer.validated_data["month"]
        )
        return job_accepted(job)
