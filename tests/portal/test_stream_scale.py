"""Streams that scale (issue 13): a published event is filtered and framed once per viewer class,
not once per stream; a stream that falls behind, or whose client stops reading, is dropped
without holding up the hub or the other streams, and is told when to come back; a burst reaches
the streams without a database query per stream.

The server-side tests drive the real `/events/` application (`LiveStreams`, its Redis hub and
the programs' event source) as uvicorn would: through ASGI `send`/`receive`. Only the far end of
the connection is played by the test, because a localhost socket buffers megabytes before a
client that stops reading makes the server's writes wait."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from portal import access, live, streams
from portal.live import LiveEvent
from portal.models import Membership
from programs.live_source import ProgramEvents
from tests.portal.test_stream import _event, cookie_for, run_apart

SPONSOR = access.Viewer(user_id=1, organisation_id=1, role=Membership.Role.SPONSOR_VIEWER)
STAFF = access.Viewer(user_id=2, organisation_id=9, role=Membership.Role.STAFF)
PM = access.Viewer(user_id=3, organisation_id=9, role=Membership.Role.PM)
LEADER = access.Viewer(user_id=4, organisation_id=9, role=Membership.Role.LEADERSHIP)


def _hub(queue_size: int = 10) -> streams.Hub:
    return streams.Hub("redis://unused", "c", queue_size=queue_size, ping_interval=10)


def _as_user(who: access.Viewer, user_id: int) -> access.Viewer:
    return dataclasses.replace(who, user_id=user_id)


@pytest.fixture
def counted(monkeypatch) -> Counter[str]:
    """How often the hub's filter and frame builder run; each still does its real work."""
    calls: Counter[str] = Counter()
    for name in ("_may_see", "_frame"):
        real = getattr(streams, name)

        def counting(*args: Any, _real: Callable[..., Any] = real, _name: str = name) -> Any:
            calls[_name] += 1
            return _real(*args)

        monkeypatch.setattr(streams, name, counting)
    return calls


# --- Once per viewer class -------------------------------------------------------------------


@pytest.mark.parametrize("streams_open", [1, 3, 500])
def test_an_event_is_filtered_and_framed_once_for_all_the_streams_of_a_class(counted, streams_open):
    async def scenario():
        hub = _hub()
        inboxes = [hub.subscribe(_as_user(SPONSOR, n)) for n in range(1, streams_open + 1)]
        hub.fan_out(_event(id=21))
        return hub.class_count, [inbox.queue.get_nowait() for inbox in inboxes]

    classes, frames = run_apart(scenario())

    assert classes == 1
    assert counted == {"_may_see": 1, "_frame": 1}
    assert all(frame is frames[0] for frame in frames)
    assert frames[0].event_id == 21
    assert frames[0].data == streams._frame(_event(id=21), SPONSOR)


def test_classes_framed_alike_share_one_frame_and_leadership_gets_its_own(counted):
    async def scenario():
        hub = _hub()
        inboxes = {who.role: hub.subscribe(who) for who in (SPONSOR, STAFF, PM, LEADER)}
        hub.fan_out(_event(id=22))
        return hub.class_count, {role: inbox.queue.get_nowait() for role, inbox in inboxes.items()}

    classes, frames = run_apart(scenario())

    assert classes == 4
    assert counted == {"_may_see": 4, "_frame": 2}
    assert frames["staff"] is frames["pm"] is frames[Membership.Role.SPONSOR_VIEWER]
    assert b"event: portfolio" in frames["leadership"].data
    assert b"portfolio" not in frames["pm"].data


def test_a_sponsor_user_restricted_to_some_programs_is_a_class_of_its_own():
    restricted = dataclasses.replace(SPONSOR, user_id=5, program_ids=frozenset({5}))

    async def scenario():
        hub = _hub()
        everything = hub.subscribe(SPONSOR)
        granted = hub.subscribe(restricted)
        hub.fan_out(_event(id=31, program_id=6))
        hub.fan_out(_event(id=32, program_id=5))
        return hub.class_count, [
            [inbox.queue.get_nowait().event_id for _ in range(inbox.queue.qsize())]
            for inbox in (everything, granted)
        ]

    classes, (seen_by_all, seen_by_restricted) = run_apart(scenario())

    assert classes == 2
    assert seen_by_all == [31, 32]
    assert seen_by_restricted == [32]


