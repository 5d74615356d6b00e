"""manage.py bench_kpis: the KPI engine on 200 programs with two years of records.

A benchmark, not a test. It seeds every kind of record a KPI counts straight into the
database (bulk inserts; the audit entries that record shared minutes are inserted outside the
audit chain, which a bench database does not need to verify), then times the engine's calls
over all programs and reports server time and queries. Run it against PostgreSQL (`make
bench`); it replaces all data in the database it is pointed at, so it refuses a database whose
name does not contain "bench".
"""

from __future__ import annotations

import datetime
import hashlib
import statistics
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from comms.models import Comment
from deviations.models import Deviation
from governance.models import ActionItem, CadenceSchedule, Escalation, EscalationStep, Meeting
from outcomes import kpis
from outcomes.periods import PeriodKind, current, series
from portal import clock
from portal.access import Audience
from portal.models import AuditEntry, Membership, Organisation, User
from programs.kpi_catalogue import Kpi
from programs.models import Batch, ChangeOrder, Milestone, Program, ProgramMember

PASSWORD = "bench-password"
CHUNK = 5000


class Command(BaseCommand):
    help = "Benchmark KPI computation over 200 programs with two years of records."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--programs", type=int, default=200)
        parser.add_argument("--months", type=int, default=24)
        parser.add_argument("--repeat", type=int, default=5)

    def handle(self, *args: object, **options: int) -> None:
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(f"Refusing to replace the data in {name!r}: use a *bench* database.")
        if connection.vendor != "postgresql":
            self.stderr.write("Note: not PostgreSQL; the figures will not match production.")
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
        started = time.perf_counter()
        counts = self._seed(options["programs"], options["months"])
        self.stdout.write(f"Seeded in {time.perf_counter() - started:.0f} s: {counts}")
        self._report(self._measure(options["repeat"]))

    # --- data ---------------------------------------------------------------------------------

    def _seed(self, programs: int, months: int) -> str:
        call_command("flush", "--noinput", verbosity=0)
        cdmo = Organisation.objects.create(name="Northbridge", slug="northbridge", kind="cdmo")
        sponsors = [
            Organisation.objects.create(name=f"Sponsor {i}", slug=f"sponsor-{i}", kind="sponsor")
            for i in range(max(1, programs // 20))
        ]
        pm = User.objects.create_user("pm@bench.example", PASSWORD, display_name="Bench PM")
        Membership.objects.create(user=pm, organisation=cdmo, role=Membership.Role.PM)
        lead = User.objects.create_user("lead@bench.example", PASSWORD, display_name="Lead")
        Membership.objects.create(
            user=lead, organisation=sponsors[0], role=Membership.Role.SPONSOR_LEAD
        )
        rows = Program.objects.bulk_create(
            Program(
                sponsor=sponsors[i % len(sponsors)],
                code=f"BEN-{i + 1}",
                name=f"Bench program {i + 1}",
                phase=Program.Phase.COMMERCIAL,
            )
            for i in range(programs)
        )
        ProgramMember.objects.bulk_create(
            ProgramMember(program=p, user=pm, role=ProgramMember.Role.DEDICATED_PM) for p in rows
        )
        today = clock.site_today()
        first = today - datetime.timedelta(days=months * 30)
        days = [first + datetime.timedelta(days=d) for d in range((today - first).days)]
        self._batches(rows, days, pm)
        self._milestones(rows, days)
        self._meetings(rows, days, pm)
        self._actions_questions_change_orders(rows, days, pm, lead)
        self._escalations(rows, days)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # statistics as a live database has them
        return ", ".join(
            f"{model.objects.count()} {model._meta.verbose_name_plural}"
            for model in (
                Program,
                Batch,
                Deviation,
                Milestone,
                Meeting,
                AuditEntry,
                ActionItem,
                Comment,
                ChangeOrder,
                Escalation,
            )
        )

    def _batches(self, programs: list[Program], days: list[datetime.date], pm: User) -> None:
        """Two batches a month per program (some late, some short, one in 20 rejected), a
        deviation a month, linked to one or two of the batches."""
        batches = []
        for p in programs:
            for i, day in enumerate(days[::15]):
                released = day + datetime.timedelta(days=(i % 4 == 0) * 3)
                rejected = i % 20 == 7
                batches.append(
                    Batch(
                        program=p,
                        lot_number=f"{p.pk}-{i}",
                        planned_start=day - datetime.timedelta(days=20),
                        actual_start=day - datetime.timedelta(days=20),
                        planned_release=day,
                        actual_release=released,
                        quantity_committed=Decimal(100),
                        quantity_delivered=Decimal(95 if i % 6 == 0 else 100),
                        disposition=Batch.Disposition.REJECTED
                        if rejected
                        else Batch.Disposition.RELEASED,
                        reworked=i % 9 == 0,
                        disposition_at=clock.day_start(released) + datetime.timedelta(hours=10),
                    )
                )
        Batch.objects.bulk_create(batches, batch_size=CHUNK)
        deviations = []
        for p in programs:
            for i, day in enumerate(days[::30]):
                aware = clock.day_start(day) + datetime.timedelta(hours=9)
                notified = aware + datetime.timedelta(hours=30 if i % 5 == 0 else 6)
                deviations.append(
                    Deviation(
                        reference=f"DEV-B-{p.pk}-{i}",
                        program=p,
                        title="Excursion",
                        description="Bench.",
                        classification=Deviation.Classification.MAJOR,
                        status=Deviation.Status.CANCELLED
                        if i % 11 == 0
                        else Deviation.Status.CLOSED,
                        occurred_at=aware,
                        aware_at=aware,
                        notification_due=aware + datetime.timedelta(hours=24),
                        sponsor_notified_at=notified,
                        seconds_to_notify=int((notified - aware).total_seconds()),
                        sponsor_acknowledged_at=notified + datetime.timedelta(hours=2 + i % 7),
                        seconds_to_acknowledge=(2 + i % 7) * 3600,
                        investigation_due=aware + datetime.timedelta(days=30),
                        logged_by=pm,
                    )
                )
        Deviation.objects.bulk_create(deviations, batch_size=CHUNK)
        by_lot = {
            (b.program_id, b.lot_number): b.pk for b in Batch.objects.only("program", "lot_number")
        }
        through = Deviation.batches.through
        links = []
        for d in Deviation.objects.only("pk", "program_id", "reference"):
            i = int(d.reference.rsplit("-", 1)[1])
            for k in (2 * i, 2 * i + 1)[: 1 + i % 2]:
                batch_id = by_lot.get((d.program_id, f"{d.program_id}-{k}"))
                if batch_id:
                    links.append(through(deviation_id=d.pk, batch_id=batch_id))
        through.objects.bulk_create(links, batch_size=CHUNK)

    def _milestones(self, programs: list[Program], days: list[datetime.date]) -> None:
        Milestone.objects.bulk_create(
            (
                Milestone(
                    program=p,
                    name=f"Milestone {i}",
                    baseline_date=day,
                    forecast_date=day,
                    actual_date=day + datetime.timedelta(days=(i % 3 == 0) * 5),
                )
                for p in programs
                for i, day in enumerate(days[::30])
            ),
            batch_size=CHUNK,
        )

    def _meetings(self, programs: list[Program], days: list[datetime.date], pm: User) -> None:
        """A weekly cadence call per program (one in ten cancelled), and the audit entry that
        shared the minutes for most of the calls held."""
        schedules = CadenceSchedule.objects.bulk_create(
            CadenceSchedule(
                program=p,
                frequency=CadenceSchedule.Frequency.WEEKLY,
                weekday=1,
                local_time=datetime.time(10),
                time_zone=str(clock.site_zone()),
                starts_on=days[0],
            )
            for p in programs
        )
        meetings = Meeting.objects.bulk_create(
            (
                Meeting(
                    program=s.program,
                    schedule=s,
                    title="Weekly call",
                    occurrence_on=day,
                    starts_at=clock.day_start(day) + datetime.timedelta(hours=10),
                    status=Meeting.Status.CANCELLED if i % 10 == 3 else Meeting.Status.HELD,
                    minutes="Bench minutes.",
                    minutes_audience=Audience.SPONSOR,
                )
                for s in schedules
                for i, day in enumerate(days[::7])
            ),
            batch_size=CHUNK,
        )
        entries = []
        for n, m in enumerate(meetings):
            if m.status != Meeting.Status.HELD or n % 6 == 0:
                continue
            shared = m.starts_at + datetime.timedelta(days=1 if n % 5 else 6)
            digest = hashlib.sha256(f"bench-{m.pk}".encode()).hexdigest()
            entries.append(
                AuditEntry(
                    at=shared,
                    actor=pm,
                    actor_label="Bench PM",
                    action=AuditEntry.Action.UPDATE,
                    model="governance.meeting",
                    object_pk=str(m.pk),
                    object_repr="Weekly call",
                    program_id=m.program_id,
                    changes={"minutes_audience": [Audience.INTERNAL, Audience.SPONSOR]},
                    previous_hash="0" * 64,
                    entry_hash=digest,
                )
            )
        AuditEntry.objects.bulk_create(entries, batch_size=CHUNK)

    def _actions_questions_change_orders(
        self, programs: list[Program], days: list[datetime.date], pm: User, lead: User
    ) -> None:
        ActionItem.objects.bulk_create(
            (
                ActionItem(
                    program=p,
                    title=f"Action {i}",
                    owner=pm,
                    due_date=day,
                    status=ActionItem.Status.DONE,
                    completed_at=clock.day_start(day)
                    + datetime.timedelta(hours=12 + (i % 4 == 0) * 48),
                    audience=Audience.SPONSOR if i % 2 else Audience.INTERNAL,
                )
                for p in programs
                for i, day in enumerate(days[::15])
            ),
            batch_size=CHUNK,
        )
        targets = {m.program_id: m for m in Milestone.objects.filter(name="Milestone 0")}
        Comment.objects.bulk_create(
            (
                Comment(
                    program=p,
                    milestone=targets[p.pk],
                    author=lead,
                    body="When?",
                    audience=Audience.SPONSOR,
                    is_question=True,
                    answered_at=clock.day_start(day) + datetime.timedelta(hours=9 + i % 30),
                    answer_seconds=(i % 30) * 3600,
                )
                for p in programs
                for i, day in enumerate(days[::15])
            ),
            batch_size=CHUNK,
        )
        ChangeOrder.objects.bulk_create(
            (
                ChangeOrder(
                    program=p,
                    reference=f"CO-{i:03d}",
                    title="Scope",
                    rationale="Bench.",
                    amount=Decimal(1000),
                    status=ChangeOrder.Status.APPROVED if i % 3 else ChangeOrder.Status.REJECTED,
                    proposed_by=pm,
                    decided_by=lead,
                    decided_at=clock.day_start(day) + datetime.timedelta(hours=15),
                )
                for p in programs
                for i, day in enumerate(days[::60])
            ),
            batch_size=CHUNK,
        )
        for status, delta in ((ChangeOrder.Status.APPROVED, 4), (ChangeOrder.Status.REJECTED, 9)):
            ChangeOrder.objects.filter(status=status).update(
                proposed_at=F("decided_at") - datetime.timedelta(days=delta)
            )

    def _escalations(self, programs: list[Program], days: list[datetime.date]) -> None:
        rows = Escalation.objects.bulk_create(
            (
                Escalation(
                    program=p,
                    subject_kind=Escalation.Subject.ISSUE,
                    title="Supply",
                    raised_at=clock.day_start(day) + datetime.timedelta(hours=9),
                    audience=Audience.SPONSOR if i % 4 == 0 else Audience.INTERNAL,
                    level=2 if i % 5 == 0 else 1,
                    level_started_at=clock.day_start(day) + datetime.timedelta(hours=9),
                    due_at=clock.day_start(day) + datetime.timedelta(hours=33),
                    acknowledged_at=clock.day_start(day) + datetime.timedelta(hours=11),
                    resolved_at=clock.day_start(day) + datetime.timedelta(days=3),
                    resolution="Resolved.",
                )
                for p in programs
                for i, day in enumerate(days[::30])
            ),
            batch_size=CHUNK,
        )
        steps = [EscalationStep(escalation=e, level=1, at=e.raised_at) for e in rows]
        steps += [
            EscalationStep(escalation=e, level=2, at=e.raised_at + datetime.timedelta(hours=24))
            for e in rows
            if e.level == 2
        ]
        EscalationStep.objects.bulk_create(steps, batch_size=CHUNK)

    # --- measurement --------------------------------------------------------------------------

    def _measure(self, repeat: int) -> list[tuple[str, float, float, int]]:
        ids = list(Program.objects.order_by("pk").values_list("pk", flat=True))
        pm = User.objects.get(email="pm@bench.example")
        rolling = current(PeriodKind.ROLLING_12)
        months = series(PeriodKind.MONTH, 24)
        calls: list[tuple[str, Callable[[], Any]]] = [
            (
                f"kpis_for: {len(ids)} programs x 14 KPIs, rolling 12 months",
                lambda: kpis.kpis_for(program_ids=ids, period=rolling, user=pm),
            ),
            (
                f"kpis_overall: one figure per KPI over {len(ids)} programs",
                lambda: kpis.kpis_overall(program_ids=ids, period=rolling, user=pm),
            ),
            (
                f"kpi_trend: minutes on time, 24 months over {len(ids)} programs",
                lambda: kpis.kpi_trend(
                    program_ids=ids, kpi=Kpi.MINUTES_ON_TIME, periods=months, user=pm
                ),
            ),
            (
                f"kpi_trend: time to notify (median), 24 months over {len(ids)} programs",
                lambda: kpis.kpi_trend(
                    program_ids=ids, kpi=Kpi.TIME_TO_NOTIFY, periods=months, user=pm
                ),
            ),
            (
                "counted_records: one program's batches, rolling 12 months (drill-down)",
                lambda: kpis.counted_records(
                    program_ids=ids[:1], kpi=Kpi.RIGHT_FIRST_TIME, period=rolling, user=pm
                ),
            ),
        ]
        browser = Client()
        browser.force_login(pm)
        calls.append(
            (
                "GET programs/{code}/status/ (API, with the headline KPIs), one program",
                lambda: browser.get("/api/v1/programs/BEN-1/status/"),
            )
        )
        calls.append(
            (
                "GET programs/{code}/kpis/ (API, 14 KPIs), one program",
                lambda: browser.get("/api/v1/programs/BEN-1/kpis/"),
            )
        )
        results = []
        for label, call in calls:
            call()  # warm-up
            times = []
            queries = 0
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    call()
                    times.append((time.perf_counter() - started) * 1000)
                queries = len(ctx)
            results.append((label, statistics.median(times), max(times), queries))
        return results

    def _report(self, rows: list[tuple[str, float, float, int]]) -> None:
        lines = ["| call | median ms | max ms | queries |", "|---|---:|---:|---:|"]
        lines += [
            f"| {label} | {median:.0f} | {worst:.0f} | {q} |" for label, median, worst, q in rows
        ]
        self.stdout.write("\n".join(lines))
