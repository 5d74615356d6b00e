"""Measure how long a committed update takes to reach a sponsor's live stream.

Serves `portal.asgi` with uvicorn in a thread (or reads an already running server with --url),
opens `/events/` as a sponsor user, posts updates as the program's PM through
`comms.services.update_post`, and times each one from the commit to the event's arrival on the
stream. With REDIS_URL set that is the pub/sub path; without it the stream polls the Event table
and the polling interval dominates.

The probes are real, audited updates (the audit trail is append-only): run it against demo or
throwaway data. It uses the demo data when present (HLX-101, sponsor@helix.example,
pm@northbridge.example) and otherwise creates a clearly named probe program, LAT-1.

The server-in-a-thread and the stream reader live in portal/livetools.py.
"""

from __future__ import annotations

import functools
import math
import random
import statistics
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from comms.services.updates import update_post
from portal import access
from portal.livetools import StreamEvent, StreamReader, serve_in_thread, session_cookie
from portal.models import Membership, Organisation, User
from programs.models import Audience, Program, ProgramMember
from programs.services.members import program_member_assign
from programs.services.program import program_create

DEMO_VIEWER = "sponsor@helix.example"
DEMO_AUTHOR = "pm@northbridge.example"
DEMO_PROGRAM = "HLX-101"
PROBE_VIEWER = "latency-sponsor@probe.invalid"
PROBE_AUTHOR = "latency-pm@probe.invalid"
PROBE_PROGRAM = "LAT-1"


# --- The measurement -----------------------------------------------------------------------


def _stamp_commit(marks: dict[str, float]) -> None:
    marks.setdefault("commit", time.perf_counter())


def _mentions(token: str, event: StreamEvent) -> bool:
    return token in event.data


def _percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