def test_an_internal_event_is_framed_for_the_cdmo_only(counted):
    async def scenario():
        hub = _hub()
        sponsor, staff = hub.subscribe(SPONSOR), hub.subscribe(STAFF)
        hub.fan_out(_event(id=41, audience="internal"))
        return sponsor.queue.qsize(), staff.queue.get_nowait().event_id

    assert run_apart(scenario()) == (0, 41)
    assert counted["_frame"] == 1


def test_a_bell_is_framed_once_per_user_rung():
    async def scenario():
        hub = _hub()
        tabs = [hub.subscribe(_as_user(SPONSOR, 5)) for _ in range(3)]
        other = hub.subscribe(_as_user(SPONSOR, 6))
        hub.fan_out(live.Bell(frozenset({5})))
        return [tab.queue.get_nowait() for tab in tabs], other.queue.qsize()

    rings, others = run_apart(scenario())

    assert all(ring is rings[0] for ring in rings)
    assert rings[0].data == streams._bell_frame(5)
    assert rings[0].event_id is None
    assert others == 0


def test_the_last_stream_of_a_class_takes_the_class_with_it():
    async def scenario():
        hub = _hub()
        first, second = hub.subscribe(_as_user(SPONSOR, 1)), hub.subscribe(_as_user(SPONSOR, 2))
        hub.unsubscribe(first)
        during = hub.class_count
        hub.unsubscribe(second)
        return during, hub.class_count

    assert run_apart(scenario()) == (1, 0)


# --- Slow clients, through the real application ----------------------------------------------


class FarEnd:
    """The client end of one `/events/` connection as the application sees it through ASGI.
    `stall`: after the first body write every write waits forever (a client that stopped
    reading, once the socket buffers are full); `write_delay`: every body write takes that
    long (a slow reader)."""

    def __init__(self, *, stall: bool = False, write_delay: float = 0.0) -> None:
        self.stall = stall
        self.write_delay = write_delay
        self.bodies: list[bytes] = []
        self.arrivals: dict[int, float] = {}
        self.completed = False
        self._gone = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        if message["type"] != "http.response.body":
            return
        if self.stall and self.bodies:
            await asyncio.Event().wait()
        if self.write_delay:
            await asyncio.sleep(self.write_delay)
        body = message.get("body", b"")
        self.bodies.append(body)
        for event_id in re.findall(rb"^id: (\d+)$", body, re.MULTILINE):
            self.arrivals.setdefault(int(event_id), time.perf_counter())
        self.completed = not message.get("more_body", False)

    async def receive(self) -> dict[str, Any]:
        await self._gone.wait()
        return {"type": "http.disconnect"}

    def leave(self) -> None:
        self._gone.set()

    @property
    def text(self) -> str:
        return b"".join(self.bodies).decode()


def _scope(cookies: dict[str, str]) -> dict[str, Any]:
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return {
        "type": "http",
        "method": "GET",
        "path": "/events/",
        "query_string": b"",
        "headers": [(b"cookie", cookie.encode())],
    }


