"""A claim that waits for another's row lock wins nothing once that claim commits: the outbox's
email claims and the webhook delivery claim, on PostgreSQL.

The race is forced, not hoped for: the first claim runs in a transaction held open until the
second claim is seen waiting for its lock (pg_stat_activity), then commits. Django turns an
UPDATE through a join into `id IN (SELECT …)`, and PostgreSQL re-checks only the outer
conditions on a row that changed while it waited: a claim whose conditions sat in that
subquery won a second time (two workers sweeping at once sent each email twice).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from comms import outbox
from comms.models import Notification
from comms.services.notifications import _emails, events_fan_out
from comms.services.updates import update_post
from integrations.models import WebhookDelivery
from integrations.services import deliveries, endpoints
from programs.models import Event
from tests.support.celery_worker import queue_of_its_own, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

TIMEOUT = 10


@pytest.fixture(autouse=True)
def _no_worker_takes_the_hand_offs(monkeypatch):
    with queue_of_its_own(monkeypatch, "test-claims"):
        yield


def waiting_for_a_lock(table: str) -> bool:
    """Whether another connection waits for a row lock in an UPDATE of `table`. Asked inside
    the first claim's transaction, which would keep its first view of the activity without
    pg_stat_clear_snapshot()."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND query LIKE %s AND pid <> pg_backend_pid()",
            [f'UPDATE "{table}"%'],
        )
        return cursor.fetchone()[0] > 0


def second_claim_after_the_first_commits(first: Callable[[], object], second, table: str):
    """Run `first` in a transaction held open until `second` (on another connection) waits for
    its lock, then commit; returns what each claim returned."""
    results: dict[str, object] = {}
    errors: list[BaseException] = []

    def run_second() -> None:
        try:
            results["second"] = second()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        results["first"] = first()
        thread = threading.Thread(target=run_second)
        thread.start()
        assert wait_until(lambda: waiting_for_a_lock(table), TIMEOUT), "no second claim waited"
    thread.join(TIMEOUT)
    assert errors == []
    return results["first"], results["second"]


def test_an_email_claimed_by_one_worker_is_not_claimed_by_another(world):
    update_post(
        actor=world.pm,
        program=world.program,
        title="Lot released",
        body="Done.",
        significance="notable",
    )
    events_fan_out(event_ids=Event.objects.values_list("pk", flat=True))
    emails = list(_emails().filter(sent_at__isnull=True).values_list("pk", flat=True))
    assert emails

    first, second = second_claim_after_the_first_commits(
        lambda: outbox.claim_many(_emails(), emails),
        lambda: outbox.claim_many(_emails(), emails),
        Notification._meta.db_table,
    )

    assert [row.pk for row in first] == sorted(emails)
    assert second == []


def test_a_webhook_delivery_is_claimed_once(world, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    endpoints.webhook_endpoint_create(
        actor=world.lead_a, url="http://127.0.0.1:9/hooks", event_kinds=["update"]
    )
    update_post(actor=world.pm, program=world.program, title="Lot released", body="Done.")
    events_fan_out(event_ids=Event.objects.values_list("pk", flat=True))
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()

    first, second = second_claim_after_the_first_commits(
        lambda: deliveries._claim(delivery.pk, now),
        lambda: deliveries._claim(delivery.pk, now),
        WebhookDelivery._meta.db_table,
    )

    assert (first, second) == (True, False)
