"""Server-Sent Events for live pages: the async handler behind `/events/`.

A stream only says "look again at program X"; pages re-fetch through permission-checked views,
and the Event table is the source of truth. Each web process holds ONE Redis subscription (the
`Hub`) and fans messages out in memory to its streams; a stream never opens its own Redis
connection. An event is filtered once per viewer class and framed once per frame variant, and
the same bytes go to every stream that may have them; an event from the hub costs a stream no
database query, and a stream that falls behind is dropped rather than waited for
(`manage.py bench_streams`: 2,000 streams on one process, a 20-update burst at p95 ~215-250 ms,
~26 KB a stream). Without Redis (embedded mode), or while the hub is reconnecting, streams poll
the Event table instead.

A stream subscribes first, then catches up from the Event table, then streams: an event that
commits between the catch-up query and the subscription would otherwise be lost. Duplicates from
that overlap are dropped by id. The ids already sent are remembered as a set, not a high-water
mark, because event ids are allocated at insert and committed in any order: an event that
commits late with a lower id must still be delivered.

Everything a stream carries is a `portal.live.LiveEvent`, and what a viewer may receive is
`portal.access.may_see`, the rule the Event queryset applies too. The Event table belongs to a
domain app, which the core does not import: its reads come in through `EventSource`, handed to
`LiveStreams` by the project's entry point (`portal/asgi.py`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import json
import logging
import math
import os
import random
import re
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from importlib import import_module
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs

import redis.asyncio as aioredis
from django.conf import settings
from django.contrib.auth import get_user
from django.db import connections
from django.http import HttpRequest
from django.http.cookie import parse_cookie
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from portal import access, account_state, session_limits
from portal.live import Bell, LiveEvent

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
T = TypeVar("T")

PAGE_SIZE = 200
CATCH_UP_PAGES = 5
SENT_IDS_REMEMBERED = 2048
_PROGRAM_CODE = re.compile(r"[A-Z0-9-]{1,20}")

NOT_LOGGED_IN = "Log in to receive live updates."
NO_MEMBERSHIP = "This account belongs to no organisation, so it has no live updates."
GET_ONLY = "Live updates are read with GET."


@dataclass(frozen=True)
class StreamConfig:
    """Timings of the live streams. Settings named LIVE_* override the defaults."""

    heartbeat: float = 15.0  # comment line that keeps proxies from closing an idle stream
    poll: float = 2.0  # Event table polling without Redis, or while the hub reconnects
    sweep: float = 30.0  # safety catch-up and session re-check, with Redis too
    retry_ms: int = 3000  # reconnection delay the browser is told to use
    queue_size: int = 256  # per stream; a stream that falls this far behind is disconnected
    lookback: int = 50  # ids below the newest seen that a poll re-reads for late commits
    redis_ping: float = 10.0  # the hub's liveness ping on its subscription
    db_threads: int = 4  # threads for the streams' database work, per process
    farewell: float = 2.0  # seconds to end a response before giving up on its client

    @classmethod
    def from_settings(cls) -> StreamConfig:
        defaults = cls()
        return cls(
            heartbeat=float(getattr(settings, "LIVE_HEARTBEAT_SECONDS", defaults.heartbeat)),
            poll=float(getattr(settings, "LIVE_POLL_SECONDS", defaults.poll)),
            sweep=float(getattr(settings, "LIVE_SWEEP_SECONDS", defaults.sweep)),
            retry_ms=int(getattr(settings, "LIVE_RETRY_MS", defaults.retry_ms)),
            queue_size=int(getattr(settings, "LIVE_QUEUE_SIZE", defaults.queue_size)),
            lookback=int(getattr(settings, "LIVE_POLL_LOOKBACK", defaults.lookback)),
            redis_ping=float(getattr(settings, "LIVE_REDIS_PING_SECONDS", defaults.redis_ping)),
            db_threads=int(getattr(settings, "LIVE_DB_THREADS", defaults.db_threads)),
            farewell=float(getattr(settings, "LIVE_FAREWELL_SECONDS", defaults.farewell)),
        )


class EventSource(Protocol):
    """The activity stream as the live streams read it from the database. Called on the
    streams' threads; both reads return only what `user` may see."""

    def latest_id(self, user: Any) -> int:
        """The newest event id the user may see (0 for none): where a fresh stream starts."""
        ...

    def after(self, user: Any, after_id: int, limit: int) -> Sequence[LiveEvent]:
        """Up to `limit` events the user may see with an id above `after_id`, oldest first."""
        ...


