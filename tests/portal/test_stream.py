"""The live stream `/events/`, served by uvicorn in a thread (an SSE stream never flushes under
WSGI). Server tests commit for real, so they are transactional and need PostgreSQL: the audit
table refuses the DELETE that a SQLite flush would issue."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import asdict

import httpx
import pytest
import redis
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from comms.services.updates import update_post
from portal import access, live, streams
from portal.celery import app as celery_app
from portal.live import LiveEvent
from portal.livetools import (
    StreamEvent,
    StreamReader,
    serve_in_thread,
)
from portal.models import Membership, User
from programs.models import Audience, Program
from tests.factories import UserFactory


@pytest.fixture
def stream_server(settings, monkeypatch) -> Iterator[Callable[[], str]]:
    """Starts the ASGI app on demand, after the test has adjusted settings; yields its URL."""
    settings.EVENTS_CHANNEL = f"portal:events:test:{uuid.uuid4().hex}"  # xdist workers apart
    settings.LIVE_HEARTBEAT_SECONDS = 0.2
    settings.LIVE_POLL_SECONDS = 0.2
    # Delivery tasks go to a queue of their own, emptied afterwards: left in the default queue
    # they would reach a worker serving another test's database.
    task_queue = f"test-stream-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", task_queue)
    with ExitStack() as stack:
        yield lambda: stack.enter_context(serve_in_thread())
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    try:
        for key in broker.scan_iter(match=f"*{task_queue}*"):  # the list and kombu's bindings
            broker.delete(key)
    finally:
        broker.close()


def run_apart(coroutine):  # type: ignore[no-untyped-def]
    """Run a coroutine on a fresh loop in its own thread: a browser test earlier in the same
    worker leaves Playwright's loop running in this one, and asyncio.run() refuses that."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def cookie_for(user: User) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def stream(base_url: str, user: User | None, **headers: str) -> StreamReader:
    return StreamReader(
        f"{base_url}/events/", cookies=cookie_for(user) if user else None, headers=headers
    )


def post(world, title: str, *, audience: str = Audience.SPONSOR, program: Program | None = None):
    return update_post(
        actor=world.pm,
        program=program or world.program,
        title=title,
        body="Something worth knowing.",
        audience=audience,
    )


def titled(title: str) -> Callable[[StreamEvent], bool]:
    return lambda event: title in event.json["summary"]


# --- Server tests -------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_committed_update_reaches_the_sponsor_within_a_second(world, stream_server):
    url = stream_server()
    with stream(url, world.lead_a) as reader:
        assert reader.status_code == 200
        assert reader.response_headers["content-type"].startswith("text/event-stream")
        assert reader.response_headers["cache-control"] == "no-cache"
        assert reader.response_headers["x-accel-buffering"] == "no"
        time.sleep(0.2)
        post(world, "Fill-finish slot confirmed")
        committed = time.perf_counter()

        event = reader.wait_for(titled("Fill-finish slot confirmed"), timeout=1.0)

    assert event is not None, "no event within 1 s"
    assert event.received - committed < 1.0
    assert event.event == "program-HLX-101"
    assert event.json["program"] == "HLX-101"
    assert event.json["kind"] == "update"
    assert set(event.json) == {"id", "program", "kind", "significance", "summary"}
    assert event.json["significance"] == "info"
    assert event.id == str(event.json["id"])
    assert reader.retry == 3000


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_it_hides_other_sponsors_events(world, stream_server):
    url = stream_server()
    with stream(url, world.lead_b) as reader:
        time.sleep(0.2)
        post(world, "Helix only")
        post(world, "Borealis only", program=world.program_b)

        events = reader.until(titled("Borealis only"), timeout=2.0) + reader.drain(0.5)

    assert [e.event for e in events] == ["program-BOR-017"]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_internal_update_reaches_the_cdmo_but_never_a_sponsor(world, stream_server):
    url = stream_server()
    with stream(url, world.lead_a) as sponsor, stream(url, world.staff) as cdmo:
        time.sleep(0.2)
        post(world, "Draft: OOS under investigation", audience=Audience.INTERNAL)
        post(world, "Weekly call moved to Thursday")

        seen_by_cdmo = cdmo.until(titled("Weekly call moved"), timeout=2.0)
        seen_by_sponsor = sponsor.until(titled("Weekly call moved"), timeout=2.0)
        seen_by_sponsor += sponsor.drain(0.5)

    assert ["OOS" in e.data for e in seen_by_cdmo] == [True, False]
    assert ["Weekly call moved" in e.data for e in seen_by_sponsor] == [True]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("via", ["header", "query"])
