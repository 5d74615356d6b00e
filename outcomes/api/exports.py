"""Exports of a program's lists over REST: the file at once when it is small, a job when not."""

from __future__ import annotations

from collections.abc import Iterable

from django.http.response import HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.csv_export import CONTENT_TYPES, FORMATS
from programs.api.views import CODE_PARAMETER, program_from_url

from .. import exports
from ..models import Job
from .jobs import JobSerializer, job_accepted

LIST_PARAMETER = OpenApiParameter(
    "name",
    str,
    OpenApiParameter.PATH,
    enum=list(exports.LISTS),
    description="Which list of the program to export.",
)
FORMAT_PARAMETER = OpenApiParameter(
    "format",
    str,
    OpenApiParameter.QUERY,
    enum=list(FORMATS),
    required=False,
    description="`csv` (the default) or `xlsx`.",
)


class _ExportNegotiation(DefaultContentNegotiation):
    """`?format=` names the export's format here, not a DRF renderer: errors and job answers
    are JSON whatever it says."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class ExportView(APIView):
    content_negotiation_class = _ExportNegotiation

    @extend_schema(
        summary="Export one of a program's lists as CSV or Excel",
        tags=["exports"],
        description="The rows the caller may see (a sponsor's export never holds an internal "
        "item). Up to the server's limit (5,000 rows by default) the file comes at once; "
        "above it the answer is 202 with a job to follow (`Location`), like a report. Cells "
        "that a spreadsheet would run as a formula start with an apostrophe. Audited.",
        parameters=[CODE_PARAMETER, LIST_PARAMETER, FORMAT_PARAMETER],
        responses={
            (200, CONTENT_TYPES["csv"]): OpenApiResponse(OpenApiTypes.BINARY, description="CSV"),
            (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="Excel"),
            202: JobSerializer,
            **error_responses(400, 401, 404, 429),
        },
    )
    def get(self, request: Request, code: str, name: str) -> HttpResponseBase:
        user = api_user(request)
        program = program_from_url(user, code)
        answer = exports.export_now_or_later(
            actor=user, program=program, name=name, fmt=request.query_params.get("format")
        )
        if isinstance(answer, Job):
            return job_accepted(answer)
        return answer
