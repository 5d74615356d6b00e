"""The demo has a webhook endpoint with a failed and a replayed delivery, made without any
request leaving the machine, and seeding twice changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command

from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_failed_and_a_replayed_delivery(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.created_by.email == "sponsor@helix.example"
    statuses = dict(
        WebhookDelivery.objects.filter(endpoint=endpoint).values_list("status", "tries")
    )
    assert statuses == {"failed": 3, "delivered": 1}
    assert WebhookAttempt.objects.filter(replay=True, status_code=200).count() == 1
    assert not WebhookDelivery.objects.filter(status="pending").exists()