def test_a_reconnecting_client_catches_up_from_its_last_event_id(world, stream_server, via):
    url = stream_server()
    with stream(url, world.lead_a) as reader:
        time.sleep(0.2)
        post(world, "Seen before the drop")
        seen = reader.wait_for(titled("Seen before the drop"), timeout=2.0)
    assert seen is not None

    post(world, "Missed one")
    post(world, "Missed internal", audience=Audience.INTERNAL)
    post(world, "Missed two")

    if via == "header":
        reconnect = stream(url, world.lead_a, **{"Last-Event-ID": seen.id})
    else:
        reconnect = StreamReader(
            f"{url}/events/?last_event_id={seen.id}", cookies=cookie_for(world.lead_a)
        )
    with reconnect as reader:
        caught_up = reader.drain(1.0)

    summaries = [e.json["summary"] for e in caught_up]
    assert len(summaries) == 2
    assert "Missed one" in summaries[0]
    assert "Missed two" in summaries[1]
    assert [int(e.id) for e in caught_up] == sorted(int(e.id) for e in caught_up)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_anonymous_gets_no_stream(world, stream_server):
    url = stream_server()
    for cookies in (None, {settings.SESSION_COOKIE_NAME: "not-a-session"}):
        with StreamReader(f"{url}/events/", cookies=cookies) as reader:
            assert reader.status_code == 401
            assert reader.response_headers["content-type"].startswith("text/plain")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_user_of_no_organisation_gets_no_stream(world, stream_server):
    url = stream_server()
    admin = UserFactory(email="admin@nb.example", is_superuser=True, is_staff=True)
    with stream(url, admin) as reader:
        assert reader.status_code == 403


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_only_get_is_allowed(world, stream_server):
    url = stream_server()
    response = httpx.post(f"{url}/events/", cookies=cookie_for(world.lead_a))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_idle_stream_gets_heartbeats(world, stream_server):
    url = stream_server()
    with stream(url, world.viewer_a) as reader:
        time.sleep(0.7)
        assert "ping" in reader.comments


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_closed_stream_leaves_the_hub(world, stream_server):
    from portal.asgi import live_streams

    url = stream_server()
    with stream(url, world.lead_a):
        assert _eventually(lambda: live_streams.hub and live_streams.hub.subscriber_count == 1)
    assert _eventually(lambda: live_streams.hub.subscriber_count == 0)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_stream_ends_when_its_session_does(world, stream_server, settings):
    settings.LIVE_SWEEP_SECONDS = 0.3
    url = stream_server()
    cookies = cookie_for(world.lead_a)
    with StreamReader(f"{url}/events/", cookies=cookies) as reader:
        time.sleep(0.2)
        assert not reader.ended.is_set()
        Session.objects.filter(session_key=cookies[settings.SESSION_COOKIE_NAME]).delete()
        assert reader.ended.wait(3), "the stream outlived its session"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_it_catches_up_when_the_redis_subscription_drops(world, stream_server, settings):
    from portal.asgi import live_streams

    settings.LIVE_POLL_SECONDS = 30  # only the hub's resubscription and resync can deliver
    url = stream_server()
    with stream(url, world.lead_a) as reader:
        assert _eventually(lambda: live_streams.hub and live_streams.hub.connected)
        generation = live_streams.hub.generation
        _kill_redis_client(live_streams.hub.client_name)
        post(world, "Posted while the hub was away")  # pub/sub loses it; the resync must not

        event = reader.wait_for(titled("Posted while the hub was away"), timeout=5.0)

        assert event is not None
        assert live_streams.hub.generation > generation


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_without_redis_the_stream_polls_the_event_table(world, stream_server, settings):
    from portal.asgi import live_streams

    settings.REDIS_URL = ""
    url = stream_server()
    with stream(url, world.lead_a) as reader:
        assert live_streams.hub is None
        time.sleep(0.2)
        post(world, "Delivered by polling")
        post(world, "Internal, polled", audience=Audience.INTERNAL)
        post(world, "Borealis, polled", program=world.program_b)

        events = reader.until(titled("Delivered by polling"), timeout=2.0) + reader.drain(0.6)

    assert ["Delivered by polling" in e.data for e in events] == [True]
    assert events[0].event == "program-HLX-101"


