"""Schemathesis against the portal as it runs in production: uvicorn serving `portal.asgi` on
PostgreSQL, a real Celery worker reacting to every write (health refreshes, announcements), and
two concurrent fuzzing workers per persona. No answer may be a server error: a deadlock between
writers, the health task and the audit chain would show up here as a 500.

The in-process schemathesis test (tests/api/test_schemathesis.py) holds every answer to the
schema; this one holds the running system to "never a 5xx" under concurrency. The schema itself
needs sign-in: schemathesis fetches it with the same token header as its requests.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command

from portal.models import User
from portal.services import api_token_create
from tests.support.celery_worker import Output, wait_until, worker_database_url
from tests.support.processes import production_environment

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# A Redis database of its own: the server and its worker share the default queue there, and no
# other test's worker takes their tasks.
BROKER_URL = "redis://127.0.0.1:6379/11"
# A fixed seed and a fixed number of cases per operation: CI replays the same inputs every run
# (the order in which the two workers send them still varies). FUZZ_SEED explores others.
FUZZ_SEED = os.environ.get("FUZZ_SEED", "20261204")
FUZZ_EXAMPLES = os.environ.get("FUZZ_EXAMPLES", "25")
START_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def environment(transactional_db) -> dict[str, str]:
    return production_environment(
        DATABASE_URL=worker_database_url(),
        REDIS_URL=BROKER_URL,
        CELERY_BROKER_URL=BROKER_URL,
        API_THROTTLE_USER="100000/min",
        API_THROTTLE_ANON="100000/min",
    )


@pytest.fixture
def running_portal(environment) -> Iterator[tuple[str, Output, Output]]:
    """The web server and a Celery worker, both on this test's database."""
    call_command("seed_demo", verbosity=0)
    port = free_port()
    web = subprocess.Popen(
        [str(BIN / "uvicorn"), "portal.asgi:application", "--port", str(port), "--no-access-log"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = subprocess.Popen(
        [
            *(str(BIN / "celery"), "-A", "portal", "worker", "--pool=threads", "--concurrency=2"),
            *("--loglevel=info", "--without-mingle", "--without-gossip", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert web.stdout is not None
    assert worker.stdout is not None
    web_out, worker_out = Output(web.stdout), Output(worker.stdout)
    try:
        if not wait_until(lambda: "Application startup complete" in web_out.text, START_TIMEOUT):
            pytest.fail(f"uvicorn did not start:\n{web_out.text[-3000:]}")
        if not wait_until(lambda: " ready." in worker_out.text, START_TIMEOUT):
            pytest.fail(f"the worker did not start:\n{worker_out.text[-3000:]}")
        yield f"http://127.0.0.1:{port}", web_out, worker_out
    finally:
        _stop(web)
        _stop(worker)


@pytest.mark.parametrize("email", ["sponsor@helix.example", "pm@northbridge.example"])
def test_fuzzing_the_running_portal_finds_no_server_error(running_portal, environment, email):
    base, web_out, worker_out = running_portal
    _, key = api_token_create(actor=None, user=User.objects.get(email=email), name="fuzzing")

    run = subprocess.run(
        [
            *(str(BIN / "schemathesis"), "run", f"{base}/api/v1/schema/"),
            *("--header", f"Authorization: Token {key}", "--workers", "2"),
            *(
                "--checks",
                "not_a_server_error",
                "--seed",
                FUZZ_SEED,
                "--max-examples",
                FUZZ_EXAMPLES,
            ),
            *("--phases", "examples,fuzzing", "--generation-database", "none", "--no-color"),
            # Dates are bounded (1990 to 2100) by a pattern on top of `format: date`; a body
            # with two required dates (a batch's plan) then filters out most generated dates,
            # which is the contract, not a problem to report.
            "--suppress-health-check=filter_too_much",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )

    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, f"{report}\n--- server ---\n{web_out.text[-4000:]}"
    assert "deadlock" not in web_out.text.lower(), web_out.text[-4000:]
    assert "deadlock" not in worker_out.text.lower(), worker_out.text[-4000:]
    assert "succeeded" in worker_out.text, "the worker ran no task: writes reached nobody"