class Command(BaseCommand):
    help = (
        "Measure the time from a committed update to its event on a sponsor's live stream. "
        "Posts real, audited updates: use demo or throwaway data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=20, help="updates to time (20)")
        parser.add_argument(
            "--url",
            help="base URL of a running server on the same database; default: serve "
            "portal.asgi in a thread",
        )
        parser.add_argument("--viewer", help=f"stream as this user ({DEMO_VIEWER})")
        parser.add_argument("--author", help=f"post as this PM ({DEMO_AUTHOR})")
        parser.add_argument("--program", help=f"program code ({DEMO_PROGRAM})")
        parser.add_argument(
            "--audience",
            choices=Audience.values,
            default=Audience.SPONSOR,
            help="audience of the probe updates (sponsor)",
        )
        parser.add_argument("--timeout", type=float, default=10.0, help="seconds per update")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["count"] < 1:
            raise CommandError("--count must be at least 1.")
        viewer, author, program = self._participants(options)
        if options["audience"] == Audience.INTERNAL and not access.sees_internal(viewer):
            raise CommandError("A sponsor user never sees internal updates: pick a CDMO --viewer.")
        if not access.may(author, access.Action.POST_UPDATE, program):
            raise CommandError(f"{author.email} may not post updates to {program.code}.")

        mode = (
            "Redis pub/sub"
            if settings.REDIS_URL
            else f"polling every {getattr(settings, 'LIVE_POLL_SECONDS', 2.0)} s (no REDIS_URL)"
        )
        self.stdout.write(
            f"{options['count']} updates on {program.code} by {author.email}, streamed to "
            f"{viewer.email}; {connection.vendor}, {mode}"
            + (f", server {options['url']}" if options["url"] else "")
        )
        cookies, logout = session_cookie(viewer)
        try:
            if options["url"]:
                results = self._measure(
                    options["url"].rstrip("/"), cookies, author, program, options
                )
            else:
                with serve_in_thread() as url:
                    results = self._measure(url, cookies, author, program, options)
        finally:
            logout()
        self._report(*results, count=options["count"])

    def _measure(
        self,
        base_url: str,
        cookies: dict[str, str],
        author: User,
        program: Program,
        options: dict[str, Any],
    ) -> tuple[list[float], list[float]]:
        commit_to_event: list[float] = []
        call_to_event: list[float] = []
        run = uuid.uuid4().hex[:8]
        # Without Redis, a random pause up to the polling interval samples the polling phase
        # evenly; otherwise each post would land at the same point after the previous poll.
        pause = 0.3 if settings.REDIS_URL else float(getattr(settings, "LIVE_POLL_SECONDS", 2.0))
        with StreamReader(f"{base_url}/events/", cookies=cookies) as reader:
            if reader.status_code != 200:
                raise CommandError(f"/events/ answered {reader.status_code}: {reader.body!r}")
            time.sleep(0.3)  # let the stream finish subscribing and catching up
            for n in range(options["count"] + 1):  # n == 0 warms up, uncounted
                token = f"[{run}-{n}]"
                marks: dict[str, float] = {}
                started = time.perf_counter()
                with transaction.atomic():
                    # Runs first among the update's on-commit callbacks, i.e. at the commit.
                    transaction.on_commit(functools.partial(_stamp_commit, marks))
                    update_post(
                        actor=author,
                        program=program,
                        title=f"Latency probe {n}/{options['count']} {token}",
                        body="Automated live-stream latency measurement; please ignore.",
                        audience=options["audience"],
                    )
                event = reader.wait_for(functools.partial(_mentions, token), options["timeout"])
                if event is None:
                    self.stderr.write(f"update {n}: no event within {options['timeout']} s")
                elif n:
                    commit_to_event.append(event.received - marks["commit"])
                    call_to_event.append(event.received - started)
                time.sleep(random.uniform(0.05, pause))  # noqa: S311
        return commit_to_event, call_to_event

    def _report(self, commit_to_event: list[float], call_to_event: list[float], count: int) -> None:
        if not commit_to_event:
            raise CommandError("No event arrived on the stream.")
        for label, values in (
            ("commit -> event      ", commit_to_event),
            ("service call -> event", call_to_event),
        ):
            ms = [v * 1000 for v in values]
            self.stdout.write(
                f"{label}  median {statistics.median(ms):8.1f} ms   "
                f"p95 {_percentile(ms, 0.95):8.1f} ms   "
                f"min {min(ms):8.1f} ms   max {max(ms):8.1f} ms"
            )
        if len(commit_to_event) < count:
            raise CommandError(f"{count - len(commit_to_event)} of {count} events never arrived.")

    def _participants(self, options: dict[str, Any]) -> tuple[User, User, Program]:
        explicit = options["viewer"] or options["author"] or options["program"]
        viewer = User.objects.filter(email=options["viewer"] or DEMO_VIEWER).first()
        author = User.objects.filter(email=options["author"] or DEMO_AUTHOR).first()
        program = Program.objects.filter(code=options["program"] or DEMO_PROGRAM).first()
        if viewer and author and program:
            return viewer, author, program
        if explicit:
            raise CommandError("--viewer, --author and --program must name existing records.")
        self.stdout.write(f"No demo data: using the probe program {PROBE_PROGRAM}.")
        return self._probe_participants()

    def _probe_participants(self) -> tuple[User, User, Program]:
        cdmo = Organisation.objects.filter(kind=Organisation.Kind.CDMO).first()
        if cdmo is None:
            cdmo = Organisation.objects.create(
                name="Latency probe CDMO", slug="latency-probe-cdmo", kind=Organisation.Kind.CDMO
            )
        sponsor, _ = Organisation.objects.get_or_create(
            slug="latency-probe",
            defaults={"name": "Latency probe sponsor", "kind": Organisation.Kind.SPONSOR},
        )
        author = self._probe_user(PROBE_AUTHOR, "Latency probe PM", cdmo, Membership.Role.PM)
        viewer = self._probe_user(
            PROBE_VIEWER, "Latency probe sponsor", sponsor, Membership.Role.SPONSOR_LEAD
        )
        program = Program.objects.filter(code=PROBE_PROGRAM).first() or program_create(
            actor=None,
            sponsor=sponsor,
            code=PROBE_PROGRAM,
            name="Live stream latency probe",
            phase=Program.Phase.PRECLINICAL,
        )
        program_member_assign(
            actor=None, program=program, user=author, role=ProgramMember.Role.DEDICATED_PM
        )
        return viewer, author, program

    @staticmethod
    def _probe_user(email: str, name: str, organisation: Organisation, role: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, display_name=name)
            Membership.objects.create(user=user, organisation=organisation, role=role)
        return user