def _eventually(condition: Callable[[], object], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def _kill_redis_client(name: str) -> None:
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        ids = [c["id"] for c in client.client_list() if c.get("name") == name]
        assert ids, f"no Redis client named {name}"
        for client_id in ids:
            client.client_kill_filter(_id=client_id)
    finally:
        client.close()


# --- The hub, the visibility rule and the catch-up, without servers ------------------------


def _event(**fields) -> LiveEvent:
    return LiveEvent(
        **{
            "id": 7,
            "program": "HLX-101",
            "sponsor": 1,
            "audience": "sponsor",
            "kind": "update",
            "significance": "info",
            "summary": "x",
        }
        | fields
    )


def _viewer(organisation_id: int, role: str) -> access.Viewer:
    return access.Viewer(user_id=1, organisation_id=organisation_id, role=role)


SPONSOR = _viewer(1, Membership.Role.SPONSOR_VIEWER)
CDMO = _viewer(9, Membership.Role.STAFF)


def test_a_sponsor_sees_only_its_own_sponsor_audience_events():
    assert streams._may_see(SPONSOR, _event())
    assert not streams._may_see(SPONSOR, _event(audience="internal"))
    assert not streams._may_see(SPONSOR, _event(sponsor=2))
    assert streams._may_see(CDMO, _event(audience="internal", sponsor=2))


def test_a_slow_stream_is_dropped_without_holding_up_the_others():
    async def scenario():
        hub = streams.Hub("redis://unused", "c", queue_size=2, ping_interval=10)
        slow = hub.subscribe(SPONSOR)
        fast = hub.subscribe(SPONSOR)
        dropped = []
        slow.when_dropped(lambda: dropped.append("slow"))
        received = []
        for n in range(3):
            hub.fan_out(_event(id=n))
            received.append(fast.queue.get_nowait().event_id)
        return hub, slow, received, dropped

    hub, slow, received, dropped = run_apart(scenario())

    assert received == [0, 1, 2]
    assert hub.subscriber_count == 1
    assert slow.overflowed
    assert dropped == ["slow"]


def test_the_hub_offers_each_stream_only_what_it_may_see():
    async def scenario():
        hub = streams.Hub("redis://unused", "c", queue_size=10, ping_interval=10)
        subscription = hub.subscribe(SPONSOR)
        hub._dispatch(
            LiveEvent.encode([_event(id=1, audience="internal"), _event(id=2, sponsor=2)])
        )
        hub._dispatch(LiveEvent.encode([_event(id=3)]))
        hub.fan_out(streams.Signal.RESYNC)
        return [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]

    items = run_apart(scenario())

    assert [i if isinstance(i, streams.Signal) else i.event_id for i in items] == [
        3,
        streams.Signal.RESYNC,
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b'{"id": 7}',
        b'[{"id": 7}]',
        json.dumps([asdict(_event(program="HLX-101\nevent: x"))]),
        json.dumps([asdict(_event(program="HLX-101\n"))]),
        json.dumps([asdict(_event(audience="everyone"))]),
        json.dumps([asdict(_event(id="7"))]),
        json.dumps([asdict(_event()), asdict(_event(sponsor=None))]),
    ],
)
def test_malformed_published_messages_are_ignored(raw):
    assert streams._parse_published(raw) == []