class Signal(enum.Enum):
    """What the hub tells a stream besides frames."""

    RESYNC = "resync"  # the subscription was (re)established: catch up from the Event table


@dataclass(frozen=True, slots=True)
class Frame:
    """Bytes ready to write to a stream. The hub builds one per published event and frame
    variant and hands the same object to every stream that may receive it."""

    data: bytes
    event_id: int | None = None  # None for a bell ring, which is not an event of the stream


Item = Frame | Signal


def viewer_class(who: access.Viewer) -> access.Viewer:
    """What decides which events a stream receives and how they are framed: its viewer without
    the user. The whole rest of the Viewer, not a chosen few of its fields, so that anything
    `portal.access` comes to depend on keeps apart the streams it would tell apart."""
    return dataclasses.replace(who, user_id=0)


class Subscription:
    """One stream's bounded inbox at the hub."""

    def __init__(self, viewer: access.Viewer, size: int) -> None:
        self.viewer = viewer
        self.user_id = viewer.user_id  # whose notification bell it rings
        self.queue: asyncio.Queue[Item] = asyncio.Queue(maxsize=size)
        self.overflowed = False
        self._on_overflow: Callable[[], object] | None = None

    def when_dropped(self, callback: Callable[[], object]) -> None:
        """Call `callback` when the hub drops this stream for falling behind (at once if it
        already has): it ends the stream even while a write to a client that is not reading
        is waiting."""
        self._on_overflow = callback
        if self.overflowed:
            callback()

    def drop(self) -> None:
        self.overflowed = True
        if self._on_overflow is not None:
            self._on_overflow()


class _Class:
    """The subscriptions of one viewer class: one filter and one frame per event serve them."""

    def __init__(self, viewer: access.Viewer) -> None:
        self.viewer = viewer
        self.members: set[Subscription] = set()


