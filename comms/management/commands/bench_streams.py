"""manage.py bench_streams: how many live streams one web process holds, and how fast a burst
of updates reaches them all (issue 13: 2,000 streams, p95 < 250 ms, < 200 MB, none missed).

A benchmark, not a test. It starts the production shape as a child process (uvicorn serving
`portal.asgi:application`, DEBUG=0, this PostgreSQL and Redis), opens `--streams` `/events/`
connections to it as a few sponsor users (sessions written to the database as a sign-in would,
many streams to a session), proves every stream live with one warm-up update, holds them for
`--hold` seconds so that the streams' database sweeps run as in steady state, then posts a
burst of `--updates` real, audited updates through `comms.services.updates.update_post` and
times each one from its commit to its arrival on each stream. It reports the p50/p95/max of
those delivery times, the deliveries missed, and the server's resident memory before and with
the streams.

The client side runs in this process on one asyncio loop whose connections only record what
arrives and when (parsed afterwards), so that the client costs the measured time little; on a
small machine client and server still share the CPUs, and the figures include that.

It writes records (an organisation, users, a program, the updates and their audit entries), so
it refuses a database whose name does not contain "bench". Delivery tasks go to a Celery queue
of the run's own, deleted afterwards: no worker acts on them.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
import multiprocessing
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections, transaction
from django.test import Client, override_settings

from comms.services.updates import update_post
from portal.celery import app as celery_app
from portal.models import Membership, Organisation, User
from programs.models import Audience, Program, ProgramMember
from programs.services.members import program_member_assign
from programs.services.program import program_create

GOAL_P95_MS = 250
GOAL_RSS_MB = 200


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (/proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (VmRSS of /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise CommandError(f"No VmRSS for process {pid}.")


# --- The server ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_env(secret_key: str, channel: str) -> dict[str, str]:
    """This process's environment in production shape: DEBUG off, real keys, no test switch."""
    env = {key: value for key, value in os.environ.items() if key != "PORTAL_TESTING"}
    env.update(
        DEBUG="0",
        SECRET_KEY=secret_key,
        AUDIT_CHAIN_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1",
        EVENTS_CHANNEL=channel,
    )
    return env


