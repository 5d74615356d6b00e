"""Inspection bundles over REST: start building one; poll and download it as any job
(`outcomes.api.jobs`)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import access
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.api.serializers import DateField, StrictLineField, StrictSerializer
from programs.api.views import CODE_PARAMETER, program_from_url

from .. import bundle
from .jobs import JobSerializer, job_accepted


class BundleRequestSerializer(StrictSerializer):
    period = serializers.ChoiceField(
        choices=bundle.PERIOD_KINDS,
        help_text="month, quarter or rolling12 (with `key`), or custom (with `first_day` and "
        "`last_day`).",
    )
    key = StrictLineField(
        required=False,
        allow_blank=True,
        max_length=12,
        help_text="Which period: 2026-11, 2026-Q4 or 12m-2026-11; empty for the current one.",
    )
    first_day = DateField(required=False, help_text="Custom period: first day.")
    last_day = DateField(required=False, help_text="Custom period: last day (inclusive).")


class ProgramBundlesView(APIView):
    @extend_schema(
        summary="Start building an inspection bundle",
        tags=["jobs"],
        description="For the sponsor's lead, the program's QA, its dedicated PM and CDMO "
        "leadership (403 for anyone else who sees the program; another sponsor's program is a "
        "404). Answers 202 with the job: poll `status_url` until `state` is `done`, then fetch "
        "`download_url`. The archive is built with what the caller may see (a sponsor's bundle "
        "holds no internal item) and holds `verify_bundle.py`, which checks it offline. A bad "
        "period is a 400 naming the field; nothing is created. Asking and every download are "
        "audited.",
        parameters=[CODE_PARAMETER],
        request=BundleRequestSerializer,
        examples=[
            OpenApiExample("A quarter", value={"period": "quarter", "key": "2026-Q3"}),
            OpenApiExample(
                "Explicit days",
                value={"period": "custom", "first_day": "2026-07-01", "last_day": "2026-09-30"},
            ),
        ],
        responses={202: JobSerializer, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        access.require(user, access.Action.EXPORT_BUNDLE, program)
        serializer = BundleRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        period = bundle.bundle_period(
            period=data["period"],
            key=data.get("key"),
            first_day=data.get("first_day"),
            last_day=data.get("last_day"),
        )
        job = bundle.bundle_request(actor=user, program=program, period=period)
        return job_accepted(job)
