"""Reads: a sponsor lead's webhook endpoints and their delivery log."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from portal import access
from portal.models import User

LOG_LENGTH = 50


def _with_counts(endpoints: QuerySet[WebhookEndpoint]) -> QuerySet[WebhookEndpoint]:
    pending = Q(deliveries__status=WebhookDelivery.Status.PENDING)
    failed = Q(deliveries__status=WebhookDelivery.Status.FAILED)
    return endpoints.annotate(
        pending=Count("deliveries", filter=pending), failed=Count("deliveries", filter=failed)
    ).order_by("id")


def endpoint_list(*, user: User) -> QuerySet[WebhookEndpoint]:
    """The endpoints of the user's own organisation, for its sponsor lead; none for anyone else."""
    who = access.viewer(user)
    if who is None or not access.may_manage_webhooks(user):
        return WebhookEndpoint.objects.none()
    return _with_counts(WebhookEndpoint.objects.filter(organisation_id=who.organisation_id))


def endpoint_overview(*, user: User) -> QuerySet[WebhookEndpoint]:
    """Every sponsor's endpoints, for CDMO leadership to see which integrations are failing
    (read-only: no secrets, no changes); none for anyone else."""
    if not access.is_leadership(user):
        return WebhookEndpoint.objects.none()
    return _with_counts(WebhookEndpoint.objects.select_related("organisation", "created_by"))


def get_endpoint_for_user(user: User, pk: int) -> WebhookEndpoint:
    endpoint = endpoint_list(user=user).filter(pk=pk).first()
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def delivery_list(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """An endpoint's deliveries, newest first, each with its attempts (newest first)."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .select_related("event__program")
        .prefetch_related(Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("-id")))
    )


def get_delivery_for_user(user: User, endpoint_pk: int, pk: int) -> WebhookDelivery:
    endpoint = get_endpoint_for_user(user, endpoint_pk)
    delivery = delivery_list(endpoint=endpoint).filter(pk=pk).first()
    if delivery is None:
        raise Http404("No such delivery.")
    return delivery
