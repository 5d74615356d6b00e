"""A portal process that a test starts (a uvicorn server, a Celery worker), and its
environment: the production settings, as a deployment runs them, on the test's own services.
`start_process` returns once the process says it is ready, `stop_process` stops it (SIGTERM,
then a kill); its output is collected on a thread, so that waits can poll it. Every wait has a
deadline.

Not the test switches: `PORTAL_TESTING` is refused outside DEBUG (portal/settings.py), and a
served process should run what production runs, the real password hashers included. The test
process itself keeps its fast hasher; these processes never check a password (token clients,
tasks), so the two need not agree.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60
SHUTDOWN_TIMEOUT = 30

# Production insists on a long SECRET_KEY; this one only ever signs a test's cookies.
SECRET_KEY = "integration-test-only-secret-key-0123456789-abcdefghijklmnop"
# What production runs without: the test and debug switches, and the synchronous-ORM escape.
TEST_SWITCHES = ("PORTAL_TESTING", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_TASK_ALWAYS_EAGER")


def production_environment(**values: str) -> dict[str, str]:
    """This process's environment less the test switches, with a SECRET_KEY, cookies that plain
    HTTP on 127.0.0.1 can carry (no TLS redirect), and `values` on top."""
    env = {key: value for key, value in os.environ.items() if key not in TEST_SWITCHES}
    env.update(
        SECRET_KEY=SECRET_KEY,
        # The test process's own chain key, so that both sides write and verify one chain.
        AUDIT_CHAIN_KEY=settings.AUDIT_CHAIN_KEY,
        SECURE_COOKIES="0",
        DJANGO_SETTINGS_MODULE="portal.settings",
        PYTHONUNBUFFERED="1",
    )
    env.update(values)
    return env


class Output:
    """A process's merged output, read on a thread so that waits can poll it."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._lock:
                self._lines.append(line)

    @property
    def text(self) -> str:
        with self._lock:
            return "".join(self._lines)


def wait_until(condition: Callable[[], object], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def start_process(
    command: list[str], environment: dict[str, str], *, ready: str
) -> tuple[subprocess.Popen[str], Output]:
    """Start `command` in the repository with `environment`; returned once `ready` is in its
    output (the test fails, with the output, if it exits or takes too long)."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = Output(process.stdout)
    name = Path(command[0]).name
    if not wait_until(lambda: ready in output.text or process.poll() is not None, READY_TIMEOUT):
        stop_process(process)
        pytest.fail(f"{name} did not start:\n{output.text[-4000:]}")
    if process.poll() is not None:
        pytest.fail(f"{name} exited ({process.returncode}):\n{output.text[-4000:]}")
    return process, output


def stop_process(process: subprocess.Popen[str]) -> None:
    """SIGTERM (a warm shutdown), a kill if that takes too long."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(SHUTDOWN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
