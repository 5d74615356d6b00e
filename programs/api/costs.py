"""Costs over REST: the budget against committed and invoiced by driver, and change orders —
proposed by the program's CDMO team, decided once by a lead of the program's own sponsor.

Money travels as a decimal string (`"142000.00"`) in the program's currency, never a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from portal import access, bounds
from portal.access import Action
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.api.serializers import (
    PersonSerializer,
    StrictCharField,
    StrictLineField,
    StrictSerializer,
)
from portal.errors import NotAllowed
from programs import selectors
from programs.api.timeline import max_length
from programs.api.views import CODE_PARAMETER, ProgramList, program_from_url, program_grant_from_url
from programs.models import ChangeOrder, CostDriver
from programs.services import costs as services

_INTEGER_DIGITS = bounds.AMOUNT_DIGITS - bounds.AMOUNT_PLACES
AMOUNT_PATTERN = rf"^-?[0-9]{{1,{_INTEGER_DIGITS}}}(\.[0-9]{{1,2}})?$"
REFERENCE_PARAMETER = OpenApiParameter(
    "reference",
    str,
    OpenApiParameter.PATH,
    description="The change order's reference within the program, e.g. `CO-002`.",
    pattern=selectors.CHANGE_ORDER_REFERENCE.pattern,
)


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": AMOUNT_PATTERN,
        "example": "142000.00",
        "description": "An amount in the program's currency, as a decimal string.",
    }
)
class AmountField(serializers.DecimalField):
    """A decimal string with up to two places; a JSON number is refused (floats lose cents)."""

    default_error_messages = {"not_a_string": 'Send the amount as a string, e.g. "1250.00".'}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=bounds.AMOUNT_DIGITS, decimal_places=bounds.AMOUNT_PLACES, **kwargs
        )

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


TOTAL_PATTERN = rf"^-?[0-9]{{1,{bounds.TOTAL_DIGITS - bounds.AMOUNT_PLACES}}}(\.[0-9]{{1,2}})?$"


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": TOTAL_PATTERN,
        "example": "1842000.00",
        "description": "A total in the program's currency, as a decimal string.",
    }
)
class TotalField(serializers.DecimalField):
    """A sum of amounts, for output: it may need more digits than any one amount may have
    (many change orders at the largest amount), so it is not bound to an amount's 14 digits."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            max_digits=bounds.TOTAL_DIGITS, decimal_places=bounds.AMOUNT_PLACES, **kwargs
        )


class ChangeOrderSerializer(serializers.ModelSerializer):
    amount = AmountField(read_only=True)
    currency = serializers.CharField(source="program.currency", read_only=True)
    proposed_by = PersonSerializer(read_only=True)
    decided_by = PersonSerializer(read_only=True, allow_null=True)
    decided_on_behalf_of = PersonSerializer(
        read_only=True,
        allow_null=True,
        help_text="The sponsor lead whose delegation `decided_by` acted under; null when the "
        "lead decided themself.",
    )

    class Meta:
        model = ChangeOrder
        fields = [
            "reference",
            "title",
            "rationale",
            "amount",
            "currency",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_comment",
            "decided_on_behalf_of",
        ]
        read_only_fields = fields


class ChangeOrderCreateSerializer(StrictSerializer):
    title = StrictLineField(max_length=max_length(ChangeOrder, "title"))
    rationale = StrictCharField(help_text="Why the change is needed; the sponsor decides on it.")
    amount = AmountField(help_text="Negative for a reduction.")


class ChangeOrderDecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(
        [ChangeOrder.Status.APPROVED, ChangeOrder.Status.REJECTED],
        help_text="Final: a change order is decided once.",
    )
    comment = StrictCharField(help_text="Goes with the decision into the audit trail.")


