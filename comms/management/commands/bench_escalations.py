"""manage.py bench_escalations: the escalation sweep over many open escalations, few of them due.

A benchmark, not a test. For each size (10,000 and 100,000 open escalations by default) it
seeds the open rows straight into the database, a share of them due (1 % by default), runs the
sweep and reports its time and queries, in total and per escalation moved (the median of
`--repeat` sweeps, each over its own wave of due rows, a minute apart). Then it runs
the sweep again with the same number due at every size (`--fixed-due`): that time must not grow
with the number of open rows, because the sweep reads only what is due (the partial index
`escalation_due`). It replaces all data in the database it is pointed at, so it refuses a
database whose name does not contain "bench".
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.utils import timezone

from governance.escalations.models import Escalation
from governance.escalations.sweep import sweep
from portal.models import Membership, Organisation, User
from programs.models import Program, ProgramMember


@dataclass
class Figures:
    open_rows: int
    due: int
    moved: int
    seconds: float
    queries: int

    @property
    def ms_per_moved(self) -> float:
        return 1000 * self.seconds / self.moved if self.moved else 0.0

    @property
    def queries_per_moved(self) -> float:
        return self.queries / self.moved if self.moved else 0.0


class _Counter:
    """Counts the statements a block runs (Django's query log keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = "Benchmark the escalation sweep over many open escalations with a share due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sizes", default="10000,100000", help="Open escalations, e.g. 10000,100000."
        )
        parser.add_argument("--due-share", type=float, default=0.01)
        parser.add_argument("--fixed-due", type=int, default=100)
        parser.add_argument("--programs", type=int, default=50)
        parser.add_argument("--repeat", type=int, default=3, help="Sweeps measured per size.")

    def handle(self, *args: object, **options: object) -> None:
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(f"Refusing to replace the data in {name!r}: use a *bench* database.")
        if connection.vendor != "postgresql":
            self.stderr.write("Note: not PostgreSQL; the figures will not match production.")
        try:
            sizes = [int(size) for size in str(options["sizes"]).split(",")]
        except ValueError as exc:
            raise CommandError("--sizes: whole numbers separated by commas.") from exc
        share = float(str(options["due_share"]))
        fixed = int(str(options["fixed_due"]))
        programs = int(str(options["programs"]))
        self.repeat = max(1, int(str(options["repeat"])))
        rows: list[tuple[str, Figures]] = []
        for size in sizes:
            due = max(1, round(size * share))
            rows.append((f"{share:.0%} due", self._run(size, due, programs)))
            rows.append((f"{fixed} due", self._run(size, min(fixed, size), programs)))
        self._report(rows)

    def _seed(self, size: int, due: int, programs: int) -> None:
        call_command("flush", "--noinput", verbosity=0)
        cdmo = Organisation.objects.create(name="Northbridge", slug="northbridge", kind="cdmo")
        sponsor = Organisation.objects.create(name="Sponsor", slug="sponsor", kind="sponsor")
        pm = User.objects.create_user("pm@bench.example", "bench-password", display_name="PM")
        Membership.objects.create(user=pm, organisation=cdmo, role=Membership.Role.PM)
        rows = Program.objects.bulk_create(
            Program(sponsor=sponsor, code=f"BEN-{i + 1}", name=f"Bench {i + 1}", phase="phase_2")
            for i in range(programs)
        )
        ProgramMember.objects.bulk_create(
            ProgramMember(program=p, user=pm, role=ProgramMember.Role.DEDICATED_PM) for p in rows
        )
        now = timezone.now()
        future = now + datetime.timedelta(days=30)
        step = max(1, size // (due * self.repeat))
        waves = [self._wave(now, k) for k in range(self.repeat)]
        past = waves[0]

        def due_at(i: int) -> datetime.datetime:
            n = i // step
            return waves[n % self.repeat] if i % step == 0 and n < due * self.repeat else future

        Escalation.objects.bulk_create(
            (
                Escalation(
                    program=rows[i % programs],
                    subject_kind=Escalation.Subject.ISSUE,
                    title=f"Bench escalation {i}",
                    raised_by=pm,
                    raised_at=past,
                    level=1,
                    level_started_at=past,
                    due_at=due_at(i),
                )
                for i in range(size)
            ),
            batch_size=5000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE governance_escalation")

    def _wave(self, now: datetime.datetime, k: int) -> datetime.datetime:
        """When the k-th wave of due rows fell due: a minute apart, oldest first."""
        return now - datetime.timedelta(minutes=self.repeat - k)

    def _run(self, size: int, due: int, programs: int) -> Figures:
        self._seed(size, due, programs)
        now = timezone.now()
        runs = []
        for k in range(self.repeat):
            counter = _Counter()
            started = time.perf_counter()
            with connection.execute_wrapper(counter):
                moved = sweep(now=self._wave(now, k) + datetime.timedelta(seconds=30))
            seconds = time.perf_counter() - started
            runs.append(Figures(size, due, moved, seconds, counter.queries))
        figures = sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]
        self.stdout.write(
            f"{size:>8} open, {due:>5} due: moved {figures.moved} in {figures.seconds:.2f} s "
            f"(median of {self.repeat}: {', '.join(f'{r.seconds:.2f}' for r in runs)}), "
            f"{figures.queries} queries"
        )
        return figures

    def _report(self, rows: list[tuple[str, Figures]]) -> None:
        self.stdout.write("")
        self.stdout.write(
            "| open | due | moved | time (s) | queries | ms / moved | queries / moved |"
        )
        self.stdout.write("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for _, f in rows:
            self.stdout.write(
                f"| {f.open_rows:,} | {f.due:,} | {f.moved:,} | {f.seconds:.2f} | {f.queries:,} "
                f"| {f.ms_per_moved:.1f} | {f.queries_per_moved:.1f} |"
            )
