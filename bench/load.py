"""Load generation with locust (as a library, headless): closed-loop probes of one endpoint at a
time, and a mixed crowd of simulated users.

Every request's time is recorded as locust reports it (time to the whole body; to the headers
for a stream) while a measuring window is open, so that percentiles are exact rather than
locust's rounded buckets, and requests/s count only the window, not the ramp-up or the stop.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import gevent
from locust import FastHttpUser, between, constant, task
from locust.contrib.fasthttp import FastHttpSession, ResponseContextManager
from locust.env import Environment

WARMUP_SECONDS = 0.5
STREAM = "live stream"


@dataclass(frozen=True)
class Target:
    """What the simulated users need to know about the portal under test."""

    base_url: str
    program: str
    session_cookie: str
    sponsor_token: str
    pm_token: str


@dataclass(frozen=True)
class Probe:
    """One endpoint measured on its own: a GET with these headers must answer `expect`."""

    label: str
    path: str
    headers: dict[str, str]
    expect: int


@dataclass
class Figures:
    """What one kind of request did inside a measuring window."""

    seconds: float
    times_ms: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.times_ms) + self.errors

    @property
    def per_second(self) -> float:
        return len(self.times_ms) / self.seconds

    def percentile(self, share: float) -> float:
        """Nearest rank: the time that `share` of the successful requests did not exceed."""
        if not self.times_ms:
            return math.nan
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Recorder:
    """Collects locust's request events by name while `open` is set."""

    def __init__(self) -> None:
        self.open = False
        self.opened_at = 0.0
        self.kinds: dict[str, Figures] = defaultdict(lambda: Figures(seconds=0.0))

    def __call__(self, *, name: str, response_time: float, exception: Any, **_: Any) -> None:
        if not self.open:
            return
        figures = self.kinds[name]
        if exception is None:
            figures.times_ms.append(response_time)
        else:
            figures.errors += 1

    def start(self) -> None:
        self.opened_at = time.monotonic()
        self.open = True

    def close(self) -> dict[str, Figures]:
        self.open = False
        seconds = time.monotonic() - self.opened_at
        for figures in self.kinds.values():
            figures.seconds = seconds
        return dict(self.kinds)


def run(
    users: Iterable[type[FastHttpUser]], *, count: int, seconds: float, arrival: float = 0.0
) -> dict[str, Figures]:
    """Start `count` users of these classes and measure for `seconds`. With `arrival` the users
    come in over that many seconds, measured too; without, all start at once and warm up first
    (connections opened, the first requests' costs paid) outside the measurement."""
    environment = Environment(user_classes=list(users))
    recorder = Recorder()
    environment.events.request.add_listener(recorder)
    runner = environment.create_local_runner()
    if arrival:
        recorder.start()
        runner.start(count, spawn_rate=count / arrival)
    else:
        runner.start(count, spawn_rate=count)
        gevent.sleep(WARMUP_SECONDS)
        recorder.start()
    gevent.sleep(seconds)
    figures = recorder.close()
    runner.quit()
    return figures


def fetch(
    client: FastHttpSession,
    name: str,
    path: str,
    *,
    expect: Iterable[int],
    **options: Any,
) -> ResponseContextManager:
    """A request that counts as an error unless it answers one of `expect` (no redirects
    followed: a redirect to the login page is a failure, not a page)."""
    expected = tuple(expect)
    with client.request(
        options.pop("method", "GET"),
        path,
        name=name,
        catch_response=True,
        allow_redirects=False,
        **options,
    ) as response:
        if response.status_code in expected:
            response.success()
        else:
            response.failure(f"answered {response.status_code}, expected {expected}")
    return response


# --- one endpoint at a time ---------------------------------------------------------------------


class ProbeUser(FastHttpUser):
    """A client that asks for one thing as fast as the answers come (a closed loop)."""

    abstract = True
    wait_time = constant(0)
    probe: Probe

    @task
    def ask(self) -> None:
        fetch(
            self.client,
            self.probe.label,
            self.probe.path,
            headers=self.probe.headers,
            expect=[self.probe.expect],
        )


def probe_users(base_url: str, probe: Probe) -> type[ProbeUser]:
    return type("Probe", (ProbeUser,), {"host": base_url, "probe": probe})


# --- the mixed crowd ----------------------------------------------------------------------------


class MixedUser(FastHttpUser):
    abstract = True
    target: Target


class Sponsor(MixedUser):
    """A sponsor with the program page open: the live stream held for the whole run (as the
    page's EventSource does), and the page read again every few seconds."""

    abstract = True
    weight = 4
    wait_time = between(1, 3)
    streams = 0  # opened in this run
    frames = 0  # events received on all of this run's streams

    def on_start(self) -> None:
        self.stream = gevent.spawn(self.hold_stream)

    def on_stop(self) -> None:
        self.stream.kill()

    def hold_stream(self) -> None:
        """Reads the stream until the run ends; a stream the server ends is an error."""
        response = fetch(
            self.client,
            STREAM,
            "/events/",
            expect=[200],
            stream=True,
            headers={"Cookie": self.target.session_cookie},
        )
        if response.status_code != 200:
            return
        type(self).streams += 1
        opened = time.perf_counter()
        for chunk in response.iter_content(decode_content=False):
            type(self).frames += chunk.count(b"\ndata: ")
        self.environment.events.request.fire(
            request_type="GET",
            name=STREAM,
            response_time=(time.perf_counter() - opened) * 1000,
            response_length=0,
            exception=ConnectionError("the server ended the stream"),
            context={},
        )

    @task
    def read_page(self) -> None:
        fetch(
            self.client,
            "sponsor's program page",
            f"/programs/{self.target.program}/",
            expect=[200],
            headers={"Cookie": self.target.session_cookie},
        )


class ProjectManager(MixedUser):
    """A CDMO project manager posting sponsor-visible updates through the API."""

    abstract = True
    weight = 1
    wait_time = between(2, 6)

    @task
    def post_update(self) -> None:
        fetch(
            self.client,
            "PM posts an update",
            f"/api/v1/programs/{self.target.program}/updates/",
            method="POST",
            expect=[201],
            headers={"Authorization": f"Token {self.target.pm_token}"},
            json={"title": "Benchmark update", "body": "Posted by the served benchmark."},
        )


class Poller(MixedUser):
    """A sponsor's system polling the status, sending back the last ETag it was given."""

    abstract = True
    weight = 5
    wait_time = between(0.5, 1.5)
    etag: str | None = None

    @task
    def poll(self) -> None:
        headers = {"Authorization": f"Token {self.target.sponsor_token}"}
        if self.etag:
            headers["If-None-Match"] = self.etag
        response = fetch(
            self.client,
            "client polls the status",
            f"/api/v1/programs/{self.target.program}/status/",
            expect=[200, 304],
            headers=headers,
        )
        self.etag = response.headers.get("ETag") or self.etag


def mixed_users(target: Target) -> list[type[MixedUser]]:
    return [
        type(kind.__name__, (kind,), {"host": target.base_url, "target": target})
        for kind in (Sponsor, ProjectManager, Poller)
    ]
