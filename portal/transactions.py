"""Service transactions that survive PostgreSQL's deadlock and serialisation aborts.

Lock order (DESIGN §3), the same for every writer so that deadlocks stay rare: the program row
first (`programs.changes.lock_program`), then the rows under it, the audit chain last (taken by
`portal.audit.record`). Chains are per program, so writers on different programs take disjoint
locks and never wait for each other.

Rare is not never: a service written against the order, or two programs touched in one
transaction, can still meet another writer in a cycle, and PostgreSQL then aborts one of them
(SQLSTATE 40P01; 40001 when a serializable read cannot be reconciled). The aborted transaction
has changed nothing, so running the whole service again is safe and almost always succeeds:
`atomic_service` does that, a bounded number of times, when it owns the transaction. Inside a
caller's transaction it cannot (the caller's earlier work is gone with the abort), so it
re-raises and leaves the retry to whoever owns the outermost block. A decorated service must
read what it decides on inside its transaction, since a retry runs it again from the top.

Celery tasks get the same policy on their side: `@service_task` (a `shared_task` with
`autoretry_for=RETRYABLE_DB_ERRORS`, backoff, bounded retries, late acks) retries a task whose
service gave up, or whose connection dropped.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError, transaction

logger = logging.getLogger(__name__)

RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
RETRIES = 3
BACKOFF_SECONDS = (0.02, 0.1)  # jittered, so the two parties of a deadlock do not meet again

# For Celery's `autoretry_for`: what a later attempt can cure. Deadlocks and serialisation
# failures (psycopg raises them as OperationalError), lost connections, SQLite's "database is
# locked"; not IntegrityError or DataError, which a retry only repeats.
RETRYABLE_DB_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

# Every task: ids in, idempotent, acknowledged only once done, bounded retries with backoff.
TASK_OPTIONS: dict[str, Any] = {
    "retry_backoff": True,
    "max_retries": 5,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


def service_task(*also_retry: type[Exception]) -> Callable[[Callable[..., Any]], Any]:
    """`@service_task()` declares a Celery task with the portal's one retry policy; name extra
    exceptions a later attempt can cure (an SMTP failure) as arguments."""
    return shared_task(autoretry_for=(*RETRYABLE_DB_ERRORS, *also_retry), **TASK_OPTIONS)


P = ParamSpec("P")
R = TypeVar("R")


def is_retryable(exc: BaseException) -> bool:
    """Whether PostgreSQL aborted the transaction as deadlocked or unserialisable."""
    if not isinstance(exc, DatabaseError):
        return False
    return getattr(exc.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES


def atomic_service(func: Callable[P, R]) -> Callable[P, R]:
    """Run `func` in `transaction.atomic()`; as the outermost block, run it again (up to
    `RETRIES` more times) when PostgreSQL aborts it as deadlocked or unserialisable."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                return func(*args, **kwargs)
        retries = 0
        while True:
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except DatabaseError as exc:
                if retries == RETRIES or not is_retryable(exc):
                    raise
                retries += 1
                logger.warning(
                    "%s aborted (SQLSTATE %s); retry %d of %d",
                    getattr(func, "__qualname__", func),
                    getattr(exc.__cause__, "sqlstate", "?"),
                    retries,
                    RETRIES,
                )
            time.sleep(random.uniform(*BACKOFF_SECONDS))  # noqa: S311 (jitter, not secrets)

    return run