@contextmanager
def _served(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """uvicorn serving portal.asgi, as the Procfile starts it; yields the process and port."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "portal.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backlog",
        "4096",
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "5",
    ]
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise CommandError(f"uvicorn did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield server, port
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- The clients -----------------------------------------------------------------------------


class StreamProbe(asyncio.Protocol):
    """One `/events/` connection that only records what arrives and when; what it means is
    worked out afterwards, so that during the burst the client costs the loop next to nothing."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.chunks: list[tuple[float, bytes]] = []
        self.started: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.chunks.append((time.perf_counter(), data))
        if not self.started.done():
            self.started.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.started.done():
            self.started.set_exception(ConnectionError("closed before answering"))

    @property
    def status(self) -> int | None:
        match = re.match(rb"HTTP/1\.1 (\d{3}) ", self.chunks[0][1]) if self.chunks else None
        return int(match.group(1)) if match else None

    def has(self, token: bytes, since: int = 0) -> bool:
        """Whether `token` arrived in a chunk from the `since`-th on (frames arrive whole)."""
        return any(token in chunk for _, chunk in self.chunks[since:])

    def arrivals(self, pattern: re.Pattern[bytes]) -> dict[int, float]:
        """When each match of `pattern` (its group 1, a number) had fully arrived."""
        chunks = list(self.chunks)
        data = b"".join(chunk for _, chunk in chunks)
        ends = list(itertools.accumulate(len(chunk) for _, chunk in chunks))
        found: dict[int, float] = {}
        for match in pattern.finditer(data):
            found.setdefault(int(match.group(1)), chunks[bisect.bisect_left(ends, match.end())][0])
        return found


class Fleet:
    """The probes, on an event loop of their own in a process of their own (`_probe_process`):
    neither the GIL nor the CPU time of the thread posting updates through the ORM delays the
    moments the probes record."""

    def __init__(self) -> None:
        self.probes: list[StreamProbe] = []
        self.marks: list[int] = []

    async def open(self, port: int, cookies: list[str], count: int, concurrency: int) -> list[int]:
        """Open `count` streams, `concurrency` at a time; their HTTP statuses (0: none)."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(concurrency)

        async def open_one(cookie: str) -> StreamProbe:
            request = (
                f"GET /events/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Accept: text/event-stream\r\n"
                f"Cookie: {settings.SESSION_COOKIE_NAME}={cookie}\r\n\r\n"
            ).encode()
            async with gate:
                _, probe = await loop.create_connection(
                    lambda: StreamProbe(request), "127.0.0.1", port
                )
                await asyncio.wait_for(probe.started, 60)
                return probe

        self.probes = list(
            await asyncio.gather(*(open_one(cookies[n % len(cookies)]) for n in range(count)))
        )
        return [probe.status or 0 for probe in self.probes]

    def mark(self) -> None:
        """Remember where each stream is, for `wait_for(since_mark=True)`."""
        self.marks = [len(probe.chunks) for probe in self.probes]

    async def wait_for(self, token: bytes, timeout: float, since_mark: bool) -> int:
        """Wait until every stream has received `token`; how many had not by the timeout."""
        marks = self.marks if since_mark else [0] * len(self.probes)
        deadline = time.monotonic() + timeout
        while True:
            waiting = sum(
                not probe.has(token, mark) for probe, mark in zip(self.probes, marks, strict=True)
            )
            if not waiting or time.monotonic() > deadline:
                return waiting
            await asyncio.sleep(0.25)

    def results(self, pattern: bytes) -> tuple[list[dict[int, float]], int]:
        """Each stream's arrival times of the matches of `pattern`, and the streams closed."""
        compiled = re.compile(pattern)
        return [probe.arrivals(compiled) for probe in self.probes], sum(
            probe.closed for probe in self.probes
        )

    def close(self) -> None:
        for probe in self.probes:
            if probe.transport is not None:
                probe.transport.close()


def _probe_process(pipe: Connection) -> None:
    """The probes' process: runs the `Fleet` method each message from `pipe` names."""
    asyncio.run(_serve_fleet(pipe))


async def _serve_fleet(pipe: Connection) -> None:
    loop = asyncio.get_running_loop()
    fleet = Fleet()
    while True:
        name, args = await loop.run_in_executor(None, pipe.recv)
        result = getattr(fleet, name)(*args)
        if asyncio.iscoroutine(result):
            result = await result
        pipe.send(result)
        if name == "close":
            return


class Probes:
    """The bench's handle on the probes' process."""

    def __init__(self) -> None:
        # Forked before any thread or database connection of this process exists in the child's
        # eyes: the child runs only asyncio and the pipe.
        connections.close_all()
        self._pipe, child_end = multiprocessing.Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=_probe_process, args=(child_end,), name="probes", daemon=True
        )
        self._process.start()

    def call(self, name: str, *args: Any) -> Any:
        self._pipe.send((name, args))
        return self._pipe.recv()

    def close(self) -> None:
        if self._process.is_alive():
            self.call("close")
        self._process.join(10)


# --- The run ---------------------------------------------------------------------------------


@dataclass
class Participants:
    author: User
    sponsors: list[User]
    program: Program


@dataclass
class Burst:
    commits: dict[int, float]  # update number -> perf_counter at its commit
    posting_ms: float
    server_cpu_ms: float = 0.0


