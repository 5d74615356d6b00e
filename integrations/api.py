"""Webhook endpoints and their delivery log over REST, for a sponsor lead's own systems.

Like the rest of the API, writes are POSTs: create on the collection, change on the endpoint,
and one path per action (rotate, pause, resume, delete, replay). The secret appears in the
answer to create and rotate only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from integrations import selectors
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.services import common, deliveries, endpoints
from portal import access
from portal.api.authentication import api_user
from portal.api.conditional import ConditionalList
from portal.api.schema import error_responses
from portal.api.serializers import StrictLineField, StrictSerializer
from portal.errors import NotAllowed
from portal.models import User
from programs.models import Event

TAGS = ["webhooks"]
MAX_ID = 2**63 - 1


def _id(name: str, what: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        OpenApiParameter.PATH,
        description=what,
    )


ID = _id("id", "The endpoint's id.")
DELIVERY_ID = _id("delivery_id", "The delivery's id.")


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_kinds = serializers.ListField(child=serializers.ChoiceField(Event.Kind.choices))

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_kinds",
            "status",
            "paused_reason",
            "consecutive_failures",
            "previous_secret_expires_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (`whsec_…`). Shown in this answer only: keep it now.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class EventKindsField(serializers.ListField):
    """A list of activity-stream kinds whose errors name the item in one flat list of
    messages (the API's error shape), not DRF's nested {index: [...]}."""

    child = serializers.ChoiceField(Event.Kind.choices)

    def to_internal_value(self, data: Any) -> list[str]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict):
                flat = [
                    f"Item {index}: {' '.join(map(str, errors))}"
                    for index, errors in detail.items()
                ]
                raise serializers.ValidationError(flat) from exc
            raise


class WebhookEndpointInputSerializer(StrictSerializer):
    url = StrictLineField(max_length=500, help_text="https, resolving to public addresses only.")
    description = StrictLineField(max_length=200, required=False, allow_blank=True, default="")
    event_kinds = EventKindsField(
        allow_empty=False,
        max_length=len(Event.Kind.values),
        help_text="The activity-stream kinds to receive.",
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "latency_ms", "response_excerpt", "error", "replay"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="event.verb", read_only=True)
    program = serializers.CharField(source="event.program.code", read_only=True)
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "event_type",
            "program",
            "status",
            "tries",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "attempts",
        ]
        read_only_fields = fields


def _manager(request: Request) -> User:
    """A sponsor lead; anyone else who is signed in is refused (403)."""
    user = api_user(request)
    if not access.may_manage_webhooks(user):
        raise NotAllowed(common.NOT_WEBHOOK_MANAGER)
    return user


class WebhookListView(ConditionalList, generics.GenericAPIView):
    serializer_class = WebhookEndpointSerializer
    filter_backends = []

    @extend_schema(
        summary="List your webhook endpoints",
        tags=TAGS,
        description=(
            "Your organisation's endpoints. For a sponsor lead; anyone else gets a 403. A page "
            "past the end is a 404."
        ),
        responses={
            200: WebhookEndpointSerializer(many=True),
            **error_responses(401, 403, 404, 429),
        },
    )
    def get(self, request: Request) -> Response:
        user = _manager(request)
        page = self.paginate_queryset(selectors.endpoint_list(user=user))
        return self.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    @extend_schema(
        summary="Register a webhook endpoint",
        tags=TAGS,
        description=(
            "The URL must be https and resolve to public addresses only; a bad URL or an "
            "unknown event kind is a 400 naming the field. The answer carries the signing "
            "secret, which is never shown again."
        ),
        request=WebhookEndpointInputSerializer,
        responses={
            201: WebhookEndpointWithSecretSerializer,
            **error_responses(400, 401, 403, 429),
        },
    )
    def post(self, request: Request) -> Response:
        user = _manager(request)
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = endpoints.webhook_endpoint_create(
            actor=user, **serializer.validated_data
        )
        return _with_secret(endpoint, secret, status.HTTP_201_CREATED)


def _with_secret(endpoint: WebhookEndpoint, secret: str, code: int) -> Response:
    data = {**WebhookEndpointSerializer(endpoint).data, "secret": secret}
    return Response(data, status=code)


class WebhookDetailView(generics.GenericAPIView):
    serializer_class = WebhookEndpointSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Get a webhook endpoint",
        tags=TAGS,
        parameters=[ID],
        responses={200: WebhookEndpointSerializer, **error_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request, id: int) -> Response:
        endpoint = selectors.get_endpoint_for_user(_manager(request), id)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        summary="Change a webhook endpoint",
        operation_id="webhooks_update",
        tags=TAGS,
        description="Replaces its URL, description and event kinds (the same rules as create).",
        parameters=[ID],
        request=WebhookEndpointInputSerializer,
        responses={200: WebhookEndpointSerializer, **error_responses(400, 401, 403, 404, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        user = _manager(request)
        endpoint = selectors.get_endpoint_for_user(user, id)
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = endpoints.webhook_endpoint_update(
            actor=user, endpoint=endpoint, **serializer.validated_data
        )
        return Response(WebhookEndpointSerializer(endpoint).data)


class _EndpointAction(generics.GenericAPIView):
    serializer_class = WebhookEndpointSerializer
    filter_backends = []
    pagination_class = None

    def endpoint(self, request: Request, id: int) -> tuple[User, WebhookEndpoint]:
        user = _manager(request)
        return user, selectors.get_endpoint_for_user(user, id)


class WebhookRotateView(_EndpointAction):
    @extend_schema(
        summary="Rotate an endpoint's signing secret",
        tags=TAGS,
        description=(
            "The answer carries the new secret, shown once. The previous secret keeps signing, "
            "next to the new one, until `previous_secret_expires_at`."
        ),
        parameters=[ID],
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer, **error_responses(401, 403, 404, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        user, endpoint = self.endpoint(request, id)
        endpoint, secret = endpoints.webhook_endpoint_rotate(actor=user, endpoint=endpoint)
        return _with_secret(endpoint, secret, status.HTTP_200_OK)


class WebhookPauseView(_EndpointAction):
    @extend_schema(
        summary="Pause an endpoint",
        tags=TAGS,
        description="Events wait, pending, until it is resumed. Pausing it again is a 409.",
        parameters=[ID],
        request=None,
        responses={200: WebhookEndpointSerializer, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        user, endpoint = self.endpoint(request, id)
        endpoint = endpoints.webhook_endpoint_pause(actor=user, endpoint=endpoint)
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookResumeView(_EndpointAction):
    @extend_schema(
        summary="Resume a paused endpoint",
        tags=TAGS,
        description="What waited is sent. Resuming an active endpoint is a 409.",
        parameters=[ID],
        request=None,
        responses={200: WebhookEndpointSerializer, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        user, endpoint = self.endpoint(request, id)
        endpoint = endpoints.webhook_endpoint_resume(actor=user, endpoint=endpoint)
        return Response(WebhookEndpointSerializer(endpoint).data)


class WebhookDeleteView(_EndpointAction):
    @extend_schema(
        summary="Remove an endpoint",
        tags=TAGS,
        description="With its delivery log; the audit trail keeps its last values.",
        parameters=[ID],
        request=None,
        responses={204: None, **error_responses(401, 403, 404, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        user, endpoint = self.endpoint(request, id)
        endpoints.webhook_endpoint_delete(actor=user, endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(ConditionalList, generics.GenericAPIView):
    serializer_class = WebhookDeliverySerializer
    filter_backends = []

    @staticmethod
    def changed_since(moment: datetime) -> Q:
        """`updated_after`: queued, attempted or delivered since."""
        return Q(created_at__gt=moment) | Q(delivered_at__gt=moment) | Q(attempts__at__gt=moment)

    @extend_schema(
        summary="An endpoint's delivery log",
        tags=TAGS,
        description=(
            "Deliveries newest first, each with every attempt (status, latency, excerpt). A "
            "page past the end is a 404."
        ),
        parameters=[ID],
        responses={
            200: WebhookDeliverySerializer(many=True),
            **error_responses(401, 403, 404, 429),
        },
    )
    def get(self, request: Request, id: int) -> Response:
        user = _manager(request)
        endpoint = selectors.get_endpoint_for_user(user, id)
        page = self.paginate_queryset(selectors.delivery_list(endpoint=endpoint))
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookReplayView(generics.GenericAPIView):
    serializer_class = WebhookDeliverySerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Replay a delivery",
        tags=TAGS,
        description=(
            "Sends it again as a new attempt with the same `webhook-id` and body, so a "
            "receiver that keeps ids sees a duplicate, not a new event. A paused endpoint is "
            "a 409: resume it first."
        ),
        parameters=[ID, DELIVERY_ID],
        request=None,
        responses={202: WebhookDeliverySerializer, **error_responses(401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, id: int, delivery_id: int) -> Response:
        user = _manager(request)
        delivery = selectors.get_delivery_for_user(user, id, delivery_id)
        delivery = deliveries.webhook_delivery_replay(actor=user, delivery=delivery)
        found = selectors.get_delivery_for_user(user, id, delivery.pk)
        return Response(WebhookDeliverySerializer(found).data, status=status.HTTP_202_ACCEPTED)
