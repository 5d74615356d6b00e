"""manage.py bench_bundle: build the inspection bundle of one large program and report the time,
the archive's size and the memory it took, to show that it streams.

A benchmark, not a test: it seeds one program straight into the database (bulk inserts, the
audit chain computed and keyed as the portal writes it), then builds the bundle of the last
complete rolling 12 months twice through the job machinery: once timed, with the process's peak
resident memory before and after (`ru_maxrss`), once under tracemalloc for the peak of Python
allocations. Both builds must give the same bytes. Then it runs the shipped verifier on the
archive. It replaces all data in the database it is pointed at, so it refuses a database whose
name does not contain "bench".
"""

from __future__ import annotations

import datetime
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from deviations.models import CAPA, Deviation, RootCause
from governance.models import Meeting
from outcomes import bundle, periods
from outcomes.jobs import job_path
from outcomes.models import Job
from portal import access, audit, clock
from portal.models import AuditEntry, Membership, Organisation, Signature, User
from programs.models import Batch, ChangeOrder, Milestone, Program

PASSWORD = "bench-password"
CHUNK = 2000


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


class Command(BaseCommand):
    help = "Benchmark building the inspection bundle of one large program (time, size, memory)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--deviations", type=int, default=3000)
        parser.add_argument("--audit-entries", type=int, default=30_000)
        parser.add_argument("--batches", type=int, default=500)
        parser.add_argument("--signatures", type=int, default=1000)

    def handle(self, *args: object, **options: int) -> None:
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(f"Refusing to replace the data in {name!r}: use a *bench* database.")
        period = periods.ending(
            periods.PeriodKind.ROLLING_12,
            clock.site_today().replace(day=1) - datetime.timedelta(days=1),
        )
        started = time.perf_counter()
        lead, program = self._seed(period, **options)
        self.stdout.write(
            f"Seeded {options['deviations']} deviations (each with a root cause and a CAPA), "
            f"{options['batches']} batches, {options['signatures']} signatures and "
            f"{options['audit_entries']} audit entries in {time.perf_counter() - started:.1f} s."
        )
        with tempfile.TemporaryDirectory() as folder:
            settings.JOB_FILES_DIR = Path(folder)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            job, seconds = self._build(lead, program, period)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            again, _ = self._build(lead, program, period)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            archive = job_path(job)
            with zipfile.ZipFile(archive) as zipped:
                uncompressed = sum(info.file_size for info in zipped.infolist())
            verified = time.perf_counter()
            result = subprocess.run(  # noqa: S603 (our own verifier, on the file just built)
                [sys.executable, "-I", str(bundle.VERIFIER_SOURCE), str(archive)],
                capture_output=True,
                text=True,
                check=False,
            )
            verify_seconds = time.perf_counter() - verified
        self.stdout.write(
            f"Bundle of {program.code} for {period.label}: built in {seconds:.1f} s; archive "
            f"{(job.size or 0) / 2**20:.1f} MiB ({uncompressed / 2**20:.1f} MiB uncompressed); "
            f"peak Python allocations during the build {peak / 2**20:.1f} MiB (tracemalloc); peak "
            f"resident memory {_mib(rss_before)} before the first build, {_mib(rss_after)} "
            f"after it (+{(rss_after - rss_before) / 1024:.1f} MiB)."
        )
        same = "the same bytes" if again.sha256 == job.sha256 else "DIFFERENT bytes"
        self.stdout.write(f"Built twice: {same} (SHA-256 {job.sha256[:16]}…).")
        self.stdout.write(
            f"verify_bundle.py: {result.stdout.strip().split(' (')[0]} in {verify_seconds:.1f} s."
        )

    def _build(self, lead: User, program: Program, period: periods.Period) -> tuple[Job, float]:
        job = Job.objects.create(
            kind=Job.Kind.BUNDLE,
            program=program,
            sponsor=program.sponsor,
            requested_by=lead,
            audience=access.Audience.SPONSOR,
            period_start=period.start,
            period_end=period.end,
            params={"period_kind": period.kind},
        )
        started = time.perf_counter()
        bundle.bundle_build(str(job.pk))
        seconds = time.perf_counter() - started
        job.refresh_from_db()
        if job.state != Job.State.DONE:
            raise CommandError(f"The bundle failed: {job.error}")
        return job, seconds

    def _seed(
        self,
        period: periods.Period,
        *,
        deviations: int,
        audit_entries: int,
        batches: int,
        signatures: int,
        **_: object,
    ) -> tuple[User, Program]:
        call_command("flush", "--noinput", verbosity=0)
        cdmo = Organisation.objects.create(name="Northbridge", slug="northbridge", kind="cdmo")
        sponsor = Organisation.objects.create(name="Helix", slug="helix", kind="sponsor")
        qa = User.objects.create_user("qa@bench.example", PASSWORD, display_name="Bench QA")
        Membership.objects.create(user=qa, organisation=cdmo, role=Membership.Role.QA)
        lead = User.objects.create_user("lead@bench.example", PASSWORD, display_name="Lead")
        Membership.objects.create(
            user=lead, organisation=sponsor, role=Membership.Role.SPONSOR_LEAD
        )
        program = Program.objects.create(
            sponsor=sponsor, code="BIG-001", name="The largest program", phase="commercial"
        )
        start, end = period.moments()
        span = (end - start).total_seconds()

        def moment(i: int, n: int) -> datetime.datetime:
            return start + datetime.timedelta(seconds=span * (i + 0.5) / max(n, 1))

        devs = Deviation.objects.bulk_create(
            (
                Deviation(
                    reference=f"DEV-B-{i:06d}",
                    program=program,
                    title=f"Deviation {i}: environmental monitoring excursion",
                    description="Grade B settle plate above the alert limit. " * 4,
                    classification=("minor", "major", "critical")[i % 3],
                    status="closed" if i % 2 else "investigating",
                    occurred_at=moment(i, deviations),
                    aware_at=moment(i, deviations),
                    notification_due=moment(i, deviations) + datetime.timedelta(days=1),
                    investigation_due=moment(i, deviations) + datetime.timedelta(days=30),
                    closed_at=moment(i, deviations) + datetime.timedelta(days=9) if i % 2 else None,
                    logged_by=qa,
                )
                for i in range(deviations)
            ),
            batch_size=CHUNK,
        )
        RootCause.objects.bulk_create(
            (
                RootCause(deviation=d, program=program, category="equipment", description="Seal")
                for d in devs
            ),
            batch_size=CHUNK,
        )
        CAPA.objects.bulk_create(
            (
                CAPA(
                    deviation=d,
                    program=program,
                    number=1,
                    kind="corrective",
                    description="Replace the seal and retrain",
                    owner=qa,
                    due_date=period.end,
                )
                for d in devs
            ),
            batch_size=CHUNK,
        )
        days = (period.end - period.start).days
        Batch.objects.bulk_create(
            (
                Batch(
                    program=program,
                    lot_number=f"24-{i:05d}",
                    planned_start=period.start + datetime.timedelta(days=i * days // batches),
                    planned_release=period.start
                    + datetime.timedelta(days=i * days // batches + 20),
                    quantity_committed=Decimal("10.00"),
                )
                for i in range(batches)
            ),
            batch_size=CHUNK,
        )
        Milestone.objects.bulk_create(
            Milestone(
                program=program,
                name=f"Milestone {i}",
                baseline_date=period.start + datetime.timedelta(days=i),
                forecast_date=period.start + datetime.timedelta(days=i + 3),
            )
            for i in range(200)
        )
        Meeting.objects.bulk_create(
            Meeting(
                program=program,
                title="Weekly call",
                starts_at=moment(i, 52),
                status="held",
                minutes="Internal minutes " * 20,
            )
            for i in range(52)
        )
        ChangeOrder.objects.bulk_create(
            ChangeOrder(
                program=program,
                reference=f"CO-{i:03d}",
                title="Scope change",
                rationale="More stability timepoints",
                amount=Decimal("1000.00"),
                proposed_by=qa,
            )
            for i in range(50)
        )
        Signature.objects.bulk_create(
            (
                Signature(
                    signer=qa,
                    printed_name="Bench QA",
                    signed_at=moment(i, signatures),
                    meaning="approved",
                    model="deviations.deviation",
                    object_pk=str(devs[i % len(devs)].pk),
                    object_repr=devs[i % len(devs)].reference,
                    record_version="0" * 64,
                    program=program,
                )
                for i in range(signatures)
            ),
            batch_size=CHUNK,
        )
        self._seed_audit(program, devs, audit_entries, moment)
        return lead, program

    def _seed_audit(self, program: Program, devs: list[Deviation], count: int, moment) -> None:
        """`count` entries on the program's chain, linked and keyed as `portal.audit` writes
        them; one in ten is about an internal record (a sponsor's bundle withholds it)."""
        key = audit.current_key()
        previous = audit.trunk_hash()
        rows: list[AuditEntry] = []
        for i in range(count):
            internal = i % 10 == 9
            deviation = devs[i % len(devs)]
            entry = AuditEntry(
                at=moment(i, count),
                actor=None,
                actor_label="Bench QA <qa@bench.example>",
                action="update",
                model="programs.costline" if internal else "deviations.deviation",
                object_pk=str(deviation.pk),
                object_repr=deviation.reference,
                program_id=program.pk,
                changes={"status": ["open", "investigating"], "impact_timeline": ["", "None"]},
                request_id=f"bench-{i}",
                previous_hash=previous,
                sequence=i + 1,
                key_id=key.key_id,
            )
            entry.entry_hash = audit.compute_hash(entry)
            previous = entry.entry_hash
            rows.append(entry)
            if len(rows) == CHUNK:
                AuditEntry.objects.bulk_create(rows)
                rows = []
        AuditEntry.objects.bulk_create(rows)