class Command(BaseCommand):
    help = (
        "Hold N live streams on one uvicorn process (production shape) and time a burst of "
        "updates to them. Writes records: use a *bench* database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--streams", type=int, default=2000, help="open streams (2000)")
        parser.add_argument("--users", type=int, default=5, help="sponsor users streaming (5)")
        parser.add_argument("--updates", type=int, default=20, help="updates in the burst (20)")
        parser.add_argument(
            "--hold",
            type=float,
            default=35.0,
            help="seconds the streams stay open before the burst, so that their periodic "
            "database sweeps (LIVE_SWEEP_SECONDS, 30) run as in steady state (35)",
        )
        parser.add_argument(
            "--timeout", type=float, default=20.0, help="seconds to wait for deliveries (20)"
        )
        parser.add_argument(
            "--connect-concurrency", type=int, default=100, help="streams opening at once (100)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self._check_environment(options)
        run = uuid.uuid4().hex[:8]
        participants = self._participants(run, options["users"])
        secret_key = secrets.token_urlsafe(60)
        with override_settings(SECRET_KEY=secret_key):  # the server's key signs the sessions
            cookies = [_signed_in(user) for user in participants.sponsors]
        channel = f"portal:events:bench:{run}"
        queue = f"bench-streams-{run}"
        settings.EVENTS_CHANNEL = channel
        celery_app.conf.task_default_queue = queue
        try:
            with (
                tempfile.TemporaryDirectory() as scratch,
                _served(_server_env(secret_key, channel), Path(scratch) / "uvicorn.log") as (
                    server,
                    port,
                ),
            ):
                self._measure(server, port, cookies, participants, run, options)
        finally:
            Session.objects.filter(session_key__in=cookies).delete()
            _delete_queue(queue)

    def _check_environment(self, options: dict[str, Any]) -> None:
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(f"Refusing to write records to {name!r}: use a *bench* database.")
        if connection.vendor != "postgresql" or not os.environ.get("DATABASE_URL"):
            raise CommandError("The production shape needs PostgreSQL: set DATABASE_URL.")
        if not settings.REDIS_URL:
            raise CommandError("The streams' hub needs Redis: set REDIS_URL.")
        for option in ("streams", "users", "updates", "connect_concurrency"):
            if options[option] < 1:
                raise CommandError(f"--{option.replace('_', '-')} must be at least 1.")

    def _measure(
        self,
        server: subprocess.Popen[bytes],
        port: int,
        cookies: list[str],
        participants: Participants,
        run: str,
        options: dict[str, Any],
    ) -> None:
        baseline_mb = _rss_mb(server.pid)
        count, timeout = options["streams"], options["timeout"]
        probes = Probes()
        try:
            started = time.perf_counter()
            statuses = probes.call("open", port, cookies, count, options["connect_concurrency"])
            opened_s = time.perf_counter() - started
            refused = [status for status in statuses if status != 200]
            if refused:
                raise CommandError(f"{len(refused)} streams refused, e.g. {refused[0]}.")
            self.stdout.write(
                f"{count} streams open in {opened_s:.1f} s as {len(cookies)} sponsor users; "
                f"server {server.pid}, {baseline_mb:.0f} MB before the streams"
            )
            self._warm_up(probes, participants, run, timeout)
            time.sleep(options["hold"])
            probes.call("mark")
            cpu_before = _cpu_seconds(server.pid)
            burst = self._post_burst(participants, run, options["updates"])
            last = f"[{run}-{options['updates'] - 1}]".encode()
            probes.call("wait_for", last, timeout, True)
            burst.server_cpu_ms = (_cpu_seconds(server.pid) - cpu_before) * 1000
            held_mb = _rss_mb(server.pid)
            arrivals, closed = probes.call("results", rf"\[{run}-(\d+)\]".encode())
            self._report(arrivals, closed, burst, baseline_mb, held_mb)
        finally:
            probes.close()

    def _warm_up(
        self, probes: Probes, participants: Participants, run: str, timeout: float
    ) -> None:
        """One update that every stream must receive before the burst: each is then past its
        catch-up and waiting on the hub."""
        update_post(
            actor=participants.author,
            program=participants.program,
            title=f"Stream bench warm-up [{run}-warm]",
            body="Automated live-stream benchmark; please ignore.",
        )
        waiting = probes.call("wait_for", f"[{run}-warm]".encode(), timeout, False)
        if waiting:
            raise CommandError(f"{waiting} streams never received the warm-up update.")

    @staticmethod
    def _post_burst(participants: Participants, run: str, updates: int) -> Burst:
        commits: dict[int, float] = {}

        def stamp(n: int) -> Callable[[], object]:
            return lambda: commits.setdefault(n, time.perf_counter())

        started = time.perf_counter()
        for n in range(updates):
            with transaction.atomic():
                # Registered first, so it runs first among the commit's callbacks: at the commit.
                transaction.on_commit(stamp(n))
                update_post(
                    actor=participants.author,
                    program=participants.program,
                    title=f"Stream bench {n + 1}/{updates} [{run}-{n}]",
                    body="Automated live-stream benchmark; please ignore.",
                    audience=Audience.SPONSOR,
                )
        return Burst(commits=commits, posting_ms=(time.perf_counter() - started) * 1000)

    def _report(
        self,
        arrivals: list[dict[int, float]],
        dropped: int,
        burst: Burst,
        baseline_mb: float,
        held_mb: float,
    ) -> None:
        latencies: list[float] = []
        missed = 0
        for arrived in arrivals:
            missed += sum(1 for n in burst.commits if n not in arrived)
            latencies.extend((arrived[n] - burst.commits[n]) * 1000 for n in arrived)
        count = len(arrivals)
        expected = count * len(burst.commits)
        per_stream_kb = (held_mb - baseline_mb) * 1024 / count
        self.stdout.write(
            f"burst of {len(burst.commits)} updates posted in {burst.posting_ms:.0f} ms; "
            f"server CPU {burst.server_cpu_ms:.0f} ms until the last delivery"
        )
        if latencies:
            self.stdout.write(
                f"commit -> stream  p50 {statistics.median(latencies):7.1f} ms   "
                f"p95 {_percentile(latencies, 0.95):7.1f} ms   "
                f"p99 {_percentile(latencies, 0.99):7.1f} ms   max {max(latencies):7.1f} ms"
            )
        self.stdout.write(
            f"deliveries {len(latencies)} of {expected}, missed {missed}; streams closed {dropped}"
        )
        self.stdout.write(
            f"server RSS {held_mb:.0f} MB with {count} streams ({baseline_mb:.0f} MB before; "
            f"{per_stream_kb:.1f} KB per stream)"
        )
        p95 = _percentile(latencies, 0.95) if latencies else math.inf
        verdict = "met" if p95 < GOAL_P95_MS and held_mb < GOAL_RSS_MB and not missed else "NOT met"
        self.stdout.write(
            f"goal (p95 < {GOAL_P95_MS} ms, < {GOAL_RSS_MB} MB, none missed) at {count} "
            f"streams: {verdict}"
        )
        if missed or dropped:
            raise CommandError(f"{missed} deliveries missed, {dropped} streams closed.")

    # --- data ---------------------------------------------------------------------------------

    @staticmethod
    def _participants(run: str, users: int) -> Participants:
        cdmo = Organisation.objects.filter(kind=Organisation.Kind.CDMO).first()
        if cdmo is None:
            cdmo = Organisation.objects.create(
                name="Stream bench CDMO", slug=f"stream-bench-cdmo-{run}", kind="cdmo"
            )
        sponsor = Organisation.objects.create(
            name=f"Stream bench sponsor {run}", slug=f"stream-bench-{run}", kind="sponsor"
        )
        author = _user(f"stream-bench-pm-{run}@bench.invalid", cdmo, Membership.Role.PM)
        roles = (Membership.Role.SPONSOR_VIEWER, Membership.Role.SPONSOR_LEAD)
        sponsors = [
            _user(f"stream-bench-{n}-{run}@bench.invalid", sponsor, roles[n % len(roles)])
            for n in range(users)
        ]
        program = program_create(
            actor=None,
            sponsor=sponsor,
            code=f"S{run[:7].upper()}-1",
            name="Live stream benchmark",
            phase=Program.Phase.PRECLINICAL,
        )
        program_member_assign(
            actor=None, program=program, user=author, role=ProgramMember.Role.DEDICATED_PM
        )
        return Participants(author=author, sponsors=sponsors, program=program)


def _user(email: str, organisation: Organisation, role: str) -> User:
    user = User.objects.create_user(email=email, password=None, display_name=email.split("@")[0])
    Membership.objects.create(user=user, organisation=organisation, role=role)
    return user


def _signed_in(user: User) -> str:
    """The key of a new session of `user`, signed in through the configured backends."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _delete_queue(queue: str) -> None:
    """The run's Celery queue and kombu's bindings for it: no worker serves it."""
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    try:
        for key in broker.scan_iter(match=f"*{queue}*"):
            broker.delete(key)
    finally:
        broker.close()
