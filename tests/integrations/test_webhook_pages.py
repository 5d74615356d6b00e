"""The sponsor lead's webhook pages: register with the secret shown once, inline errors over
HTMX, the endpoint's log with replay, rotation, pause and removal; query counts that do not
grow with the log."""

import pytest

from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.integrations.conftest import register, sponsor_comment
from tests.support.queries import HTMX, count_queries
from tests.support.world import client_for

pytestmark = pytest.mark.django_db


def test_a_lead_registers_an_endpoint_over_htmx_and_sees_the_secret_once(world):
    client = client_for(world, "lead_a")

    response = client.post(
        "/settings/webhooks/",
        {"url": "https://93.184.215.14/hooks", "event_kinds": ["deviation"]},
        headers=HTMX,
    )

    endpoint = WebhookEndpoint.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert endpoint.secret in page
    assert 'id="webhooks"' in page
    assert "<html" not in page
    assert endpoint.secret not in client.get("/settings/webhooks/").content.decode()
    assert endpoint.secret not in client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()


def test_a_private_address_is_refused_inline(world):
    response = client_for(world, "lead_a").post(
        "/settings/webhooks/",
        {"url": "https://169.254.169.254/latest", "event_kinds": ["deviation"]},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert "public addresses only" in response.content.decode()
    assert "id_url_error" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotating_shows_the_new_secret_once(world):
    endpoint, old = register(world, "https://93.184.215.14/hooks")

    response = client_for(world, "lead_a").post(f"/settings/webhooks/{endpoint.pk}/rotate/")

    endpoint.refresh_from_db()
    assert endpoint.secret in response.content.decode()
    assert old not in response.content.decode()


def test_pause_resume_and_remove(world):
    endpoint, _ = register(world, "https://93.184.215.14/hooks")
    client = client_for(world, "lead_a")

    client.post(f"/settings/webhooks/{endpoint.pk}/pause/")
    endpoint.refresh_from_db()
    assert endpoint.status == "paused"
    client.post(f"/settings/webhooks/{endpoint.pk}/resume/")
    endpoint.refresh_from_db()
    assert endpoint.status == "active"
    assert client.post(f"/settings/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


def _log(endpoint, world, n: int) -> None:
    for i in range(n):
        _, event = sponsor_comment(world, body=f"c{i}")
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, payload="{}", next_attempt_at=event.at
        )
        WebhookAttempt.objects.create(delivery=delivery, status_code=500, error="")
        WebhookAttempt.objects.create(delivery=delivery, status_code=200, replay=True)


def test_the_endpoint_page_shows_the_log_with_a_constant_query_count(world):
    endpoint, _ = register(world, "https://93.184.215.14/hooks")
    client = client_for(world, "lead_a")
    url = f"/settings/webhooks/{endpoint.pk}/"
    _log(endpoint, world, 1)
    small = count_queries(client, url)
    _log(endpoint, world, 30)
    large = count_queries(client, url)

    assert large == small
    assert small <= 15
    assert "replay" in client.get(url).content.decode()


def test_the_list_page_has_a_constant_query_count(world):
    client = client_for(world, "lead_a")
    register(world, "https://93.184.215.14/hooks")
    small = count_queries(client, "/settings/webhooks/")
    for _ in range(20):
        endpoint, _ = register(world, "https://93.184.215.14/hooks")
        _log(endpoint, world, 1)
    large = count_queries(client, "/settings/webhooks/")

    assert large == small
    assert small <= 10


def test_leadership_sees_every_sponsors_endpoints_without_secrets(world):
    endpoint, secret = register(world, "https://93.184.215.14/hooks")
    client = client_for(world, "leader")

    page = client.get("/integrations/webhooks/").content.decode()

    assert endpoint.url in page
    assert secret not in page
    small = count_queries(client, "/integrations/webhooks/")
    for _ in range(10):
        register(world, "https://93.184.215.14/more")
    assert count_queries(client, "/integrations/webhooks/") == small
