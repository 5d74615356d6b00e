"""/api/v1/webhooks/: a sponsor lead's endpoints, the secret in the create and rotate answers
only, the delivery log and its replay; bad input is a 400 naming the field."""

import pytest

from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.integrations.conftest import queue_and_get, register, sponsor_comment
from tests.support.api import api_client, assert_error, post_json

pytestmark = pytest.mark.django_db

NEW = {"url": "https://93.184.215.14/hooks", "event_kinds": ["deviation", "update"]}


def test_a_lead_registers_an_endpoint_and_sees_its_secret_only_once(world):
    client = api_client(world, "lead_a")

    created = post_json(client, "/api/v1/webhooks/", {**NEW, "description": "QMS"})

    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_kinds"] == ["deviation", "update"]
    listed = client.get("/api/v1/webhooks/").json()["results"]
    assert [item["id"] for item in listed] == [body["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in client.get(f"/api/v1/webhooks/{body['id']}/").json()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**NEW, "url": "https://10.0.0.1/x"}, "url"),
        ({**NEW, "url": "http://93.184.215.14/x"}, "url"),
        ({**NEW, "event_kinds": []}, "event_kinds"),
        ({**NEW, "event_kinds": ["payroll"]}, "event_kinds"),
        ({**NEW, "event_kinds": [{}]}, "event_kinds"),
        ({**NEW, "colour": "red"}, "colour"),
        ({"event_kinds": ["update"]}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(world, data, field):
    response = post_json(api_client(world, "lead_a"), "/api/v1/webhooks/", data)

    error = assert_error(response, 400, "invalid")
    assert field in error["fields"]
    assert all(isinstance(message, str) for message in error["fields"][field])
    assert not WebhookEndpoint.objects.exists()


def test_a_viewer_is_refused_and_another_sponsors_endpoint_is_not_found(world):
    endpoint, _ = register(world, "https://93.184.215.14/hooks")

    assert_error(api_client(world, "viewer_a").get("/api/v1/webhooks/"), 403, "permission_denied")
    other = api_client(world, "lead_b")
    assert_error(other.get(f"/api/v1/webhooks/{endpoint.pk}/"), 404, "not_found")
    assert_error(post_json(other, f"/api/v1/webhooks/{endpoint.pk}/rotate/", {}), 404, "not_found")
    assert other.get("/api/v1/webhooks/").json()["results"] == []


def test_update_rotate_pause_resume_and_delete(world):
    client = api_client(world, "lead_a")
    endpoint, secret = register(world, "https://93.184.215.14/hooks")
    base = f"/api/v1/webhooks/{endpoint.pk}/"

    changed = post_json(client, base, {**NEW, "description": "LIMS"})
    assert changed.json()["description"] == "LIMS"
    rotated = post_json(client, f"{base}rotate/", {}).json()
    assert rotated["secret"] not in ("", secret)
    assert rotated["previous_secret_expires_at"]
    assert post_json(client, f"{base}pause/", {}).json()["status"] == "paused"
    assert_error(post_json(client, f"{base}pause/", {}), 409, "conflict")
    assert post_json(client, f"{base}resume/", {}).json()["status"] == "active"
    assert post_json(client, f"{base}delete/", {}).status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_the_delivery_log_and_a_replay(world, local_hooks):
    endpoint, _ = register(world, "http://127.0.0.1:9/hooks")
    delivery_id = queue_and_get(sponsor_comment(world)[1])
    client = api_client(world, "lead_a")

    log = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()["results"]
    replayed = post_json(
        client, f"/api/v1/webhooks/{endpoint.pk}/deliveries/{delivery_id}/replay/", {}
    )

    assert [item["event_type"] for item in log] == ["comment.posted"]
    assert log[0]["webhook_id"] == WebhookDelivery.objects.get().webhook_id
    assert replayed.status_code == 202
    assert replayed.json()["status"] == "pending"
    assert WebhookDelivery.objects.get().replay_requested is True
