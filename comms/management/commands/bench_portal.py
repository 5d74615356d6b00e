"""manage.py bench_portal: server time and queries per request on a small and a large portfolio.

A benchmark, not a test: it seeds a portfolio straight into the database (bulk inserts, so the
large one takes seconds), then requests the sponsor dashboard, the timeline page and the status
endpoint through Django's full stack in-process, and reports median and p95 server time and the
queries each request ran. Run it against PostgreSQL (`make bench`); it replaces all data in the
database it is pointed at, so it refuses a database whose name does not contain "bench".
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comms.models import Update
from governance.models import ActionItem, Meeting, Risk
from portal import clock
from portal.models import Membership, Organisation, User
from portal.services import api_token_create
from programs.models import Event, Milestone, Program, ProgramMember, Workstream

PASSWORD = "bench-password"


@dataclass
class Figures:
    label: str
    programs: int
    median_ms: float
    p95_ms: float
    queries: int


class Command(BaseCommand):
    help = "Benchmark the dashboard, timeline and status endpoint on a small and a large portfolio."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--programs", type=int, default=200)
        parser.add_argument("--milestones", type=int, default=10_000)
        parser.add_argument("--updates", type=int, default=20_000)
        parser.add_argument("--requests", type=int, default=60)

    def handle(self, *args: object, **options: int) -> None:
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(f"Refusing to replace the data in {name!r}: use a *bench* database.")
        if connection.vendor != "postgresql":
            self.stderr.write("Note: not PostgreSQL; the figures will not match production.")
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        small_share = 3 / options["programs"]
        rows: list[Figures] = []
        for programs in (3, options["programs"]):
            share = 1.0 if programs == options["programs"] else small_share
            counts = self._seed(
                programs,
                milestones=round(options["milestones"] * share),
                updates=round(options["updates"] * share),
            )
            self.stdout.write(f"Seeded {counts}")
            rows.extend(self._measure(programs, options["requests"]))
        self._report(rows)

    # --- data ---------------------------------------------------------------------------------

    def _seed(self, programs: int, *, milestones: int, updates: int) -> str:
        call_command("flush", "--noinput", verbosity=0)
        cdmo = Organisation.objects.create(name="Northbridge", slug="northbridge", kind="cdmo")
        sponsors = [
            Organisation.objects.create(name=f"Sponsor {i}", slug=f"sponsor-{i}", kind="sponsor")
            for i in range(max(1, programs // 20))
        ]
        pm = User.objects.create_user("pm@bench.example", PASSWORD, display_name="Bench PM")
        Membership.objects.create(user=pm, organisation=cdmo, role=Membership.Role.PM)
        viewer = User.objects.create_user("lead@bench.example", PASSWORD, display_name="Lead")
        Membership.objects.create(
            user=viewer, organisation=sponsors[0], role=Membership.Role.SPONSOR_LEAD
        )
        today = clock.site_today()
        rows = Program.objects.bulk_create(
            Program(
                sponsor=sponsors[i % len(sponsors)],
                code=f"BEN-{i + 1}",
                name=f"Bench program {i + 1}",
                phase=Program.Phase.PHASE_2,
            )
            for i in range(programs)
        )
        ProgramMember.objects.bulk_create(
            ProgramMember(program=p, user=pm, role=ProgramMember.Role.DEDICATED_PM) for p in rows
        )
        streams = Workstream.objects.bulk_create(
            Workstream(program=p, name=f"Workstream {k}", position=k, cdmo_owner=pm)
            for p in rows
            for k in range(5)
        )
        Milestone.objects.bulk_create(
            (
                Milestone(
                    program=rows[i % programs],
                    workstream=streams[(i % programs) * 5 + i % 5],
                    name=f"Milestone {i}",
                    baseline_date=today + timedelta(days=i % 400),
                    forecast_date=today + timedelta(days=i % 400 + i % 9),
                )
                for i in range(milestones)
            ),
            batch_size=2000,
        )
        now = timezone.now()
        Update.objects.bulk_create(
            (
                Update(
                    program=rows[i % programs],
                    title=f"Update {i}",
                    body="Progress as planned.",
                    author=pm,
                    published_at=now,
                )
                for i in range(updates)
            ),
            batch_size=2000,
        )
        Event.objects.bulk_create(
            (
                Event(
                    program=rows[i % programs],
                    kind=Event.Kind.UPDATE,
                    verb="update.posted",
                    summary=f"Update {i}",
                    audience="sponsor",
                    actor=pm,
                )
                for i in range(updates)
            ),
            batch_size=2000,
        )
        for p in rows:
            Risk.objects.create(
                program=p, title="Supply", likelihood=3, impact=4, owner=pm, review_date=today
            )
            ActionItem.objects.create(program=p, title="Send CoA", owner=pm, due_date=today)
            Meeting.objects.create(program=p, title="Weekly", starts_at=now + timedelta(days=2))
        return (
            f"{programs} programs, {Milestone.objects.count()} milestones, "
            f"{Update.objects.count()} updates"
        )

    # --- measurement --------------------------------------------------------------------------

    def _measure(self, programs: int, requests: int) -> list[Figures]:
        viewer = User.objects.get(email="lead@bench.example")
        _, key = api_token_create(actor=None, user=viewer, name="bench")
        browser = Client()
        browser.force_login(viewer)
        api = Client(HTTP_AUTHORIZATION=f"Token {key}")
        code = "BEN-1"
        targets = [
            ("Sponsor dashboard", browser, f"/programs/{code}/"),
            ("Timeline page", browser, f"/programs/{code}/timeline/"),
            ("programs/{code}/status/", api, f"/api/v1/programs/{code}/status/"),
        ]
        figures = []
        for label, client, url in targets:
            assert client.get(url).status_code == 200, url  # warm-up, and a sanity check
            times = []
            queries = 0
            for _ in range(requests):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
                queries = len(ctx)
            times.sort()
            figures.append(
                Figures(
                    label=label,
                    programs=programs,
                    median_ms=statistics.median(times),
                    p95_ms=times[max(0, round(0.95 * len(times)) - 1)],
                    queries=queries,
                )
            )
        return figures

    def _report(self, rows: list[Figures]) -> None:
        small = {r.label: r for r in rows if r.programs == min(x.programs for x in rows)}
        large = [r for r in rows if r.programs != min(x.programs for x in rows)]
        lines = [
            "| request | median ms (3) | p95 ms (3) | queries (3) "
            f"| median ms ({large[0].programs}) | p95 ms ({large[0].programs}) "
            f"| queries ({large[0].programs}) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in large:
            s = small[row.label]
            lines.append(
                f"| {row.label} | {s.median_ms:.1f} | {s.p95_ms:.1f} | {s.queries} "
                f"| {row.median_ms:.1f} | {row.p95_ms:.1f} | {row.queries} |"
            )
        self.stdout.write("\n".join(lines))
