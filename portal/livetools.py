"""Serving `portal.asgi` in a thread and reading its event stream, for the stream tests and
`manage.py measure_stream_latency`. `live_server` cannot stream (it is WSGI), so both run
uvicorn in a background thread and read `/events/` with httpx.
"""

from __future__ import annotations

import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

import httpx
import uvicorn
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

from portal.models import User


@contextmanager
def serve_in_thread(app: str = "portal.asgi:application") -> Iterator[str]:
    """Serve the ASGI app with uvicorn on a free local port; yields the base URL. An SSE stream
    never flushes under WSGI (runserver, live_server), hence a real ASGI server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="on", log_level="warning", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


@dataclass
class StreamEvent:
    """One server-sent event as the browser would dispatch it."""

    event: str
    data: str
    id: str | None
    received: float = field(default_factory=time.perf_counter)

    @property
    def json(self) -> Any:
        return json.loads(self.data)


class StreamReader:
    """Reads `/events/` on a thread, like an EventSource, so a test can wait with a deadline."""

    def __init__(
        self,
        url: str,
        *,
        cookies: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.url = url
        self.cookies = cookies or {}
        self.headers = headers or {}
        self.status_code: int | None = None
        self.response_headers: httpx.Headers | None = None
        self.body = b""
        self.retry: int | None = None
        self.comments: list[str] = []
        self.ended = threading.Event()
        self._events: queue.Queue[StreamEvent] = queue.Queue()
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._read, name="sse-reader", daemon=True)

    def __enter__(self) -> StreamReader:
        self._thread.start()
        if not self._connected.wait(10):
            raise RuntimeError(f"no response from {self.url}")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        # Closing the response would wait for the next line; shutting the socket down does not.
        stream = self._response.extensions.get("network_stream") if self._response else None
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)

    def next(self, timeout: float) -> StreamEvent | None:
        try:
            return self._events.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def wait_for(self, match: Callable[[StreamEvent], bool], timeout: float) -> StreamEvent | None:
        """The first event that matches within `timeout` seconds; others are consumed."""
        deadline = time.monotonic() + timeout
        while (event := self.next(deadline - time.monotonic())) is not None:
            if match(event):
                return event
        return None

    def until(self, match: Callable[[StreamEvent], bool], timeout: float) -> list[StreamEvent]:
        """Every event up to and including the first that matches (within `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        events = []
        while (event := self.next(deadline - time.monotonic())) is not None:
            events.append(event)
            if match(event):
                break
        return events

    def drain(self, seconds: float) -> list[StreamEvent]:
        """Every event that arrives in the next `seconds`."""
        deadline = time.monotonic() + seconds
        events = []
        while (event := self.next(deadline - time.monotonic())) is not None:
            events.append(event)
        return events

    def _read(self) -> None:
        try:
            timeout = httpx.Timeout(10.0, read=None)
            with (
                httpx.Client(timeout=timeout) as client,
                client.stream("GET", self.url, cookies=self.cookies, headers=self.headers) as resp,
            ):
                self._response = resp
                self.status_code = resp.status_code
                self.response_headers = resp.headers
                self._connected.set()
                if resp.status_code != 200:
                    self.body = resp.read()
                    return
                self._parse(resp.iter_lines())
        except (httpx.HTTPError, OSError, RuntimeError):
            if not self._stopping.is_set():
                raise
        finally:
            self._connected.set()
            self.ended.set()

    def _parse(self, lines: Iterator[str]) -> None:
        event, event_id = "message", None
        data: list[str] = []
        for line in lines:
            if self._stopping.is_set():
                return
            if not line:
                if data:
                    self._events.put(StreamEvent(event, "\n".join(data), event_id))
                event, data = "message", []
                continue
            if line.startswith(":"):
                self.comments.append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
            elif name == "retry" and value.isdigit():
                self.retry = int(value)


PASSWORD_BACKEND = "portal.backends.OpenAccountBackend"


def session_cookie(user: User) -> tuple[dict[str, str], Callable[[], None]]:
    """A logged-in session for `user`, as the login view would leave it; and its logout."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = PASSWORD_BACKEND  # the one password sign-in uses
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return {settings.SESSION_COOKIE_NAME: store.session_key}, store.delete
