"""Concurrent writers on PostgreSQL neither deadlock nor queue behind one lock (issue 8, item 6).

Eight writer threads call real services (updates, milestone moves, change orders) on eight
programs and then on one program, while the health rule runs beside them twice over: a thread
calling `program_health_refresh` in a loop, and a real Celery worker taking the `refresh_health`
and announcement tasks that every write enqueues after commit. Every write must land, nothing may
deadlock (not even once, retried), and every audit chain must verify. Throughput for one writer,
eight on different programs and eight on one program is printed (run with `-s` to see it); the
claim that writers on different programs do not wait for each other is checked structurally, by
holding one program's locks open while the others write.
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal

import pytest
import redis
from django.db import OperationalError, connection, transaction

from comms.models import Update
from comms.services.health import program_health_refresh
from comms.services.updates import update_post
from portal import audit, clock
from portal.celery import app as celery_app
from portal.models import AuditEntry, Membership, Organisation, User
from programs.models import ChangeOrder, Milestone, Program, ProgramMember
from programs.services.costs import change_order_propose
from programs.services.timeline import milestone_reschedule
from tests.factories import OrganisationFactory, ProgramFactory, member
from tests.integration.test_celery_worker import (  # noqa: F401 (the worker fixture)
    Worker,
    celery_worker,
    wait_until,
)

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

WRITERS = 8
WRITES_EACH = 9  # three of each kind
SLIP_DAYS = 60  # far beyond any threshold: the milestone's moves flip the program's health
DRAIN_TIMEOUT = 120
JOIN_TIMEOUT = 300


@dataclass(frozen=True)
class Lane:
    """What one writer thread works on: its program and a milestone of its own."""

    program: Program
    milestone: Milestone


def _lanes(pm: User, programs: list[Program], count: int) -> list[Lane]:
    baseline = clock.site_today() + datetime.timedelta(days=30)
    lanes = []
    for n in range(count):
        program = programs[n % len(programs)]
        milestone = Milestone.objects.create(
            program=program,
            name=f"PPQ lot {n}",
            baseline_date=baseline,
            forecast_date=baseline,
        )
        lanes.append(Lane(program, milestone))
    return lanes


def _write(pm: User, lane: Lane, n: int, tag: str) -> None:
    """One write through a real service, in its own transaction."""
    kind = n % 3
    if kind == 0:
        update_post(actor=pm, program=lane.program, title=f"{tag} {n}", body="Progress.")
    elif kind == 1:
        slipped = (n // 3) % 2 == 0
        forecast = lane.milestone.baseline_date + datetime.timedelta(
            days=SLIP_DAYS if slipped else 0
        )
        milestone_reschedule(
            actor=pm, milestone=lane.milestone, forecast_date=forecast, reason=f"{tag} {n}"
        )
    else:
        change_order_propose(
            actor=pm,
            program=lane.program,
            title=f"{tag} {n}",
            rationale="Extra stability pull.",
            amount=Decimal("1000.00"),
        )


def _in_threads(work: list[Callable[[], None]]) -> list[BaseException]:
    """Run each callable on its own thread (and database connection); return what they raised."""
    failures: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return failures


class HealthLoop:
    """Re-evaluates the programs' health in a loop on its own thread, like a busy beat."""

    def __init__(self, program_ids: list[int]) -> None:
        self.program_ids, self.runs = program_ids, 0
        self.failures: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop)

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                for program_id in self.program_ids:
                    program_health_refresh(program_id=program_id)
                    self.runs += 1
        except BaseException as exc:
            self.failures.append(exc)
        finally:
            connection.close()

    def __enter__(self) -> HealthLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(JOIN_TIMEOUT)


def _phase(pm: User, lanes: list[Lane], tag: str) -> float:
    """Every lane writes WRITES_EACH times at once, with the health loop running; returns
    writes per second."""
    program_ids = sorted({lane.program.pk for lane in lanes})
    jobs = [
        (lambda lane=lane, w=w: [_write(pm, lane, n, f"{tag}-{w}") for n in range(WRITES_EACH)])
        for w, lane in enumerate(lanes)
    ]
    with HealthLoop(program_ids) as health:
        started = time.perf_counter()
        failures = _in_threads(jobs)
        elapsed = time.perf_counter() - started
    assert failures == [], failures
    assert health.failures == [], health.failures
    assert health.runs > 0
    return len(lanes) * WRITES_EACH / elapsed


def _writes_landed(tag: str, writers: int) -> None:
    per_kind = writers * WRITES_EACH // 3
    assert Update.objects.filter(title__startswith=f"{tag}-").count() == per_kind
    assert ChangeOrder.objects.filter(title__startswith=f"{tag}-").count() == per_kind
    moves = AuditEntry.objects.filter(model="programs.milestone", reason__startswith=f"{tag}-")
    assert moves.count() == per_kind