class Hub:
    """The process's single Redis subscription, fanned out in memory to every open stream.

    A published event is filtered once per viewer class (`viewer_class`) and framed once per
    frame variant, whatever the number of streams: each stream gets the same `Frame`. Offering
    it never waits: a stream whose inbox is full is dropped (its pump is cancelled, and it ends
    with a retry hint; its browser reconnects and catches up from Last-Event-ID), so one slow
    client, even one whose writes block, cannot hold up the hub or the others. If Redis goes
    away the hub reconnects with backoff; on every (re)subscription it tells the streams to
    RESYNC from the Event table, since whatever was published meanwhile is lost to pub/sub but
    not to the database.
    """

    BACKOFF_MIN = 0.5
    BACKOFF_MAX = 30.0

    def __init__(self, url: str, channel: str, *, queue_size: int, ping_interval: float) -> None:
        self.url = url
        self.channel = channel
        self.queue_size = queue_size
        self.ping_interval = ping_interval
        self.client_name = f"portal-live:{socket.gethostname()}:{os.getpid()}"
        self.connected = False
        self.generation = 0
        self._subscriptions: set[Subscription] = set()
        self._classes: dict[access.Viewer, _Class] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="live-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.connected = False

    def subscribe(self, viewer: access.Viewer) -> Subscription:
        subscription = Subscription(viewer, self.queue_size)
        self._subscriptions.add(subscription)
        key = viewer_class(viewer)
        group = self._classes.get(key)
        if group is None:
            group = self._classes[key] = _Class(key)
        group.members.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscriptions.discard(subscription)
        key = viewer_class(subscription.viewer)
        group = self._classes.get(key)
        if group is not None:
            group.members.discard(subscription)
            if not group.members:
                del self._classes[key]

    @property
    def subscriber_count(self) -> int:
        return len(self._subscriptions)

    @property
    def class_count(self) -> int:
        return len(self._classes)

    def fan_out(self, item: LiveEvent | Bell | Signal) -> None:
        if isinstance(item, Signal):
            for subscription in list(self._subscriptions):
                self._offer(subscription, item)
        elif isinstance(item, Bell):
            self._ring(item)
        else:
            self._publish(item)

    def _publish(self, event: LiveEvent) -> None:
        frames: dict[tuple[str, ...], Frame] = {}
        for group in list(self._classes.values()):
            if not _may_see(group.viewer, event):
                continue
            variant = tuple(_leadership_events(group.viewer, event))
            frame = frames.get(variant)
            if frame is None:
                frame = frames[variant] = Frame(_frame(event, group.viewer), event.id)
            for subscription in list(group.members):
                self._offer(subscription, frame)

    def _ring(self, bell: Bell) -> None:
        frames: dict[int, Frame] = {}
        for subscription in list(self._subscriptions):
            user_id = subscription.user_id
            if user_id in bell.users:
                frame = frames.get(user_id)
                if frame is None:
                    frame = frames[user_id] = Frame(_bell_frame(user_id))
                self._offer(subscription, frame)

    def _offer(self, subscription: Subscription, item: Item) -> None:
        try:
            subscription.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.unsubscribe(subscription)
            subscription.drop()
            logger.info("live stream fell behind; dropped so that it reconnects and catches up")

    async def _run(self) -> None:
        delay = self.BACKOFF_MIN
        while True:
            generation = self.generation
            try:
                await self._listen()
            except (RedisError, OSError) as exc:
                if self.generation != generation:  # it had been working: start backing off anew
                    delay = self.BACKOFF_MIN
                logger.warning("live hub lost Redis (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # noqa: S311 (jitter)
            delay = min(delay * 2, self.BACKOFF_MAX)

    async def _listen(self) -> None:
        client = aioredis.Redis.from_url(
            self.url,
            # A subscription waits for messages indefinitely; redis-py's default 5 s socket
            # timeout would break it. Liveness comes from the pings below instead.
            socket_timeout=None,
            socket_connect_timeout=5,
            socket_keepalive=True,
            health_check_interval=max(1, int(self.ping_interval)),
            # No silent reconnects inside redis-py: they resubscribe without telling us, and
            # whatever was published in between would be lost without a RESYNC.
            retry=Retry(NoBackoff(), 0),
            client_name=self.client_name,
        )
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.channel)
            self.connected = True
            self.generation += 1
            logger.info("live hub subscribed to %s", self.channel)
            self.fan_out(Signal.RESYNC)
            loop = asyncio.get_running_loop()
            last_heard = next_ping = loop.time()
            while True:
                # redis-py swallows the replies to its own health checks, so the hub pings
                # as well and treats a connection that stops answering as dead.
                message = await pubsub.get_message(timeout=min(1.0, self.ping_interval))
                now = loop.time()
                if message is not None:
                    last_heard = now
                    if message["type"] == "message":
                        self._dispatch(message["data"])
                if now >= next_ping:
                    await pubsub.ping()
                    next_ping = now + self.ping_interval
                if now - last_heard > 3 * self.ping_interval:
                    raise OSError("no reply from Redis to the hub's pings")
        finally:
            self.connected = False
            with suppress(RedisError, OSError):
                await pubsub.aclose()
            with suppress(RedisError, OSError):
                await client.aclose()

    def _dispatch(self, raw: bytes | str) -> None:
        bell = Bell.decode(raw)
        if bell is not None:
            self.fan_out(bell)
            return
        events = _parse_published(raw)
        if not events:
            logger.warning("live hub ignored a malformed message: %.200r", raw)
        for event in events:
            self.fan_out(event)


def _well_formed(event: LiveEvent) -> bool:
    """Whether a published event is safe to frame: its program code becomes part of an SSE
    event name, so a newline in it would forge lines of the stream."""
    return (
        type(event.id) is int
        and type(event.sponsor) is int
        and isinstance(event.program, str)
        and _PROGRAM_CODE.fullmatch(event.program) is not None
        and event.audience in access.Audience.values
        and isinstance(event.kind, str)
        and isinstance(event.significance, str)
        and isinstance(event.summary, str)
        and (event.program_id is None or type(event.program_id) is int)
    )


def _parse_published(raw: bytes | str) -> list[LiveEvent]:
    """The events of a message from `portal.live.publish`; none if any of them is malformed."""
    events = LiveEvent.decode(raw)
    return events if all(_well_formed(event) for event in events) else []