def test_a_published_message_carries_every_event_of_its_transaction():
    events = [_event(id=7), _event(id=8, audience="internal")]
    assert streams._parse_published(LiveEvent.encode(events)) == events


def test_a_frame_names_the_program_and_never_the_sponsor_or_audience():
    frame = streams._frame(_event(id=12, summary="Batch released")).decode()

    assert frame.startswith("id: 12\nevent: program-HLX-101\ndata: ")
    data = json.loads(frame.split("data: ", 1)[1])
    assert data == {
        "id": 12,
        "program": "HLX-101",
        "kind": "update",
        "summary": "Batch released",
        "significance": "info",
    }


class PagedSource:
    """An event source of `total` events, recording the pages asked for."""

    def __init__(self, total: int) -> None:
        self.events = [_event(id=n) for n in range(1, total + 1)]
        self.asked: list[int] = []

    def latest_id(self, user) -> int:
        return self.events[-1].id if self.events else 0

    def after(self, user, after_id: int, limit: int) -> list[LiveEvent]:
        self.asked.append(after_id)
        return [e for e in self.events if e.id > after_id][:limit]


def test_the_catch_up_pages_through_the_injected_event_source():
    source = PagedSource(streams.PAGE_SIZE * 2 + 3)

    events = streams._events_since(source, None, 0)

    assert [e.id for e in events] == [e.id for e in source.events]
    assert source.asked == [0, streams.PAGE_SIZE, streams.PAGE_SIZE * 2]


def test_the_catch_up_stops_after_a_bounded_number_of_pages():
    source = PagedSource(streams.PAGE_SIZE * (streams.CATCH_UP_PAGES + 1))

    events = streams._events_since(source, None, 0)

    assert len(events) == streams.PAGE_SIZE * streams.CATCH_UP_PAGES


def test_leadership_also_hears_escalations_and_portfolio_events_and_no_one_else_does():
    leader = access.Viewer(user_id=1, organisation_id=1, role="leadership")
    pm = access.Viewer(user_id=2, organisation_id=1, role="pm")
    escalation = _event(id=13, kind="escalation", audience="internal")

    frame = streams._frame(escalation, leader).decode()
    assert "event: program-HLX-101\n" in frame
    assert "\nevent: escalations\n" in frame
    assert "\nevent: portfolio\n" in frame
    assert "event: escalations" not in streams._frame(_event(id=14), leader).decode()
    assert "event: portfolio" in streams._frame(_event(id=14), leader).decode()
    assert "escalations" not in streams._frame(escalation, pm).decode()
    assert "portfolio" not in streams._frame(escalation, pm).decode()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_new_notification_rings_the_recipients_bell_and_nobody_elses(world, stream_server):
    from comms.services.notifications import events_fan_out
    from programs.models import Event

    url = stream_server()
    with stream(url, world.lead_a) as lead, stream(url, world.lead_b) as other:
        time.sleep(0.2)
        post(world, "Batch 24-017 released")
        events_fan_out(event_ids=Event.objects.values_list("pk", flat=True))

        bell = lead.wait_for(lambda e: e.event == f"notifications-{world.lead_a.pk}", timeout=2.0)
        elsewhere = other.drain(0.5)

    assert bell is not None, "the bell did not ring"
    assert not [e for e in elsewhere if e.event.startswith("notifications-")]


def test_the_hub_rings_only_the_bells_it_names():
    async def scenario():
        hub = streams.Hub("redis://unused", "c", queue_size=10, ping_interval=10)
        mine = hub.subscribe(dataclasses.replace(SPONSOR, user_id=5))
        theirs = hub.subscribe(dataclasses.replace(SPONSOR, user_id=6))
        hub._dispatch(live.Bell.encode([5, 7]))
        return mine.queue.qsize(), theirs.queue.qsize()

    assert run_apart(scenario()) == (1, 0)
    assert streams._bell_frame(5) == b"event: notifications-5\ndata: {}\n\n"
    assert live.Bell.decode(b'{"bell": ["5"]}') is None