def _queue_drained(worker: Worker) -> bool:
    broker = redis.Redis.from_url(celery_app.conf.broker_url)
    try:
        return broker.llen(worker.queue) == 0
    finally:
        broker.close()


@pytest.fixture
def portfolio(db) -> tuple[User, list[Program]]:
    cdmo = OrganisationFactory(name="Northbridge", slug="northbridge", kind=Organisation.Kind.CDMO)
    pm = member(cdmo, Membership.Role.PM, email="pm@nb.example", display_name="Pat Manager")
    programs = []
    for n in range(WRITERS):
        sponsor = OrganisationFactory(name=f"Sponsor {n}", slug=f"sponsor-{n}")
        member(sponsor, Membership.Role.SPONSOR_LEAD, email=f"lead{n}@sponsor.example")
        program = ProgramFactory(sponsor=sponsor, code=f"CON-{n:03d}")
        ProgramMember.objects.create(program=program, user=pm, role=ProgramMember.Role.DEDICATED_PM)
        programs.append(program)
    return pm, programs


def test_concurrent_writers_never_deadlock_and_every_chain_verifies(
    portfolio,
    celery_worker,  # noqa: F811 (the fixture imported above)
    caplog,
):
    pm, programs = portfolio
    caplog.set_level(logging.WARNING, logger="portal.transactions")

    warm_up = _lanes(pm, programs[-1:], 1)[0]  # first use imports URLconfs, views, templates
    for n in range(3):
        _write(pm, warm_up, n, "warm-up")

    one = _phase(pm, _lanes(pm, programs[:1], 1), "one")
    spread = _phase(pm, _lanes(pm, programs, WRITERS), "spread")
    crowded = _phase(pm, _lanes(pm, programs[:1], WRITERS), "crowded")

    _writes_landed("one", 1)
    _writes_landed("spread", WRITERS)
    _writes_landed("crowded", WRITERS)
    assert wait_until(lambda: _queue_drained(celery_worker), DRAIN_TIMEOUT)
    assert wait_until(lambda: "refresh_health" in celery_worker.output.text, DRAIN_TIMEOUT)
    time.sleep(2)  # the task in hand when the queue emptied
    print(
        f"\nwrites/s: 1 writer {one:.1f}; {WRITERS} writers on {WRITERS} programs "
        f"{spread:.1f} ({spread / one:.1f}x); {WRITERS} writers on one program "
        f"{crowded:.1f} ({crowded / one:.1f}x)"
    )
    assert [r.getMessage() for r in caplog.records if "aborted" in r.getMessage()] == []
    worker_log = celery_worker.output.text
    assert "deadlock" not in worker_log
    assert "Retry in" not in worker_log
    assert " raised unexpected" not in worker_log
    assert list(audit.verify_chain()) == []
    health_entries = AuditEntry.objects.filter(reason="Health rule re-evaluated.")
    assert health_entries.filter(actor__isnull=True).exists()


@contextmanager
def _lock_timeout(value: str) -> Iterator[None]:
    """A lock timeout for this thread's connection, reset afterwards: the connection goes back
    to the pool with its session settings, and a later test must not inherit a short timeout
    (a deadlock test would see its statement cancelled before PostgreSQL detects the cycle)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{value}'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def test_while_one_program_is_being_written_the_others_are_not_held_up(portfolio):
    pm, programs = portfolio
    held, *others = _lanes(pm, programs, WRITERS)
    holding, release = threading.Event(), threading.Event()

    def hold_program_a_open() -> None:
        """A write on program A that has taken its row lock and chain lock, then lingers."""
        try:
            with transaction.atomic():
                update_post(actor=pm, program=held.program, title="held-0", body="Open.")
                holding.set()
                release.wait(JOIN_TIMEOUT)
        finally:
            connection.close()

    def write_elsewhere(lane: Lane) -> Callable[[], None]:
        def job() -> None:
            with _lock_timeout("10s"):  # a wait for program A's locks would fail, not hang
                for n in range(3):
                    _write(pm, lane, n, f"free-{lane.program.code}")

        return job

    def write_to_program_a() -> None:
        with _lock_timeout("500ms"):
            _write(pm, held, 0, "blocked-0")

    holder = threading.Thread(target=hold_program_a_open)
    holder.start()
    try:
        assert holding.wait(30)
        assert _in_threads([write_elsewhere(lane) for lane in others]) == []
        blocked = _in_threads([write_to_program_a])
    finally:
        release.set()
        holder.join(JOIN_TIMEOUT)

    assert len(blocked) == 1
    assert isinstance(blocked[0], OperationalError)
    assert blocked[0].__cause__.sqlstate == "55P03"  # lock_not_available: program A's row
    for lane in others:
        assert Update.objects.filter(program=lane.program, title__startswith="free-").count() == 1
    assert list(audit.verify_chain()) == []