async def _until(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


def _burst(world, count: int, first_id: int) -> list[LiveEvent]:
    program = world.program
    return [
        LiveEvent(
            id=first_id + n,
            program=program.code,
            sponsor=program.sponsor_id,
            audience="sponsor",
            kind="update",
            significance="info",
            summary=f"Burst {n}",
            program_id=program.pk,
        )
        for n in range(count)
    ]


@pytest.fixture
def small_inboxes(settings):
    settings.EVENTS_CHANNEL = f"portal:events:test:{uuid.uuid4().hex}"
    settings.LIVE_QUEUE_SIZE = 4
    settings.LIVE_SWEEP_SECONDS = 60
    settings.LIVE_HEARTBEAT_SECONDS = 60
    settings.LIVE_FAREWELL_SECONDS = 1.0
    settings.LIVE_RETRY_MS = 1000


class Scene:
    """The application with its hub started and counting its database calls, and open streams."""

    def __init__(self, app: streams.LiveStreams) -> None:
        self.app = app
        self.db_calls = 0
        self.tasks: list[asyncio.Task[None]] = []
        real_db = app._db

        async def counting_db(fn: Callable[..., Any], *args: Any) -> Any:
            self.db_calls += 1
            return await real_db(fn, *args)

        app._db = counting_db  # type: ignore[method-assign]

    async def open(self, far_end: FarEnd, cookies: dict[str, str]) -> FarEnd:
        self.tasks.append(
            asyncio.create_task(self.app(_scope(cookies), far_end.receive, far_end.send))
        )
        return far_end

    async def publish_one_by_one(self, events: list[LiveEvent], gap: float) -> None:
        for event in events:
            await asyncio.to_thread(live.publish, [event])
            await asyncio.sleep(gap)


async def _with_scene(body: Callable[[Scene], Any]) -> Any:
    app = streams.LiveStreams(ProgramEvents())
    await app.startup()
    scene = Scene(app)
    try:
        assert await _until(lambda: app.hub is not None and app.hub.connected, 5)
        return await body(scene)
    finally:
        for task in scene.tasks:
            task.cancel()
        await asyncio.gather(*scene.tasks, return_exceptions=True)
        await app.shutdown()


def _retry_lines(text: str) -> list[int]:
    return [int(ms) for ms in re.findall(r"^retry: (\d+)$", text, re.MULTILINE)]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_client_that_stops_reading_holds_up_neither_the_hub_nor_the_other_streams(
    world, small_inboxes
):
    cookies = cookie_for(world.lead_a)
    events = _burst(world, 12, first_id=10_000_001)

    async def body(scene: Scene):
        stalled = await scene.open(FarEnd(stall=True), cookies)
        readers = [await scene.open(FarEnd(), cookies) for _ in range(3)]
        assert await _until(lambda: all(f.bodies for f in [stalled, *readers]), 5)
        assert await _until(lambda: scene.app.hub.subscriber_count == 4, 5)
        published = time.perf_counter()
        await scene.publish_one_by_one(events, gap=0.02)
        delivered = await _until(lambda: all(len(r.arrivals) == 12 for r in readers), 5)
        stalled_task = scene.tasks[0]
        ended = await _until(stalled_task.done, 3)
        return published, delivered, ended, stalled, readers

    published, delivered, ended, stalled, readers = run_apart(_with_scene(body))

    assert delivered, [len(r.arrivals) for r in readers]
    assert ended, "the stalled stream was not ended"
    assert not stalled.completed  # its writes never got through, and it was not waited for
    assert stalled.arrivals == {}
    for reader in readers:
        assert sorted(reader.arrivals) == [e.id for e in events]
        assert max(reader.arrivals.values()) - published < 12 * 0.02 + 1.0


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_stream_that_falls_behind_is_ended_with_a_retry_hint(world, small_inboxes):
    cookies = cookie_for(world.lead_a)
    events = _burst(world, 10, first_id=10_000_101)

    async def body(scene: Scene):
        slow = await scene.open(FarEnd(write_delay=0.3), cookies)
        reader = await scene.open(FarEnd(), cookies)
        assert await _until(lambda: scene.app.hub.subscriber_count == 2, 5)
        assert await _until(lambda: slow.bodies and reader.bodies, 5)
        await scene.publish_one_by_one(events, gap=0.02)
        assert await _until(lambda: len(reader.arrivals) == 10, 5)
        assert await _until(lambda: slow.completed, 5)
        return slow, reader, scene.app.hub.subscriber_count

    slow, reader, subscribers = run_apart(_with_scene(body))

    assert subscribers == 1
    assert len(slow.arrivals) < len(events)
    assert slow.text.endswith("\n\n")
    first, farewell = _retry_lines(slow.text)
    assert first == 1000
    assert 1000 <= farewell < 2000
    assert ": fell behind" in slow.text
    assert slow.bodies[-1] == b""  # and the response was then ended
    assert sorted(reader.arrivals) == [e.id for e in events]
    assert _retry_lines(reader.text) == [1000]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_burst_reaches_every_stream_without_a_database_query_per_stream(world, small_inboxes):
    cookies = {user: cookie_for(user) for user in (world.lead_a, world.viewer_a, world.staff)}
    events = _burst(world, 3, first_id=10_000_201)

    async def body(scene: Scene):
        readers = [await scene.open(FarEnd(), cookies[user]) for user in cookies for _ in range(4)]
        assert await _until(lambda: scene.app.hub.subscriber_count == 12, 5)
        assert await _until(lambda: all(r.bodies for r in readers), 5)
        await asyncio.sleep(0.2)  # every stream past its catch-up
        before = scene.db_calls
        await scene.publish_one_by_one(events, gap=0.05)
        assert await _until(lambda: all(len(r.arrivals) == 3 for r in readers), 5)
        return scene.db_calls - before, scene.app.hub.class_count

    db_calls, classes = run_apart(_with_scene(body))

    assert db_calls == 0
    assert classes == 3
