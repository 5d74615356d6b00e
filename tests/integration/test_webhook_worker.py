"""A real Celery worker sends a webhook once the event's transaction commits: the hand-off in
programs/changes.py queues the delivery rows, the send task signs and posts them, and the
receiver started by the test verifies the request with the `standardwebhooks` verifier."""

from __future__ import annotations

import pytest
from standardwebhooks.webhooks import Webhook

from comms.services.conversations import comment_post
from integrations.models import WebhookDelivery
from integrations.services import endpoints
from tests.comms.conversation_data import shared_update
from tests.integration.test_celery_worker import DELIVERY_TIMEOUT, running_worker, wait_until
from tests.integrations.receiver import receiver

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_the_worker_sends_a_signed_webhook_after_commit(world, monkeypatch, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    allow = {"WEBHOOKS_ALLOW_PRIVATE": "1", "WEBHOOKS_ALLOW_HTTP": "1"}
    with receiver() as hook, running_worker(monkeypatch, **allow) as worker:
        _endpoint, secret = endpoints.webhook_endpoint_create(
            actor=world.lead_a, url=hook.url, event_kinds=["comment"]
        )
        update = shared_update(world, title="Fill line qualified", audience="sponsor")

        comment_post(actor=world.lead_a, target=update, body="Received, thank you.")

        arrived = wait_until(lambda: len(hook.requests) >= 1, DELIVERY_TIMEOUT)
        assert arrived, f"nothing arrived; the worker said:\n{worker.output.text[-4000:]}"
        assert wait_until(
            lambda: WebhookDelivery.objects.filter(status="delivered").exists(), DELIVERY_TIMEOUT
        )
    [request] = hook.requests
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "comment.posted"
    assert request.headers["webhook-id"] == WebhookDelivery.objects.get().webhook_id