def _may_see(who: access.Viewer, event: LiveEvent) -> bool:
    """The stream's per-viewer filter: the one audience and tenancy rule of `portal.access`."""
    if who.program_ids is not None and not who.is_cdmo and event.program_id is None:
        return False
    return access.may_see(
        who, sponsor_id=event.sponsor, audience=event.audience, program_id=event.program_id
    )


@dataclass(frozen=True)
class Reader:
    """Who is on the other end of a stream: the user (for the event reads) and what access
    makes of them (for the filter, and to notice when that changes)."""

    user: Any
    viewer: access.Viewer


class _NoMembership(Exception):
    pass


# --- Database work, run in the streams' thread pool ----------------------------------------


def _closing_connections(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn` and hand the thread's database connections back: these threads serve many
    streams and must not hold a connection between calls."""
    try:
        return fn(*args)
    finally:
        connections.close_all()


def _resolve_reader(session_key: str) -> Reader | None:
    """The session's user, exactly as Django's middleware would find it (expiry and the
    password-change hash included). None for anonymous; raises _NoMembership for a user that
    belongs to no organisation."""
    request = HttpRequest()
    request.session = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = get_user(request)
    if not user.is_authenticated:
        return None
    # A closed account, or a session past its idle or absolute limit, streams nothing: the
    # next page request ends the session and audits why (portal.session_limits).
    if not account_state.is_open(user) or session_limits.expired(request.session, time.time()):
        return None
    who = access.viewer(user)
    if who is None:
        raise _NoMembership
    return Reader(user=user, viewer=who)


def _events_since(source: EventSource, user: Any, after_id: int) -> list[LiveEvent]:
    events: list[LiveEvent] = []
    for _ in range(CATCH_UP_PAGES):
        batch = source.after(user, after_id, PAGE_SIZE)
        events.extend(batch)
        if len(batch) < PAGE_SIZE:
            break
        after_id = batch[-1].id
    return events


# --- The stream ----------------------------------------------------------------------------


class _SentIds:
    """The most recent ids a stream has sent, for dropping duplicates."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._order: deque[int] = deque()
        self._ids: set[int] = set()

    def add(self, event_id: int) -> bool:
        """Remember the id; False if it was already sent."""
        if event_id in self._ids:
            return False
        self._ids.add(event_id)
        self._order.append(event_id)
        if len(self._order) > self._size:
            self._ids.discard(self._order.popleft())
        return True


def _frame(event: LiveEvent, who: access.Viewer | None = None) -> bytes:
    # What a page needs to decide to look again; the significance because critical items are
    # announced prominently on every open page of the program. Never the sponsor or audience.
    fields = {
        "id": event.id,
        "program": event.program,
        "kind": event.kind,
        "summary": event.summary,
        "significance": event.significance,
    }
    data = json.dumps(fields, separators=(",", ":"))
    frame = f"id: {event.id}\nevent: program-{event.program}\ndata: {data}\n\n"
    # Leadership's room listens across every program: the queue to `escalations`, the
    # portfolio to `portfolio` (any program's change may move its health or counts).
    for name in _leadership_events(who, event):
        frame += f"event: {name}\ndata: {data}\n\n"
    return frame.encode()


ESCALATION_KIND = "escalation"


def _leadership_events(who: access.Viewer | None, event: LiveEvent) -> list[str]:
    if who is None or who.role != access.Role.LEADERSHIP:
        return []
    return ["escalations", "portfolio"] if event.kind == ESCALATION_KIND else ["portfolio"]


def _fell_behind_frame(retry_ms: int) -> bytes:
    """The last words to a stream dropped for falling behind: reconnect, later than usual and
    at a random moment within a second interval, so that the streams dropped together by a
    stall do not all come back at once."""
    delay = retry_ms + random.randrange(retry_ms)  # noqa: S311 (spreading load)
    return f": fell behind; reconnect and catch up\nretry: {delay}\n\n".encode()


def _bell_frame(user_id: int) -> bytes:
    """No id: a ring is not an event of the stream, and must not move `Last-Event-ID`."""
    return f"event: notifications-{user_id}\ndata: {{}}\n\n".encode()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _last_event_id(scope: Scope) -> int | None:
    """From the Last-Event-ID header (EventSource reconnecting), else ?last_event_id= (a page
    that opens a fresh EventSource after a reload or an htmx reconnect)."""
    raw = _header(scope, b"last-event-id")
    if raw is None:
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        values = query.get("last_event_id")
        raw = values[0] if values else None
    if raw is None or not raw.strip().isdigit():
        return None
    return int(raw.strip())


def _session_key(scope: Scope) -> str | None:
    cookie = _header(scope, b"cookie")
    if not cookie:
        return None
    return parse_cookie(cookie).get(settings.SESSION_COOKIE_NAME) or None


async def _plain_response(
    send: Send, status: int, text: str, extra: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"cache-control", b"no-store"),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": text.encode()})


async def _wait_for_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class LiveStreams:
    """The ASGI app for `/events/`, reading the activity stream from `events`.
    `startup()`/`shutdown()` run from the ASGI lifespan; a server that sends no lifespan gets
    the hub started by the first stream."""

    def __init__(self, events: EventSource) -> None:
        self.events = events
        self.config = StreamConfig()
        self.hub: Hub | None = None
        self._executor: ThreadPoolExecutor | None = None

    @property
    def started(self) -> bool:
        return self._executor is not None

    async def startup(self) -> None:
        if self.started:
            return
        self.config = StreamConfig.from_settings()
        self._executor = ThreadPoolExecutor(
            max_workers=self.config.db_threads, thread_name_prefix="live-db"
        )
        if settings.REDIS_URL:
            self.hub = Hub(
                settings.REDIS_URL,
                settings.EVENTS_CHANNEL,
                queue_size=self.config.queue_size,
                ping_interval=self.config.redis_ping,
            )
            self.hub.start()
        logger.info("live streams ready (%s)", "Redis pub/sub" if self.hub else "polling")

    async def shutdown(self) -> None:
        if self.hub is not None:
            await self.hub.stop()
            self.hub = None
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._executor, functools.partial(_closing_connections, fn, *args)
        )

    async def _reader(self, session_key: str | None) -> Reader | None:
        """None for anonymous; raises _NoMembership."""
        if session_key is None:
            return None
        return await self._db(_resolve_reader, session_key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "GET":
            await _plain_response(send, 405, GET_ONLY, ((b"allow", b"GET"),))
            return
        await self.startup()
        session_key = _session_key(scope)
        try:
            reader = await self._reader(session_key)
        except _NoMembership:
            await _plain_response(send, 403, NO_MEMBERSHIP)
            return
        if reader is None or session_key is None:
            await _plain_response(send, 401, NOT_LOGGED_IN)
            return

        hub = self.hub
        subscription = hub.subscribe(reader.viewer) if hub is not None else None
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"text/event-stream; charset=utf-8"),
                        (b"cache-control", b"no-cache"),
                        (b"x-accel-buffering", b"no"),
                    ],
                }
            )
            await self._stream(reader, session_key, subscription, scope, receive, send)
        finally:
            if hub is not None and subscription is not None:
                hub.unsubscribe(subscription)

    async def _stream(
        self,
        reader: Reader,
        session_key: str,
        subscription: Subscription | None,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        """Pump events until the client goes, the stream ends itself, or the server stops."""
        stream = _Stream(self, reader, session_key, subscription, send)
        pump = asyncio.ensure_future(stream.run(_last_event_id(scope)))
        if subscription is not None:
            subscription.when_dropped(pump.cancel)
        watcher = asyncio.ensure_future(_wait_for_disconnect(receive))
        done: set[asyncio.Future[None]] = set()
        try:
            done, _ = await asyncio.wait({pump, watcher}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            # The server's graceful shutdown ran out: end the response quietly; the browser
            # reconnects to another process and catches up.
            logger.info("live stream closed by server shutdown")
        finally:
            for task in (pump, watcher):
                task.cancel()
            await asyncio.gather(pump, watcher, return_exceptions=True)
        if pump in done and not pump.cancelled() and pump.exception() is not None:
            logger.error("live stream failed", exc_info=pump.exception())
        dropped = subscription is not None and subscription.overflowed
        await self._end(send, _fell_behind_frame(self.config.retry_ms) if dropped else b"")

    async def _end(self, send: Send, farewell: bytes) -> None:
        """End the response, with `farewell` before. Bounded: a client that is not reading
        blocks every write, and the stream must not wait on it forever (uvicorn then closes
        the connection)."""
        try:
            async with asyncio.timeout(self.config.farewell):
                if farewell:
                    await send({"type": "http.response.body", "body": farewell, "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except TimeoutError:
            logger.info("live stream ended without a farewell: its client is not reading")


class _Stream:
    """One open `/events/` response."""

    def __init__(
        self,
        app: LiveStreams,
        reader: Reader,
        session_key: str,
        subscription: Subscription | None,
        send: Send,
    ) -> None:
        self.app = app
        self.config = app.config
        self.reader = reader
        self.session_key = session_key
        self.subscription = subscription
        self._send = send
        self.sent = _SentIds(SENT_IDS_REMEMBERED)
        self.floor = 0  # never read below what the client had when it connected
        self.cursor = 0  # the newest id seen

    async def write(self, body: bytes) -> None:
        await self._send({"type": "http.response.body", "body": body, "more_body": True})

    async def deliver(self, frames: Sequence[Frame]) -> bool:
        """Write the frames not sent yet, in one write."""
        fresh = []
        for frame in frames:
            if frame.event_id is None or self.sent.add(frame.event_id):
                self.cursor = max(self.cursor, frame.event_id or 0)
                fresh.append(frame.data)
        if fresh:
            await self.write(fresh[0] if len(fresh) == 1 else b"".join(fresh))
        return bool(fresh)

    async def poll(self) -> bool:
        """Catch up from the Event table: this stream's own read, framed for its viewer."""
        after = max(self.floor, self.cursor - self.config.lookback)
        events = await self.app._db(_events_since, self.app.events, self.reader.user, after)
        viewer = self.reader.viewer
        return await self.deliver([Frame(_frame(event, viewer), event.id) for event in events])

    async def still_allowed(self) -> bool:
        """Whether the session still stands for the same user with the same access."""
        try:
            current = await self.app._reader(self.session_key)
        except _NoMembership:
            return False
        return current is not None and current.viewer == self.reader.viewer

    async def next_items(self, timeout: float) -> list[Item]:
        timeout = max(0.0, timeout)
        if self.subscription is None:
            await asyncio.sleep(timeout)
            return []
        queue = self.subscription.queue
        items = []
        if queue.empty():
            try:
                # Not wait_for: in Python 3.11 that starts a task for every wait, and a burst
                # wakes every stream once per event. A get cut short leaves its item queued.
                async with asyncio.timeout(timeout):
                    items.append(await queue.get())
            except TimeoutError:
                return []
        while not queue.empty():
            items.append(queue.get_nowait())
        return items

    async def run(self, last_event_id: int | None) -> None:
        config = self.config
        await self.write(f"retry: {config.retry_ms}\n\n".encode())
        if last_event_id is None:
            self.floor = await self.app._db(self.app.events.latest_id, self.reader.user)
            self.cursor = self.floor
        else:
            self.floor = self.cursor = last_event_id
            await self.poll()

        loop = asyncio.get_running_loop()
        now = loop.time()
        # The first sweep falls anywhere in the second half of the interval: streams opened
        # together (a deploy, a reconnect wave) then do not sweep the database together.
        next_ping, next_poll, next_check = (
            now + config.heartbeat,
            now + config.poll,
            now + config.sweep * random.uniform(0.5, 1.0),  # noqa: S311 (spreading load)
        )
        while True:
            hub = self.app.hub
            live = self.subscription is not None and hub is not None and hub.connected
            deadline = min(next_ping, next_check, math.inf if live else next_poll)
            items = await self.next_items(deadline - loop.time())
            wrote = await self.deliver([item for item in items if isinstance(item, Frame)])
            now = loop.time()
            if Signal.RESYNC in items or (not live and now >= next_poll):
                wrote = await self.poll() or wrote
                next_poll = now + config.poll
            if now >= next_check:
                if not await self.still_allowed():
                    return  # logged out, expired or moved: the reconnect decides afresh
                wrote = await self.poll() or wrote
                next_check = now + config.sweep
            if wrote:
                next_ping = now + config.heartbeat
            elif now >= next_ping:
                await self.write(b": ping\n\n")
                next_ping = now + config.heartbeat
