"""The pages of every API list, and `updated_after`, which every list takes: a client that
synced at some moment asks for what was created or changed since, and reads deletions and
withdrawals from the change feed (`/api/v1/events/`).

A record counts as changed when the audit trail has an entry for it after the moment (every
service writes one for each create and change). A list of records the audit trail does not
follow (notifications, webhook deliveries) names its own test with a `changed_since(moment)`
method on its view that returns a Q.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import CharField, Exists, OuterRef, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from portal import bounds
from portal.models import AuditEntry

UPDATED_AFTER = "updated_after"
UNPARSEABLE = (
    "Use an ISO 8601 moment with its offset, such as 2026-12-01T09:00:00Z or "
    "2026-12-01T10:00:00+01:00."
)
NO_OFFSET = "Add the offset to the moment (Z for UTC), so that it names one instant."
IN_THE_FUTURE = "This moment is in the future: nothing has changed after it yet."


def updated_after(request: Request) -> datetime | None:
    """The moment of `?updated_after=`, if given; a 400 naming it when it is not one, or
    lies in the future."""
    raw = request.query_params.get(UPDATED_AFTER)
    if raw is None:
        return None
    try:
        moment = parse_datetime(raw.strip())
    except ValueError:
        moment = None
    if moment is None:
        raise serializers.ValidationError({UPDATED_AFTER: [UNPARSEABLE]})
    if timezone.is_naive(moment):
        raise serializers.ValidationError({UPDATED_AFTER: [NO_OFFSET]})
    if moment > timezone.now():
        raise serializers.ValidationError({UPDATED_AFTER: [IN_THE_FUTURE]})
    # Nothing was recorded before the earliest moment the portal takes (portal/bounds.py),
    # and the database takes offsets of at most 15:59: in UTC, from there on, it is the same.
    return max(moment, bounds.EARLIEST_MOMENT).astimezone(UTC)


def changed_since(queryset: QuerySet[Any], moment: datetime, view: Any) -> QuerySet[Any]:
    own_test = getattr(view, "changed_since", None)
    if own_test is not None:
        return queryset.filter(own_test(moment))
    audited = AuditEntry.objects.filter(
        model=queryset.model._meta.label_lower,
        object_pk=Cast(OuterRef("pk"), CharField()),
        at__gt=moment,
    )
    return queryset.filter(Exists(audited))


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        moment = updated_after(request)
        if moment is not None:
            queryset = changed_since(queryset, moment, view)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": UPDATED_AFTER,
                "required": False,
                "in": "query",
                "description": "Only the records created or changed after this moment (ISO "
                "8601 with its offset, not in the future). Deletions and withdrawals are in "
                "the change feed, `/api/v1/events/`.",
                "schema": {"type": "string", "format": "date-time"},
            },
        ]
