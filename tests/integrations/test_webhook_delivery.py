"""Webhook deliveries end to end against a real HTTP receiver: signed per Standard Webhooks
(checked by the `standardwebhooks` verifier), retried with backoff, replayed with the same
webhook-id, signed with both secrets during a rotation, and paused when they keep failing."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from comms.services.conversations import comment_post
from integrations.models import EXCERPT_LIMIT, WebhookDelivery, WebhookEndpoint
from integrations.services import deliveries, endpoints
from portal.models import AuditEntry
from tests.comms.conversation_data import shared_update
from tests.integrations.conftest import queue_and_get, register, sponsor_comment
from tests.integrations.receiver import receiver

pytestmark = pytest.mark.django_db


def send(delivery_id: int) -> bool:
    return deliveries.webhook_delivery_send(delivery_id=delivery_id)


def test_a_delivery_is_signed_so_that_the_standard_verifier_accepts_it(world, local_hooks):
    with receiver() as hook:
        _endpoint, secret = register(world, hook.url)
        comment, event = sponsor_comment(world)
        delivery_id = queue_and_get(event)

        assert send(delivery_id) is True

    [request] = hook.requests
    assert request.path == "/hooks/portal"
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "comment.posted"
    assert payload["data"]["program"] == "HLX-101"
    assert payload["data"]["kind"] == "comment"
    assert payload["data"]["subject"] == {"type": "comms.comment", "id": str(comment.pk)}
    assert payload["data"]["url"].startswith("http")
    assert "Thanks, noted." in payload["data"]["summary"]
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    assert request.headers["webhook-id"] == delivery.webhook_id
    assert delivery.status == "delivered"
    [attempt] = delivery.attempts.all()
    assert (attempt.status_code, attempt.response_excerpt) == (200, "ok")


def test_a_wrong_secret_or_a_changed_body_does_not_verify(world, local_hooks):
    with receiver() as hook:
        register(world, hook.url)
        _, event = sponsor_comment(world)
        send(queue_and_get(event))
    [request] = hook.requests
    other = endpoints.webhook_endpoint_create(
        actor=world.lead_a, url=hook.url, event_kinds=["comment"]
    )[1]

    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(request.body, request.headers)
    endpoint = WebhookEndpoint.objects.first()
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(request.body + b" ", request.headers)


def test_only_events_the_sponsor_may_read_are_queued(world, local_hooks):
    register(world, "http://127.0.0.1:9/hooks", kinds=["comment", "update"])
    update = shared_update(world, title="Fill line qualified", audience="sponsor")
    note = comment_post(actor=world.pm, target=update, body="Quillon", audience="internal")
    internal = world.program.events.get(subject_id=str(note.pk), verb="note.posted")
    other_update = shared_update(world, program=world.program_b, title="Borealis news")
    other = comment_post(actor=world.lead_b, target=other_update, body="B only")
    elsewhere = world.program_b.events.get(subject_id=str(other.pk))

    assert deliveries.webhook_deliveries_queue(event_ids=[internal.pk, elsewhere.pk]) == []
    assert not WebhookDelivery.objects.exists()


def test_an_event_of_a_kind_not_chosen_is_not_queued(world, local_hooks):
    register(world, "http://127.0.0.1:9/hooks", kinds=["deviation"])
    _, event = sponsor_comment(world)

    assert deliveries.webhook_deliveries_queue(event_ids=[event.pk]) == []


def test_queueing_an_event_twice_makes_one_delivery(world, local_hooks):
    register(world, "http://127.0.0.1:9/hooks")
    _, event = sponsor_comment(world)

    first = deliveries.webhook_deliveries_queue(event_ids=[event.pk])
    again = deliveries.webhook_deliveries_queue(event_ids=[event.pk])

    assert len(first) == 1
    assert again == []
    assert WebhookDelivery.objects.count() == 1


def test_a_failure_is_retried_after_a_growing_wait_with_the_same_webhook_id(world, local_hooks):
    local_hooks.WEBHOOK_RETRY_BASE_SECONDS = 30
    with receiver((503, "busy"), (500, "still busy"), (200, "ok")) as hook:
        register(world, hook.url)
        _, event = sponsor_comment(world)
        delivery_id = queue_and_get(event)
        start = timezone.now()

        assert send(delivery_id) is False
        delivery = WebhookDelivery.objects.get(pk=delivery_id)
        assert delivery.status == "pending"
        assert 29 <= (delivery.next_attempt_at - start).total_seconds() <= 31
        assert send(delivery_id) is False  # not due yet: nothing sent
        assert len(hook.requests) == 1

        with time_machine.travel(start + datetime.timedelta(seconds=31), tick=True):
            assert send(delivery_id) is False
        delivery.refresh_from_db()
        assert 59 <= (delivery.next_attempt_at - start).total_seconds() - 31 <= 62

        with time_machine.travel(start + datetime.timedelta(seconds=95), tick=True):
            assert send(delivery_id) is True

    assert len(hook.requests) == 3
    assert len({request.headers["webhook-id"] for request in hook.requests}) == 1
    assert len({request.body for request in hook.requests}) == 1
    codes = [a.status_code for a in WebhookDelivery.objects.get(pk=delivery_id).attempts.all()]
    assert codes == [200, 500, 503]


def test_the_wait_doubles_up_to_its_cap(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 300

    assert [deliveries.backoff_seconds(n) for n in range(1, 7)] == [30, 60, 120, 240, 300, 300]


def test_tries_are_bounded_and_then_the_delivery_has_failed(world, local_hooks):
    local_hooks.WEBHOOK_MAX_TRIES = 2
    local_hooks.WEBHOOK_RETRY_BASE_SECONDS = 1
    with receiver((500, "no")) as hook:
        register(world, hook.url)
        _, event = sponsor_comment(world)
        delivery_id = queue_and_get(event)
        send(delivery_id)
        with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5), tick=True):
            send(delivery_id)
            assert send(delivery_id) is False

    assert len(hook.requests) == 2
    assert WebhookDelivery.objects.get(pk=delivery_id).status == "failed"


def test_a_replay_is_a_new_attempt_with_the_same_webhook_id_and_body(world, local_hooks):
    with receiver() as hook:
        endpoint, _ = register(world, hook.url)
        _, event = sponsor_comment(world)
        delivery_id = queue_and_get(event)
        send(delivery_id)
        delivery = WebhookDelivery.objects.get(pk=delivery_id)

        deliveries.webhook_delivery_replay(actor=world.lead_a, delivery=delivery)
        assert send(delivery_id) is True

    first, replayed = hook.requests
    assert first.headers["webhook-id"] == replayed.headers["webhook-id"] == delivery.webhook_id
    assert first.body == replayed.body
    attempts = list(delivery.attempts.order_by("id"))
    assert [a.replay for a in attempts] == [False, True]
    assert AuditEntry.objects.filter(
        model="integrations.webhookendpoint", object_pk=str(endpoint.pk), actor=world.lead_a
    ).exists()


def test_during_a_rotation_both_secrets_verify_and_after_it_only_the_new_one(world, local_hooks):
    local_hooks.WEBHOOK_SECRET_OVERLAP_SECONDS = 3600
    with receiver() as hook:
        endpoint, old = register(world, hook.url)
        endpoint, new = endpoints.webhook_endpoint_rotate(actor=world.lead_a, endpoint=endpoint)
        _, event = sponsor_comment(world)
        send(queue_and_get(event))
        [during] = hook.requests
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        Webhook(old).verify(during.body, during.headers)
        Webhook(new).verify(during.body, during.headers)
        _, later_event = sponsor_comment(world, body="Second")
        later = queue_and_get(later_event)
        with time_machine.travel(timezone.now() + datetime.timedelta(hours=2), tick=True):
            send(later)
            after = hook.requests[1]
            assert len(after.headers["webhook-signature"].split(" ")) == 1
            Webhook(new).verify(after.body, after.headers)
            with pytest.raises(WebhookVerificationError):
                Webhook(old).verify(after.body, after.headers)
    assert old != new
    assert new.startswith("whsec_")


def test_an_endpoint_that_keeps_failing_is_paused_and_its_owner_told(
    world, local_hooks, mailoutbox, django_capture_on_commit_callbacks
):
    local_hooks.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    local_hooks.WEBHOOK_PAUSE_AFTER_SECONDS = 60
    local_hooks.WEBHOOK_RETRY_BASE_SECONDS = 1
    with receiver((500, "down")) as hook:
        endpoint, _ = register(world, hook.url)
        ids = [queue_and_get(sponsor_comment(world, body=f"n{i}")[1]) for i in range(4)]
        start = timezone.now()
        send(ids[0])
        send(ids[1])
        send(ids[2])  # three in a row, but failing for less than the span: still active
        endpoint.refresh_from_db()
        assert endpoint.status == "active"
        with (
            time_machine.travel(start + datetime.timedelta(seconds=90), tick=True),
            django_capture_on_commit_callbacks(execute=True),
        ):
            send(ids[3])
        endpoint.refresh_from_db()
        assert endpoint.status == "paused"
        assert "failed deliveries in a row" in endpoint.paused_reason
        with time_machine.travel(start + datetime.timedelta(seconds=200), tick=True):
            assert send(ids[0]) is False  # paused: nothing goes out
    assert len(hook.requests) == 4
    [mail] = mailoutbox
    assert mail.to == [world.lead_a.email]
    assert endpoint.url in mail.body
    assert AuditEntry.objects.filter(
        model="integrations.webhookendpoint",
        object_pk=str(endpoint.pk),
        actor=None,
        reason__startswith="Paused after 4 failed deliveries",
    ).exists()


def test_a_success_clears_the_failure_count(world, local_hooks):
    with receiver((500, "no"), (200, "ok")) as hook:
        endpoint, _ = register(world, hook.url)
        first = queue_and_get(sponsor_comment(world, body="a")[1])
        second = queue_and_get(sponsor_comment(world, body="b")[1])
        send(first)
        send(second)
    endpoint.refresh_from_db()
    assert (endpoint.consecutive_failures, endpoint.failing_since) == (0, None)
    assert len(hook.requests) == 2


def test_a_redirect_is_not_followed_and_counts_as_a_failure(world, local_hooks):
    with receiver((302, "")) as hook:
        hook.headers["location"] = "http://127.0.0.1:9/elsewhere"
        register(world, hook.url)
        delivery_id = queue_and_get(sponsor_comment(world)[1])
        assert send(delivery_id) is False
    assert len(hook.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery_id).attempts.get().status_code == 302


def test_the_logged_answer_is_bounded(world, local_hooks):
    with receiver((200, "x" * 50_000)) as hook:
        register(world, hook.url)
        delivery_id = queue_and_get(sponsor_comment(world)[1])
        send(delivery_id)
    attempt = WebhookDelivery.objects.get(pk=delivery_id).attempts.get()
    assert len(attempt.response_excerpt) == EXCERPT_LIMIT


def test_a_receiver_that_answers_too_late_is_a_failed_attempt(world, local_hooks):
    local_hooks.WEBHOOK_TIMEOUT_SECONDS = 1
    with receiver(delay=2.5) as hook:
        register(world, hook.url)
        delivery_id = queue_and_get(sponsor_comment(world)[1])
        assert send(delivery_id) is False
    attempt = WebhookDelivery.objects.get(pk=delivery_id).attempts.get()
    assert attempt.status_code is None
    assert "timed out" in attempt.error.lower()


def test_a_delivery_is_sent_once_even_when_asked_twice(world, local_hooks):
    with receiver() as hook:
        register(world, hook.url)
        delivery_id = queue_and_get(sponsor_comment(world)[1])
        assert send(delivery_id) is True
        assert send(delivery_id) is False
    assert len(hook.requests) == 1


def test_the_sweep_takes_what_is_due_and_nobody_holds(world, local_hooks):
    local_hooks.WEBHOOK_SWEEP_GRACE_SECONDS = 60
    register(world, "http://127.0.0.1:9/hooks")
    lost = queue_and_get(sponsor_comment(world, body="lost")[1])
    held = queue_and_get(sponsor_comment(world, body="held")[1])
    fresh = queue_and_get(sponsor_comment(world, body="fresh")[1])  # its own task is coming
    past = timezone.now() - datetime.timedelta(minutes=5)
    WebhookDelivery.objects.filter(pk__in=[lost, held]).update(next_attempt_at=past)
    WebhookDelivery.objects.filter(pk=held).update(
        leased_until=timezone.now() + datetime.timedelta(minutes=1)
    )

    assert deliveries.webhook_deliveries_sweep() == [lost]
    assert fresh != lost


def test_the_payload_shape_is_stable(world, local_hooks):
    register(world, "http://127.0.0.1:9/hooks")
    _, event = sponsor_comment(world)
    body = json.loads(WebhookDelivery.objects.get(pk=queue_and_get(event)).payload)

    assert sorted(body) == ["data", "timestamp", "type"]
    assert sorted(body["data"]) == [
        "id",
        "kind",
        "occurred_at",
        "program",
        "significance",
        "subject",
        "summary",
        "url",
    ]


def test_an_endpoint_hears_only_what_happens_after_it_is_registered(world, local_hooks):
    _, before = sponsor_comment(world, body="Before")
    register(world, "http://127.0.0.1:9/hooks")
    _, after = sponsor_comment(world, body="After")

    queued = deliveries.webhook_deliveries_queue(event_ids=[before.pk, after.pk])

    assert [WebhookDelivery.objects.get(pk=pk).event for pk in queued] == [after]