class DriverCostsSerializer(serializers.Serializer):
    driver = serializers.ChoiceField(CostDriver.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    committed = TotalField()
    invoiced = TotalField()


class CostSummarySerializer(serializers.Serializer):
    currency = serializers.CharField()
    contract_value = AmountField(allow_null=True, help_text="Null until a budget is set.")
    approved_change_orders = TotalField()
    effective_budget = TotalField(help_text="Contract value plus approved change orders.")
    committed = TotalField(
        help_text="Cost lines: what the CDMO has committed to spend. Counts every line, "
        "including those whose detail the CDMO keeps internal."
    )
    invoiced = TotalField()
    remaining = TotalField(help_text="Effective budget minus committed.")
    pending_change_orders = serializers.IntegerField(help_text="Proposed, awaiting a decision.")
    pending_change_orders_value = TotalField()
    by_driver = DriverCostsSerializer(many=True)


class ChangeOrderListView(ProgramList, generics.GenericAPIView):
    serializer_class = ChangeOrderSerializer
    filter_backends = []

    @extend_schema(
        summary="List a program's change orders",
        tags=["costs"],
        description="Newest first, with status and decision.",
        parameters=[CODE_PARAMETER],
        responses={200: ChangeOrderSerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        page = self.paginate_queryset(selectors.change_order_list(user, program))
        return self.get_paginated_response(ChangeOrderSerializer(page, many=True).data)

    @extend_schema(
        summary="Propose a change order",
        tags=["costs"],
        description="For the program's CDMO team. It is numbered CO-001, CO-002 … per program, "
        "and the sponsor is told at once.",
        parameters=[CODE_PARAMETER],
        request=ChangeOrderCreateSerializer,
        responses={
            201: ChangeOrderSerializer,
            **error_responses(400, 401, 403, 404, 429),
        },
    )
    def post(self, request: Request, code: str) -> Response:
        user = api_user(request)
        grant = program_grant_from_url(user, code)
        grant.require(Action.EDIT_PROGRAM)
        program = grant.obj
        serializer = ChangeOrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change_order = services.change_order_propose(
            actor=user, program=program, **serializer.validated_data
        )
        return Response(ChangeOrderSerializer(change_order).data, status=status.HTTP_201_CREATED)


class ChangeOrderDecisionView(generics.GenericAPIView):
    serializer_class = ChangeOrderSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Approve or reject a change order",
        tags=["costs"],
        description="For a lead of the program's own sponsor, once, with a comment. Approving "
        "adds the amount to the effective budget. A second decision is a 409.",
        parameters=[CODE_PARAMETER, REFERENCE_PARAMETER],
        request=ChangeOrderDecisionSerializer,
        responses={
            200: ChangeOrderSerializer,
            **error_responses(400, 401, 403, 404, 409, 429),
        },
    )
    def post(self, request: Request, code: str, reference: str) -> Response:
        user = api_user(request)
        grant = program_grant_from_url(user, code)
        change_order = selectors.get_change_order_for_user(user, grant.obj, reference)
        if not access.may_decide_change_order(user, grant.obj):
            raise NotAllowed(services.CO_NOT_DECIDER)
        serializer = ChangeOrderDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        change_order = services.change_order_decide(
            actor=user, change_order=change_order, **serializer.validated_data
        )
        return Response(ChangeOrderSerializer(change_order).data)


class CostSummaryView(generics.GenericAPIView):
    serializer_class = CostSummarySerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Get a program's costs",
        tags=["costs"],
        description="Budget (contract value plus approved change orders) against committed "
        "and invoiced, in total and by cost driver.",
        parameters=[CODE_PARAMETER],
        responses={200: CostSummarySerializer, **error_responses(401, 404, 429)},
    )
    def get(self, request: Request, code: str) -> Response:
        user = api_user(request)
        program = program_from_url(user, code)
        summary = selectors.cost_summary(user, program)
        data = {
            "currency": summary.currency,
            "contract_value": summary.contract_value,
            "approved_change_orders": summary.approved_change_orders,
            "effective_budget": summary.effective_budget,
            "committed": summary.committed,
            "invoiced": summary.invoiced,
            "remaining": summary.remaining,
            "pending_change_orders": summary.pending_change_orders,
            "pending_change_orders_value": summary.pending_change_orders_value,
            "by_driver": selectors.cost_by_driver(user, program),
        }
        return Response(CostSummarySerializer(data).data)
