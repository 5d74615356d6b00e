"""The change feed: `GET /api/v1/events/?after=<cursor>`, for sponsors' systems that sync.

The same events as the live stream (`/events/`), with the same rule of who sees what, in the
order they became visible (portal/feed.py), a page at a time. Each page ends with the cursor to
ask from next; a client keeps it and asks again later. An event that says its record is gone or
withdrawn from the reader (deleted, removed, cancelled, withdrawn) is a tombstone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from portal import access
from portal.api.authentication import api_user
from portal.api.schema import error_responses
from portal.api.serializers import ErrorSerializer
from portal.feed import CursorError, Position, parse_cursor
from programs.models import Event
from programs.selectors import feed_events, feed_now, feed_start

NOW = "now"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# The last word of a verb that says the record is gone from the reader's view.
TOMBSTONE_ENDINGS = ("deleted", "removed", "cancelled", "withdrawn")
CURSOR_EXPIRED = (
    "This cursor is older than the {days} days the feed keeps. Read the lists again "
    "(`updated_after` helps) and continue from `oldest`."
)


def is_tombstone(verb: str) -> bool:
    return verb.rsplit(".", 1)[-1].endswith(TOMBSTONE_ENDINGS)


class FeedQuerySerializer(serializers.Serializer):
    after = serializers.CharField(required=False, max_length=200, trim_whitespace=True)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT
    )


class FeedSubjectSerializer(serializers.Serializer):
    type = serializers.CharField(source="subject_type", help_text="e.g. `deviations.deviation`.")
    id = serializers.CharField(source="subject_id", help_text="The record's id in that type.")


class FeedEventSerializer(serializers.ModelSerializer):
    program = serializers.CharField(source="program.code")
    subject = serializers.SerializerMethodField()
    tombstone = serializers.SerializerMethodField(
        help_text="The record is gone or withdrawn from your view (deleted, removed, "
        "cancelled, withdrawn): drop or mark your copy."
    )

    class Meta:
        model = Event
        fields = ["id", "program", "kind", "verb", "summary", "significance", "at", "url"]
        fields += ["subject", "tombstone"]
        read_only_fields = fields

    def get_subject(self, event: Event) -> dict[str, str] | None:
        if not event.subject_type:
            return None
        return {"type": event.subject_type, "id": event.subject_id}

    def get_tombstone(self, event: Event) -> bool:
        return is_tombstone(event.verb)


class FeedPageSerializer(serializers.Serializer):
    results = FeedEventSerializer(many=True)
    cursor = serializers.CharField(help_text="Ask from here next: `?after=<cursor>`.")
    has_more = serializers.BooleanField(help_text="More events are ready now.")


class CursorExpiredSerializer(ErrorSerializer):
    oldest = serializers.CharField(
        allow_null=True, help_text="The oldest cursor still retained (null: nothing retained)."
    )


def retained_since() -> Any:
    return timezone.now() - timedelta(days=settings.CHANGE_FEED_RETENTION_DAYS)


def caught_up(user: Any, after: Position) -> Position:
    """Where a client that found nothing new continues: past everything visible now, dated now,
    so that a quiet program's cursor does not age out of the retention."""
    now = feed_now(user=user)
    if (now.xid, now.id) > (after.xid, after.id):
        return now
    return Position(after.xid, after.id, now.at)


class ChangeFeedView(generics.GenericAPIView):
    serializer_class = FeedPageSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(
        summary="Read the change feed",
        tags=["events"],
        description=(
            "The events of the programs you may see, in the order they became visible, each "
            "at most once: the same events as the live stream, with only what your "
            "organisation may read. Without `after` the feed starts at the oldest event it "
            "keeps (`CHANGE_FEED_RETENTION_DAYS`, 90 by default); `after=now` starts after "
            "everything visible now. Keep the page's `cursor` and ask from it next: an event "
            "that commits late still comes after it. A cursor is your organisation's; another "
            "organisation's, or a damaged one, is a 400 naming `after`. One older than the "
            "retention is a 410 with the `oldest` cursor still kept."
        ),
        parameters=[
            OpenApiParameter(
                "after",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="A page's `cursor`, or `now`.",
            ),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description=f"Events per page, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT}).",
            ),
        ],
        responses={
            200: FeedPageSerializer,
            410: OpenApiResponse(CursorExpiredSerializer, description="The cursor expired."),
            **error_responses(400, 401, 429),
        },
    )
    def get(self, request: Request) -> Response:
        user = api_user(request)
        who = access.viewer(user)
        organisation_id = who.organisation_id if who is not None else 0  # no membership: no events
        query = FeedQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = retained_since()
        after = self._position(query.validated_data.get("after"), organisation_id, since)
        if isinstance(after, Response):
            return after
        limit = query.validated_data["limit"]
        events = feed_events(user=user, after=after, since=since, limit=limit + 1)
        page, has_more = events[:limit], len(events) > limit
        end = Position(page[-1].xid, page[-1].id, page[-1].at) if page else caught_up(user, after)
        body = {
            "results": page,
            "cursor": end.cursor(organisation_id),
            "has_more": has_more,
        }
        return Response(FeedPageSerializer(body).data)

    def _position(self, raw: str | None, organisation_id: int, since: Any) -> Position | Response:
        user = api_user(self.request)
        if raw == NOW:
            return feed_now(user=user)
        if raw is None:
            return feed_start(user=user, since=since) or feed_now(user=user)
        try:
            position = parse_cursor(raw, organisation_id)
        except CursorError as problem:
            raise serializers.ValidationError({"after": [str(problem)]}) from None
        if position.at >= since:
            return position
        oldest = feed_start(user=user, since=since)
        message = CURSOR_EXPIRED.format(days=settings.CHANGE_FEED_RETENTION_DAYS)
        body = {
            "error": {"code": "cursor_expired", "message": message, "fields": {}},
            "oldest": oldest.cursor(organisation_id) if oldest else None,
        }
        return Response(body, status=status.HTTP_410_GONE)
