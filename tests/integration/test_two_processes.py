"""Two of each process on one PostgreSQL and one Redis: every periodic sweep run on two Celery
workers at once has each effect once.

The workers are real subprocesses (tests/support/celery_worker.py) consuming one queue of this
test's own. The work the sweeps find was written by this process and committed
(`transaction=True`) while its hand-offs went to a queue that nothing reads, as when the broker
loses them: events not fanned out, an announcement not posted, an action item overdue, an
escalation past its window, a cadence without meetings, digest rows past their hour, the audit
chains moved. Every task of `beat_schedule` is then sent twice per round, so that the two
workers run it side by side. Emails arrive at a real SMTP server and webhooks at a real HTTP
receiver, both in this process. Every wait has a deadline.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.db import transaction
from django.utils import timezone

from comms.models import Digest, Notification, Update
from comms.services.notifications import events_fan_out
from comms.services.updates import update_post
from governance.escalations.models import Escalation, EscalationStep
from governance.models import CadenceSchedule, Meeting
from integrations.models import WebhookDelivery
from integrations.services import endpoints
from portal.access import Audience
from portal.celery import app as celery_app
from programs import changes
from programs.models import Event
from tests.governance.builders import action_item
from tests.governance.escalations.builders import issue
from tests.integrations.receiver import Receiver, receiver
from tests.support.celery_worker import (
    Worker,
    forget_queue,
    queue_of_its_own,
    start_worker,
    stop_worker,
    wait_until,
)
from tests.support.smtp import Mailbox, smtp_server

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROUNDS = 2
SETTLE_TIMEOUT = 40
PERIODIC_TASKS = sorted({entry["task"] for entry in celery_app.conf.beat_schedule.values()})


@dataclass
class Workers:
    queue: str
    processes: list[Worker]

    def outputs(self) -> str:
        return "\n".join(f"--- worker {n}:\n{w.output.text[-4000:]}" for n, w in enumerate(self))

    def __iter__(self) -> Iterator[Worker]:
        return iter(self.processes)


def start_two_workers(queue: str, **environment: str) -> list[Worker]:
    """Two workers on `queue`, started side by side."""
    start = functools.partial(start_worker, queue, celery_app.conf.broker_url, **environment)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda _: start(), range(2)))


def unfinished(worker: Worker) -> int:
    """Tasks the worker received and has not finished (succeeded, failed or handed to a
    retry)."""
    text = worker.output.text
    received = len(re.findall(r"\] received$", text, re.MULTILINE))
    finished = len(re.findall(r"\] (succeeded in|raised unexpected|retry:)", text))
    return received - finished


def settled(broker: redis.Redis, workers: Workers) -> bool:
    """Nothing waiting in the queue and nothing in hand, twice half a second apart (a task that
    finishes may just have sent another)."""
    for _ in range(2):
        if any(unfinished(worker) for worker in workers) or broker.llen(workers.queue):
            return False
        time.sleep(0.5)
    return True


@pytest.fixture
def lost_hand_offs(monkeypatch) -> Iterator[None]:
    """What this process enqueues goes to a queue nothing reads, until the test moves on."""
    with queue_of_its_own(monkeypatch, "test-lost"):
        yield


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as served:
        yield served


@pytest.fixture
def hook(settings) -> Iterator[Receiver]:
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    with receiver() as served:
        yield served


@dataclass
class DueWork:
    """What the sweeps should find, one of each kind."""

    notable: list[Event]  # posted, never fanned out: immediate emails
    announced: Event  # asks for an update, never posted
    overdue_item_id: int  # an action item two weeks overdue: the rule raises an escalation
    escalation: Escalation  # past its level's window: moves up once
    cadence: CadenceSchedule  # active, no meeting generated yet
    digest_recipients: set[int]  # daily digest rows older than the digest hour


def due_work(world, hook: Receiver) -> DueWork:
    endpoints.webhook_endpoint_create(actor=world.lead_a, url=hook.url, event_kinds=["update"])
    notable = []
    for title in ("Batch 24-017 released", "Stability pull at 6 months on time"):
        update_post(
            actor=world.pm, program=world.program, title=title, body="Done.", significance="notable"
        )
        notable.append(Event.objects.get(verb="update.posted", summary__contains=title))
    with transaction.atomic():
        announced = changes.log(
            program=changes.lock_program(world.program.pk),
            actor=world.pm,
            note=changes.Note(
                verb="milestone.slipped",
                summary="Fill-finish moved by two weeks",
                audience=Audience.SPONSOR,
                significance="notable",
                announce=True,
            ),
        )
    item = action_item(world.program, world.pm, due_in_days=-14)
    escalation = issue(world)
    Escalation.objects.filter(pk=escalation.pk).update(due_at=timezone.now())
    cadence = CadenceSchedule.objects.create(
        program=world.program,
        frequency="weekly",
        weekday=1,
        local_time=datetime.time(15, 0),
        time_zone="Europe/London",
        starts_on=timezone.localdate(),
    )
    update_post(actor=world.pm, program=world.program, title="Weekly note", body="Quiet week.")
    info = Event.objects.get(verb="update.posted", summary__contains="Weekly note")
    events_fan_out(event_ids=[info.pk])  # daily-digest rows, as the fan-out left them
    daily = Notification.objects.filter(event=info, channel=Notification.Channel.EMAIL)
    daily.update(created_at=timezone.now() - datetime.timedelta(days=3))
    Event.objects.filter(announce=True).update(at=timezone.now() - datetime.timedelta(minutes=5))
    return DueWork(
        notable=notable,
        announced=announced,
        overdue_item_id=item.pk,
        escalation=escalation,
        cadence=cadence,
        digest_recipients=set(daily.values_list("recipient_id", flat=True)),
    )


def checkpoint_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_every_sweep_on_two_workers_at_once_has_each_effect_once(
    world, lost_hand_offs, monkeypatch, mailbox, hook, tmp_path
):
    box, smtp_port = mailbox
    work = due_work(world, hook)
    queue = f"test-sweeps-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    checkpoints = tmp_path / "checkpoints.jsonl"
    environment = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "OUTBOX_GRACE_SECONDS": "0",
        "WEBHOOK_SWEEP_GRACE_SECONDS": "0",
        "WEBHOOKS_ALLOW_PRIVATE": "1",
        "WEBHOOKS_ALLOW_HTTP": "1",
        "AUDIT_CHECKPOINT_FILE": str(checkpoints),
    }
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    workers = Workers(queue, start_two_workers(queue, **environment))
    try:
        for _ in range(ROUNDS):
            for task in PERIODIC_TASKS:
                celery_app.send_task(task)
                celery_app.send_task(task)
        assert wait_until(lambda: settled(broker, workers), SETTLE_TIMEOUT), workers.outputs()
    finally:
        for worker in workers:
            stop_worker(worker)
        forget_queue(celery_app.conf.broker_url, queue)
        broker.close()

    both_ran = [PERIODIC_TASKS[0] in worker.output.text for worker in workers]
    assert all(both_ran), f"one worker ran no sweep:\n{workers.outputs()}"
    assert "raised unexpected" not in workers.outputs(), workers.outputs()

    # Each email once: notifications, digests, escalations, access-review reminders.
    sent = Counter((str(m["To"]), str(m["Subject"])) for m in box.messages)
    assert sent
    assert max(sent.values()) == 1, sent.most_common(3)
    assert len({m["Message-ID"] for m in box.messages}) == len(box.messages)
    immediate = Notification.objects.filter(channel="email", timing="immediately")
    assert not immediate.filter(sent_at__isnull=True, recipient__is_active=True).exists()
    for event in work.notable:
        assert immediate.filter(event=event).count() == 2  # the sponsor's lead and viewer
        assert Notification.objects.filter(event=event, channel="in_app").count() >= 2
    # The digest: one per person and hour, sent, carrying the rows.
    digests = Digest.objects.filter(recipient_id__in=work.digest_recipients)
    assert sorted(digests.values_list("recipient_id", flat=True)) == sorted(work.digest_recipients)
    assert not digests.filter(sent_at__isnull=True).exists()
    # The announcement: one update.
    assert Update.objects.filter(source_event=work.announced).count() == 1
    # The rule: one escalation for the overdue item; the due escalation: one step up.
    overdue = Escalation.objects.filter(rule="action-overdue", subject_id=str(work.overdue_item_id))
    assert overdue.count() == 1
    steps = EscalationStep.objects.filter(escalation=work.escalation)
    assert sorted(steps.values_list("level", flat=True)) == [1, 2]
    escalated = Event.objects.filter(verb="escalation.escalated")
    assert escalated.filter(subject_id=str(work.escalation.pk)).count() == 1
    # The cadence: its meetings once, announced once.
    meetings = Meeting.objects.filter(schedule=work.cadence)
    assert meetings.count() >= 8
    assert len(set(meetings.values_list("occurrence_on", flat=True))) == meetings.count()
    assert Event.objects.filter(verb="meeting.scheduled").count() == 1
    # Webhooks: each delivery received once.
    delivered = WebhookDelivery.objects.filter(status="delivered")
    ids = Counter(request.headers["webhook-id"] for request in hook.requests)
    assert delivered.exists()
    assert set(ids) == set(delivered.values_list("webhook_id", flat=True))
    assert max(ids.values()) == 1, ids.most_common(3)
    # Health: no change recorded twice in a row.
    health = list(Event.objects.filter(verb="program.health").order_by("id"))
    assert all(a.summary != b.summary for a, b in itertools.pairwise(health))
    # The audit anchor: numbered lines, no head recorded twice.
    lines = checkpoint_lines(checkpoints)
    assert [line["n"] for line in lines] == list(range(1, len(lines) + 1))
    heads = Counter((chain, tuple(head)) for line in lines for chain, head in line["heads"].items())
    assert lines
    assert max(heads.values()) == 1, heads.most_common(3)
