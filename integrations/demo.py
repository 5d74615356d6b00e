"""Demo webhooks: Helix's lead has one endpoint (a local URL that answers nothing, so no
demo run ever reaches the network), with a delivery that failed for good and one that failed,
was replayed from the log and went through.

The rows are written directly, attempts included: seeding must not send anything, and the
registration service would (rightly) refuse a loopback URL outside a test.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from integrations.services import common, deliveries, endpoints
from portal import audit
from portal.access import Audience
from portal.models import AuditEntry
from programs.models import Event

if TYPE_CHECKING:
    from programs.demo import Demo

HELIX_LEAD = "sponsor@helix.example"
URL = "http://127.0.0.1:9/helix/portal-events"
KINDS = ["update", "deviation", "milestone", "comment"]
REFUSED = "ConnectionRefusedError: [Errno 111] Connection refused"


def seed(demo: Demo) -> None:
    helix = demo.organisations["helix"]
    if WebhookEndpoint.objects.filter(organisation=helix).exists():
        return
    lead = demo.people[HELIX_LEAD]
    endpoint = WebhookEndpoint(
        organisation=helix,
        url=URL,
        description="Helix QMS bridge (demo: nothing listens here)",
        event_kinds=KINDS,
        created_by=lead,
    )
    endpoint.full_clean()
    endpoint.save()
    audit.record(
        actor=lead,
        action=AuditEntry.Action.CREATE,
        instance=endpoint,
        changes={name: [None, value] for name, value in common.public_snapshot(endpoint).items()},
        reason=endpoints.ENDPOINT_CREATED,
    )
    events = list(
        Event.objects.filter(
            program=demo.programs["HLX-101"], audience=Audience.SPONSOR, kind__in=KINDS
        )
        .select_related("program")
        .order_by("-id")[:2]
    )
    now = timezone.now()
    for index, event in enumerate(events):
        replayed = index == 0
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            payload=deliveries.payload(event),
            status=WebhookDelivery.Status.DELIVERED if replayed else WebhookDelivery.Status.FAILED,
            tries=1 if replayed else 3,
            next_attempt_at=now,
            delivered_at=now if replayed else None,
        )
        if replayed:
            WebhookAttempt.objects.create(
                delivery=delivery,
                status_code=503,
                latency_ms=41,
                response_excerpt="Service Unavailable",
            )
            WebhookAttempt.objects.create(
                delivery=delivery,
                status_code=200,
                latency_ms=37,
                response_excerpt="ok",
                replay=True,
            )
        else:
            for _ in range(3):
                WebhookAttempt.objects.create(delivery=delivery, latency_ms=1, error=REFUSED)
        WebhookAttempt.objects.filter(delivery=delivery).update(
            at=now - datetime.timedelta(hours=2 - index)
        )
