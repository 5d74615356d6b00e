"""Batches over REST, addressed by lot number: read for everyone who sees the program; plans,
starts (`…/plan/`), reworks and deliveries for the program's CDMO team; QA's release or
rejection, which needs an electronic signature, only in a signed-in session (a token cannot
sign: 403).

Right-first-time, on time and in full are derived from the record, never written.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from portal.access import Action
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.api.serializers import (
    DateField,
    StrictCharField,
    StrictLineField,
    StrictSerializer,
)
from portal.models import ApiToken
from programs import selectors
from programs.api.costs import AmountField
from programs.api.views import CODE_PARAMETER, ProgramList, program_from_url, program_grant_from_url
from programs.models import Batch
from programs.services import batches as services

LOT_PARAMETER = OpenApiParameter(
    "lot", str, OpenApiParameter.PATH, description="The batch's lot number, e.g. HLX204-C-117."
)


class BatchSerializer(serializers.ModelSerializer):
    disposition_by = serializers.CharField(
        source="disposition_by.display_name", read_only=True, allow_null=True
    )
    on_time = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="Decided on or before the planned release day; null while undecided.",
    )
    in_full = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text="At least the committed quantity delivered; null before any delivery.",
    )
    right_first_time = serializers.BooleanField(
        read_only=True,
        help_text="Released, never reworked and no deviation linked (cancelled ones aside).",
    )
    deviation_count = serializers.IntegerField(
        read_only=True, help_text="Deviations linked to it, cancelled ones aside."
    )

    class Meta:
        model = Batch
        fields = [
            "lot_number",
            "product",
            "planned_start",
            "actual_start",
            "planned_release",
            "actual_release",
            "quantity_committed",
            "quantity_delivered",
            "quantity_unit",
            "over_delivery_agreed",
            "disposition",
            "reworked",
            "disposition_at",
            "disposition_by",
            "disposition_reason",
            "on_time",
            "in_full",
            "right_first_time",
            "deviation_count",
        ]
        read_only_fields = fields


class BatchCreateSerializer(StrictSerializer):
    lot_number = StrictLineField(max_length=40)
    product = StrictLineField(max_length=200, required=False, allow_blank=True, default="")
    planned_start = DateField()
    planned_release = DateField()
    quantity_committed = AmountField(help_text="More than zero.")
    quantity_unit = StrictLineField(max_length=20, required=False, default="g")
    actual_start = DateField(required=False, allow_null=True, default=None)


class BatchPlanSerializer(StrictSerializer):
    product = StrictLineField(max_length=200, required=False, allow_blank=True)
    planned_start = DateField(required=False)
    planned_release = DateField(required=False)
    quantity_committed = AmountField(required=False, help_text="More than zero.")
    quantity_unit = StrictLineField(max_length=20, required=False)
    actual_start = DateField(required=False, allow_null=True)
    reason = StrictCharField(required=False, allow_blank=True, default="")


class BatchReworkSerializer(StrictSerializer):
    reason = StrictCharField(help_text="What was reworked or reprocessed, and why.")


class BatchDecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=[("released", "released"), ("rejected", "rejected")])
    decided_on = DateField(help_text="The site-local day of the decision; not before the start.")
    reason = StrictCharField(required=False, allow_blank=True, default="")
    password = serializers.CharField(
        write_only=True, help_text="Your password: the electronic signature (session only)."
    )


class BatchDeliverySerializer(StrictSerializer):
    quantity_delivered = AmountField(help_text="Zero or more.")
    over_delivery_agreed = serializers.BooleanField(required=False, default=False)


def _answer(user: Any, batch: Batch, code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.get_batch_for_user(user, batch.program, batch.lot_number)
    return Response(BatchSerializer(fresh).data, status=code)


class BatchListView(ProgramList, generics.GenericAPIView):
    serializer_class = BatchSerializer
    filter_backends = []

    @extend_schema(
        summary="List a program's batches",
        tags=["batches"],
        description="Newest plan first, with the derived outcome of each lot.",
        parameters=[
            CODE_PARAMETER,
            OpenApiParameter(
                "disposition",
                str,
                enum=list(Batch.Disposition.values),
                description="Only lots with this disposition.",
            ),
        ],
        responses={200: BatchSerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        rows = selectors.batch_list(user, program)
        shown = request.query_params.get("disposition")
        if shown in Batch.Disposition.values:
            rows = rows.filter(disposition=shown)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(BatchSerializer(page, many=True).data)

    @extend_schema(
        summary="Plan a batch",
        tags=["batches"],
        description="For the program's CDMO team, operations and QA. A lot number already "
        "recorded for the program, or a planned release before the planned start, is a 400.",
        parameters=[CODE_PARAMETER],
        request=BatchCreateSerializer,
        responses={201: BatchSerializer, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        grant = program_grant_from_url(user, code)
        grant.require(Action.RECORD_BATCH)
        serializer = BatchCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = services.batch_create(actor=user, program=grant.obj, **serializer.validated_data)
        return _answer(user, batch, status.HTTP_201_CREATED)


class BatchDetailView(generics.GenericAPIView):
    serializer_class = BatchSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Get a batch",
        tags=["batches"],
        parameters=[CODE_PARAMETER, LOT_PARAMETER],
        responses={200: BatchSerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str, lot: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        return Response(BatchSerializer(selectors.get_batch_for_user(user, program, lot)).data)


class _BatchStep(generics.GenericAPIView):
    serializer_class = BatchSerializer
    filter_backends = []
    pagination_class = None
    input: type[StrictSerializer]

    def step(self, user: Any, batch: Batch, data: dict[str, Any], request: Request) -> None:
        raise NotImplementedError

    def check(self, user: Any, batch: Batch, request: Request) -> None:
        """Refusals decided before the body is read."""

    def post(self, request: Request, code: str, lot: str) -> Response:
        user = api_user(request)
        grant = program_grant_from_url(user, code)
        grant.require(Action.RECORD_BATCH)
        batch = selectors.get_batch_for_user(user, grant.obj, lot)
        self.check(user, batch, request)
        serializer = self.input(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.step(user, batch, dict(serializer.validated_data), request)
        return _answer(user, batch)


class BatchReworkView(_BatchStep):
    input = BatchReworkSerializer

    @extend_schema(
        summary="Record a rework",
        tags=["batches"],
        description="The lot was reworked or reprocessed: it is not right first time any more.",
        parameters=[CODE_PARAMETER, LOT_PARAMETER],
        request=BatchReworkSerializer,
        responses={200: BatchSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, code: str, lot: str) -> Response:
        return super().post(request, code, lot)

    def step(self, user: Any, batch: Batch, data: dict[str, Any], request: Request) -> None:
        services.batch_rework(actor=user, batch=batch, **data)


class BatchDecisionView(_BatchStep):
    input = BatchDecisionSerializer

    @extend_schema(
        summary="Release or reject a batch (QA, signed)",
        tags=["batches"],
        description="QA of the program only (403 otherwise, audited when a password was sent), "
        "in a signed-in session: an API token cannot sign (403). A rejection needs a reason. "
        "The release day is not before the actual start nor in the future (400 naming "
        "`decided_on`).",
        parameters=[CODE_PARAMETER, LOT_PARAMETER],
        request=BatchDecisionSerializer,
        responses={200: BatchSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, code: str, lot: str) -> Response:
        return super().post(request, code, lot)

    def check(self, user: Any, batch: Batch, request: Request) -> None:
        attempted = isinstance(request.data, dict) and bool(request.data.get("password"))
        services.require_qa(actor=user, batch=batch, attempted=attempted)

    def step(self, user: Any, batch: Batch, data: dict[str, Any], request: Request) -> None:
        services.batch_decide(
            actor=user, batch=batch, via_token=isinstance(request.auth, ApiToken), **data
        )


class BatchDeliveryView(_BatchStep):
    input = BatchDeliverySerializer

    @extend_schema(
        summary="Record a released batch's delivery",
        tags=["batches"],
        description="More than committed is a 400 unless `over_delivery_agreed` is true.",
        parameters=[CODE_PARAMETER, LOT_PARAMETER],
        request=BatchDeliverySerializer,
        responses={200: BatchSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, code: str, lot: str) -> Response:
        return super().post(request, code, lot)

    def step(self, user: Any, batch: Batch, data: dict[str, Any], request: Request) -> None:
        services.batch_record_delivery(actor=user, batch=batch, **data)


class BatchPlanView(_BatchStep):
    input = BatchPlanSerializer

    @extend_schema(
        summary="Change a batch's plan or record its start",
        tags=["batches"],
        description="For the program's CDMO team while QA has not decided the lot (then 409). "
        "Send only the fields that change.",
        parameters=[CODE_PARAMETER, LOT_PARAMETER],
        request=BatchPlanSerializer,
        responses={200: BatchSerializer, **error_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, code: str, lot: str) -> Response:
        return super().post(request, code, lot)

    def step(self, user: Any, batch: Batch, data: dict[str, Any], request: Request) -> None:
        services.batch_update(actor=user, batch=batch, **data)
