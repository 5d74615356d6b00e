"""`atomic_service` runs a service again when PostgreSQL aborts it as deadlocked or
unserialisable, only when it owns the transaction, and a bounded number of times."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, OperationalError, connection, transaction

from comms import tasks as comms_tasks
from governance import tasks as governance_tasks
from portal import transactions
from portal.models import Organisation
from portal.transactions import RETRYABLE_DB_ERRORS, atomic_service, is_retryable
from tests.factories import OrganisationFactory

postgresql = pytest.mark.services  # the aborts under test are PostgreSQL's


def _abort_as(sqlstate: str) -> None:
    """Have the server itself abort the statement with this SQLSTATE."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN RAISE EXCEPTION 'provoked' USING ERRCODE = '{sqlstate}'; END $$"
        )


class Flaky:
    """A service that PostgreSQL aborts the first `failures` times it runs."""

    def __init__(self, failures: int, sqlstate: str = "40001") -> None:
        self.failures, self.sqlstate, self.runs = failures, sqlstate, 0

    def __call__(self, *, name: str) -> str:
        self.runs += 1
        Organisation.objects.create(name=f"{name} {self.runs}", slug=f"{name}-{self.runs}")
        if self.runs <= self.failures:
            _abort_as(self.sqlstate)
        return name


@postgresql
@pytest.mark.django_db(transaction=True)
def test_an_unserialisable_service_runs_again_and_only_its_last_run_is_kept():
    flaky = Flaky(failures=2)

    assert atomic_service(flaky)(name="retried") == "retried"

    assert flaky.runs == 3
    assert list(Organisation.objects.values_list("slug", flat=True)) == ["retried-3"]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_it_gives_up_after_a_bounded_number_of_retries():
    flaky = Flaky(failures=100, sqlstate="40P01")

    with pytest.raises(OperationalError) as aborted:
        atomic_service(flaky)(name="doomed")

    assert is_retryable(aborted.value)
    assert flaky.runs == transactions.RETRIES + 1
    assert not Organisation.objects.exists()


@postgresql
@pytest.mark.django_db(transaction=True)
def test_other_database_errors_are_not_retried():
    OrganisationFactory(slug="taken")
    runs = []

    @atomic_service
    def create_taken() -> None:
        runs.append(1)
        Organisation.objects.create(name="Again", slug="taken")

    with pytest.raises(IntegrityError) as refused:
        create_taken()

    assert not is_retryable(refused.value)
    assert len(runs) == 1


@postgresql
@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_it_re_raises_instead_of_retrying():
    flaky = Flaky(failures=1)

    with pytest.raises(OperationalError), transaction.atomic():
        atomic_service(flaky)(name="nested")

    assert flaky.runs == 1


@postgresql
def test_inside_a_tests_transaction_it_does_not_retry_either(db):
    flaky = Flaky(failures=1, sqlstate="40P01")

    with pytest.raises(OperationalError):
        atomic_service(flaky)(name="in-test")

    assert flaky.runs == 1


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_real_deadlock_is_retried_and_both_writers_finish():
    """Two writers lock two rows in opposite orders; PostgreSQL aborts one, which runs again."""
    first, second = OrganisationFactory(slug="first"), OrganisationFactory(slug="second")
    both_hold_one = threading.Barrier(2, timeout=20)
    runs: list[str] = []
    failures: list[BaseException] = []

    @atomic_service
    def lock_both(*, order: tuple[int, int], writer: str) -> None:
        runs.append(writer)
        Organisation.objects.select_for_update().get(pk=order[0])
        if runs.count(writer) == 1:
            both_hold_one.wait()
        Organisation.objects.select_for_update().get(pk=order[1])
        Organisation.objects.filter(pk=order[1]).update(name=f"last locked by {writer}")

    def writer(name: str, order: tuple[int, int]) -> None:
        try:
            lock_both(order=order, writer=name)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=writer, args=("A", (first.pk, second.pk))),
        threading.Thread(target=writer, args=("B", (second.pk, first.pk))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert failures == []
    assert sorted(runs) in (["A", "A", "B"], ["A", "B", "B"])  # exactly one was run again
    assert set(Organisation.objects.values_list("name", flat=True)) == {
        "last locked by A",
        "last locked by B",
    }


@pytest.mark.parametrize(
    "task",
    [
        comms_tasks.fan_out_events,
        comms_tasks.announce_event,
        comms_tasks.sweep_announcements,
        comms_tasks.sweep_notifications,
        comms_tasks.refresh_health,
        comms_tasks.refresh_all_health,
        governance_tasks.send_meeting_invites,
        governance_tasks.generate_cadence_meetings,
    ],
    ids=lambda task: task.name,
)
def test_every_writing_task_retries_what_a_later_attempt_can_cure(task):
    assert set(RETRYABLE_DB_ERRORS) <= set(task.autoretry_for)
    assert task.retry_backoff
    assert 0 < task.max_retries <= 5
