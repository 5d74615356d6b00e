"""Helpers for the inspection bundle tests: a program with a record worth inspecting, and a
bundle built in memory or extracted to disk."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from comms.services.conversations import comment_post
from deviations.services import capa, investigation
from governance.models import Meeting
from outcomes import periods
from outcomes.bundle import write_bundle
from outcomes.jobs import Build
from outcomes.models import Job
from portal import access
from portal.models import Signature
from portal.signatures import signature_sign
from programs import changes
from programs.models import Batch, ChangeOrder, Milestone
from programs.services.costs import cost_line_add
from tests.deviations.conftest import log_deviation, move
from tests.factories import PASSWORD

INTERNAL_MINUTES = "Internal: the line-2 operator retraining is behind schedule."
INTERNAL_COMMENT = "Internal note: supplier audit finding pending."
INTERNAL_COST = "Internal overtime for the filter investigation"
SHARED_MINUTES = "Shared: batch 24-117 on track for release."


def inspected_program(world) -> dict:
    """Sponsor A's program with a closed (signed) deviation and its root cause and CAPA, a
    batch, a milestone, a meeting with internal minutes, a change order, an internal comment
    and an internal cost line; sponsor B's program with a deviation of its own."""
    today = timezone.now()
    deviation = log_deviation(world, title="Filter integrity test failed")
    investigation.root_cause_add(
        actor=world.qa, deviation=deviation, category="equipment", description="Worn gasket"
    )
    capa.capa_add(
        actor=world.qa,
        deviation=deviation,
        kind="corrective",
        description="Replace the gaskets on line 2",
        owner=world.staff,
    )
    move(world, deviation, "investigating")
    other = log_deviation(world, program=world.program_b, title="Borealis-only deviation")
    with transaction.atomic():
        program = changes.lock_program(world.program.pk)
        batch = changes.create(
            Batch(
                program=program,
                lot_number="24-117",
                product="HLX mAb DS",
                planned_start=today.date() - datetime.timedelta(days=3),
                planned_release=today.date() + datetime.timedelta(days=20),
                quantity_committed=Decimal("12.5"),
            ),
            actor=world.pm,
            program=program,
        )
        milestone = changes.create(
            Milestone(
                program=program,
                name="PPQ campaign complete",
                baseline_date=today.date(),
                forecast_date=today.date() + datetime.timedelta(days=7),
            ),
            actor=world.pm,
            program=program,
        )
        meeting = changes.create(
            Meeting(
                program=program,
                title="Weekly call",
                starts_at=today - datetime.timedelta(hours=3),
                status=Meeting.Status.HELD,
                minutes=INTERNAL_MINUTES,
                decisions=SHARED_MINUTES,
                decisions_audience=access.Audience.SPONSOR,
            ),
            actor=world.pm,
            program=program,
        )
        change_order = changes.create(
            ChangeOrder(
                program=program,
                reference="CO-001",
                title="Extra stability timepoint",
                rationale="Sponsor request",
                amount=Decimal("4200.00"),
                proposed_by=world.pm,
            ),
            actor=world.pm,
            program=program,
        )
    comment_post(
        actor=world.pm, target=deviation, body=INTERNAL_COMMENT, audience=access.Audience.INTERNAL
    )
    cost_line_add(
        actor=world.pm,
        program=world.program,
        driver="labour",
        description=INTERNAL_COST,
        amount=Decimal("999.00"),
    )
    with transaction.atomic():
        signature_sign(
            signer=world.qa,
            password=PASSWORD,
            record=batch,
            meaning=Signature.Meaning.APPROVED,
            statement="Batch record reviewed",
            program_id=world.program.pk,
        )
    deviation.refresh_from_db()
    return {
        "deviation": deviation,
        "other": other,
        "batch": batch,
        "milestone": milestone,
        "meeting": meeting,
        "change_order": change_order,
    }


def this_month() -> periods.Period:
    return periods.current(periods.PeriodKind.MONTH)


def job_for(user, program, period: periods.Period | None = None) -> Job:
    """A bundle job as `job_request` records it, without enqueuing (the tests build it)."""
    period = period or this_month()
    return Job.objects.create(
        kind=Job.Kind.BUNDLE,
        program=program,
        sponsor=program.sponsor,
        requested_by=user,
        audience=access.Audience.INTERNAL
        if access.sees_internal(user)
        else access.Audience.SPONSOR,
        period_start=period.start,
        period_end=period.end,
        params={"period_kind": period.kind},
    )


def build_bytes(job: Job) -> bytes:
    buffer = io.BytesIO()
    job = Job.objects.select_related("program", "requested_by").get(pk=job.pk)
    write_bundle(job, Build(job, buffer))
    return buffer.getvalue()


def all_text(archive: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return "\n".join(zipped.read(name).decode() for name in zipped.namelist())


def member(archive: bytes, suffix: str) -> str:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        (name,) = [n for n in zipped.namelist() if n.endswith(suffix)]
        return zipped.read(name).decode()


def extract(archive: bytes, where: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        zipped.extractall(where)
        (folder,) = {name.split("/", 1)[0] for name in zipped.namelist()}
    return where / folder


def run_verifier(folder: Path, *target: str) -> subprocess.CompletedProcess[str]:
    """`python -I verify_bundle.py [target]` from the extracted folder: standard library only."""
    return subprocess.run(
        [sys.executable, "-I", "verify_bundle.py", *target],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
