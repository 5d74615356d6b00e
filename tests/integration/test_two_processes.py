"""Two of each process on one PostgreSQL and one Redis (issue 13, item 4): an update posted
through one web process reaches the live streams held by the other, and every periodic sweep run
on two Celery workers at once has each effect once.

Web processes are `uvicorn portal.asgi:application` and workers `celery worker`, real
subprocesses in the production settings (tests/support/processes.py), on this test's database
and a queue of its own. Emails arrive at a real SMTP server and webhooks at a real HTTP receiver,
both in this process. Every wait has a deadline.

The sweeps: the work they find was written by this process and committed (`transaction=True`)
while its hand-offs went to a queue that nothing reads, as when the broker loses them: events
not fanned out, an announcement not posted, an action item overdue, an escalation past its
window, a cadence without meetings, digest rows past their hour, the audit chains moved. Every
task of `beat_schedule` is then sent twice per round, so that the two workers run it side by
side.

The streams: sponsor sessions hold streams on process B while the PM posts updates through
the REST API of process A; each must arrive on every stream, and the workers must notify each
sponsor person once. The latency, from the POST's start to each stream's event, is printed
(`-s`): the issue's goal is p95 < 250 ms, the test asserts a bound with room for a busy machine.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import json
import math
import re
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis
from django.conf import settings
from django.db import transaction
from django.test import Client, override_settings
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
from portal.livetools import StreamReader
from portal.services import api_token_create
from programs import changes
from programs.models import Event
from tests.governance.builders import action_item
from tests.governance.escalations.builders import issue
from tests.integrations.receiver import Receiver, receiver
from tests.support import processes
from tests.support.celery_worker import (
    Worker,
    forget_queue,
    queue_of_its_own,
    start_worker,
    stop_worker,
    wait_until,
    worker_database_url,
)
from tests.support.processes import (
    Output,
    production_environment,
    start_process,
    stop_process,
)
from tests.support.smtp import Mailbox, free_port, smtp_server

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROUNDS = 2
SETTLE_TIMEOUT = 40
UVICORN = Path(sys.executable).parent / "uvicorn"
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


# --- Two web processes --------------------------------------------------------------------

STREAMS = 20
POSTS = 5
DELIVERY_BOUND = 2.0  # seconds; the goal is p95 < 250 ms (issue 13), measured and reported


@dataclass
class Web:
    url: str
    process: subprocess.Popen[str]
    output: Output


def start_web(environment: dict[str, str]) -> Web:
    """`uvicorn portal.asgi:application` on a free port, as the Procfile serves it."""
    port = free_port()
    command = [str(UVICORN), "portal.asgi:application", "--port", str(port), "--no-access-log"]
    command += ["--timeout-graceful-shutdown", "5"]
    process, output = start_process(command, environment, ready="Application startup complete")
    return Web(f"http://127.0.0.1:{port}", process, output)


@dataclass
class Portal:
    """Two web processes and two workers on this test's database and Redis."""

    web_a: Web
    web_b: Web
    workers: Workers

    def outputs(self) -> str:
        webs = f"--- web A:\n{self.web_a.output.text[-3000:]}\n--- web B:\n"
        return webs + self.web_b.output.text[-3000:] + "\n" + self.workers.outputs()


@pytest.fixture
def two_of_each(world, monkeypatch, mailbox) -> Iterator[Portal]:
    _, smtp_port = mailbox
    with queue_of_its_own(monkeypatch, "test-two-webs") as queue:
        channel = f"portal:events:test:{uuid.uuid4().hex}"
        shared = {
            "EVENTS_CHANNEL": channel,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
        }
        web_environment = production_environment(
            DATABASE_URL=worker_database_url(),
            REDIS_URL=settings.REDIS_URL,
            CELERY_BROKER_URL=celery_app.conf.broker_url,
            CELERY_TASK_DEFAULT_QUEUE=queue,
            LIVE_HEARTBEAT_SECONDS="1",  # a closed stream is noticed at once: a quick shutdown
            **shared,
        )
        with ThreadPoolExecutor(max_workers=4) as pool:
            webs = [pool.submit(start_web, web_environment) for _ in range(2)]
            workers = pool.submit(start_two_workers, queue, **shared)
            portal = Portal(webs[0].result(), webs[1].result(), Workers(queue, workers.result()))
        try:
            yield portal
        finally:
            for web in (portal.web_a, portal.web_b):
                stop_process(web.process)
            for worker in portal.workers:
                stop_worker(worker)


def served_session(user) -> dict[str, str]:
    """A signed-in session the served processes accept: signed with their SECRET_KEY."""
    with override_settings(SECRET_KEY=processes.SECRET_KEY):
        client = Client()
        client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def test_an_update_posted_through_one_process_reaches_the_streams_of_the_other(
    world, two_of_each, mailbox
):
    box, _ = mailbox
    _, key = api_token_create(actor=None, user=world.pm, name="two processes")
    cookies = [served_session(world.lead_a), served_session(world.viewer_a)]
    titles = [f"Lot 24-0{n} released" for n in range(POSTS)]
    latencies: list[float] = []
    with ExitStack() as stack:
        readers = [
            stack.enter_context(
                StreamReader(f"{two_of_each.web_b.url}/events/", cookies=cookies[n % 2])
            )
            for n in range(STREAMS)
        ]
        assert {reader.status_code for reader in readers} == {200}, two_of_each.outputs()
        time.sleep(0.5)  # the streams have caught up and subscribed
        headers = {"Authorization": f"Token {key}"}
        with httpx.Client(base_url=two_of_each.web_a.url, headers=headers, timeout=10) as api:
            # A's first request pays for its cold start (about half a second): not measured.
            assert api.get("/api/v1/programs/HLX-101/updates/").status_code == 200
            for title in titles:
                posted = time.perf_counter()
                answer = api.post(
                    "/api/v1/programs/HLX-101/updates/",
                    json={"title": title, "body": "Released by QA.", "significance": "notable"},
                )
                assert answer.status_code == 201, answer.text
                for reader in readers:
                    event = reader.wait_for(lambda e, t=title: t in e.data, DELIVERY_BOUND)
                    assert event is not None, f"{title!r} missed a stream\n{two_of_each.outputs()}"
                    latencies.append(event.received - posted)

    print(  # run with -s to see the figures
        f"\ntwo processes: {STREAMS} streams on B x {POSTS} updates posted through A: "
        f"p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    assert max(latencies) < DELIVERY_BOUND

    # The workers notified the sponsor's two people once per update, in the app and by email.
    sponsor = (world.lead_a.email, world.viewer_a.email)
    expected = {(email, title) for email in sponsor for title in titles}

    def emailed() -> Counter:
        return Counter(
            (str(m["To"]), title) for m in box.messages for title in titles if title in m["Subject"]
        )

    assert wait_until(lambda: set(emailed()) == expected, SETTLE_TIMEOUT), two_of_each.outputs()
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    try:
        assert wait_until(lambda: settled(broker, two_of_each.workers), SETTLE_TIMEOUT)
    finally:
        broker.close()
    assert max(emailed().values()) == 1, emailed().most_common(3)
    for title in titles:
        event = Event.objects.get(verb="update.posted", summary__contains=title)
        in_app = Notification.objects.filter(event=event, channel="in_app")
        assert sorted(in_app.values_list("recipient__email", flat=True)) == sorted(sponsor)
