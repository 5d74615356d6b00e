"""Your own notifications and notification preferences over REST. Nobody sees another
person's: someone else's notification id is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from comms import selectors
from comms.models import Notification, Timing
from comms.services import notifications
from portal.api.authentication import api_user
from portal.api.conditional import ConditionalList
from portal.api.schema import error_responses
from portal.api.serializers import StrictSerializer
from programs.models import Event

TAGS = ["notifications"]
MAX_ID = 2**31 - 1
UNREAD_PARAMETER = OpenApiParameter(
    "unread",
    bool,
    OpenApiParameter.QUERY,
    description="`true`: only notifications you have not read.",
)


class NotificationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="Use it to mark it read.")
    program = serializers.SerializerMethodField(help_text="The program's code, if any.")
    kind = serializers.SerializerMethodField(help_text="The kind of event (null for older rows).")

    class Meta:
        model = Notification
        fields = ["id", "subject", "url", "significance", "program", "kind", "created_at"]
        fields += ["read_at"]
        read_only_fields = fields

    def get_program(self, obj: Notification) -> str | None:
        if obj.event is not None:
            return obj.event.program.code
        return obj.update.program.code if obj.update is not None else None

    def get_kind(self, obj: Notification) -> str | None:
        return obj.event.kind if obj.event is not None else None


BAD_IDS = f"A list of notification ids, each a whole number from 1 to {MAX_ID}."
NOT_A_BOOLEAN = "Must be true or false."
BAD_TIMINGS = (
    "Each kind's timing is one of immediately, daily, weekly, off, or null for the default."
)


class IdListField(serializers.ListField):
    """Ids, with one message for the whole list (the error shape keeps a list per field)."""

    def to_internal_value(self, data: Any) -> list[int]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError(BAD_IDS) from exc
            raise


class TimingsField(serializers.DictField):
    """Kind → timing, with one message for the whole object."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if isinstance(exc.detail, dict):
                raise serializers.ValidationError(BAD_TIMINGS) from exc
            raise


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: not 0, 1 or "yes"."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            raise serializers.ValidationError(NOT_A_BOOLEAN)
        return data


class MarkReadSerializer(StrictSerializer):
    ids = IdListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=500,
        required=False,
        help_text="The notifications to mark read; leave out to mark all read.",
    )


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many were unread and are now read.")


class PreferencesSerializer(StrictSerializer):
    kinds = TimingsField(
        child=serializers.ChoiceField(Timing.choices, allow_null=True),
        help_text=(
            "Email timing per kind of event (`" + "`, `".join(Event.Kind.values) + "`): "
            "`immediately`, `daily`, `weekly`, `off`, or null for the default (notable "
            "events at once, the rest in the daily digest). Critical events are always "
            "emailed at once. Kinds left out keep their setting."
        ),
    )
    digest_hour = serializers.IntegerField(
        min_value=0, max_value=23, help_text="Hour of your digests, in your time zone."
    )
    digest_weekday = serializers.IntegerField(
        min_value=0, max_value=6, help_text="Day of the weekly digest: 0 Monday … 6 Sunday."
    )
    digests_enabled = StrictBooleanField(help_text="False: no digest emails at all.")
    time_zone = serializers.CharField(read_only=True, help_text="Your time zone.")

    def validate_kinds(self, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - set(Event.Kind.values))
        if unknown:
            raise serializers.ValidationError(f"Unknown kinds of event: {', '.join(unknown)}.")
        return value


def _preferences(user: Any) -> dict[str, Any]:
    chosen, schedule = selectors.notification_preferences(user=user)
    return {
        "kinds": {kind: chosen.get(kind) for kind in Event.Kind.values},
        "digest_hour": schedule.hour,
        "digest_weekday": schedule.weekday,
        "digests_enabled": schedule.enabled,
        "time_zone": user.time_zone,
    }


class NotificationListView(ConditionalList, generics.GenericAPIView):
    serializer_class = NotificationSerializer
    filter_backends = []
    queryset = Notification.objects.none()  # the model, for the schema; rows from selectors

    @staticmethod
    def changed_since(moment: datetime) -> Q:
        """`updated_after`: new since, or read since (the audit trail does not follow reads)."""
        return Q(event__at__gt=moment) | Q(read_at__gt=moment)

    @extend_schema(
        summary="List your notifications",
        tags=TAGS,
        description="Your own in-app notifications, newest first.",
        parameters=[UNREAD_PARAMETER],
        responses={200: NotificationSerializer(many=True), **error_responses(401, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        user = api_user(request)
        unread = request.query_params.get("unread") in ("true", "1")
        rows = selectors.notification_list(user=user, unread=unread)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationReadView(generics.GenericAPIView):
    serializer_class = NotificationSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Mark a notification read",
        tags=TAGS,
        operation_id="notification_read",
        parameters=[
            OpenApiParameter(
                "id",
                {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                OpenApiParameter.PATH,
                description="The notification's id.",
            )
        ],
        request=None,
        responses={200: NotificationSerializer, **error_responses(401, 404, 429)},
    )
    def post(self, request: Request, id: int) -> Response:
        user = api_user(request)
        notification = selectors.notification_list(user=user).filter(pk=id).first()
        if notification is None:
            raise Http404("No such notification.")
        notifications.notifications_mark_read(user=user, ids=[notification.pk])
        notification.refresh_from_db(fields=["read_at"])
        return Response(NotificationSerializer(notification).data)


class NotificationReadAllView(generics.GenericAPIView):
    serializer_class = MarkedSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Mark notifications read",
        tags=TAGS,
        operation_id="notifications_read",
        description="The ids given, or all your unread notifications; others' ids are ignored.",
        request=MarkReadSerializer,
        responses={200: MarkedSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        user = api_user(request)
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ids = serializer.validated_data.get("ids")
        marked = notifications.notifications_mark_read(user=user, ids=ids)
        return Response({"marked": marked})


class NotificationPreferencesView(generics.GenericAPIView):
    serializer_class = PreferencesSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        summary="Get your notification preferences",
        tags=TAGS,
        responses={200: PreferencesSerializer, **error_responses(401, 429)},
    )
    def get(self, request: Request) -> Response:
        return Response(_preferences(api_user(request)))

    @extend_schema(
        summary="Set your notification preferences",
        tags=TAGS,
        description=(
            "Send every field; kinds left out of `kinds` keep their setting. Invalid input is "
            "a 400 naming the fields, and changes nothing."
        ),
        request=PreferencesSerializer,
        responses={200: PreferencesSerializer, **error_responses(400, 401, 429)},
    )
    def post(self, request: Request) -> Response:
        user = api_user(request)
        serializer = PreferencesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        chosen, _ = selectors.notification_preferences(user=user)
        timings = {kind: chosen.get(kind) or "" for kind in Event.Kind.values}
        timings.update({kind: timing or "" for kind, timing in data["kinds"].items()})
        notifications.notification_preferences_save(
            user=user,
            timings=timings,
            hour=data["digest_hour"],
            weekday=data["digest_weekday"],
            digests_enabled=data["digests_enabled"],
        )
        return Response(_preferences(user))
