"""Embedded mode end to end: the Procfile's processes on SQLite and the filesystem broker, and
the operator commands run through `make manage`.

No external service: the database and the broker live in a temporary PORTAL_VAR_DIR. Each
Procfile command runs as honcho runs it (`sh -c`, a session of its own, SIGTERM to the whole
process group) and must serve, work and then stop cleanly. Every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TASK = "comms.tasks.sweep_announcements"

MIGRATE_TIMEOUT = 180
COMMAND_TIMEOUT = 60
READY_TIMEOUT = 60
TASK_TIMEOUT = 60
SHUTDOWN_TIMEOUT = 30

# What would take the processes out of embedded mode, or into the test settings.
NOT_EMBEDDED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "PORTAL_TESTING",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "ALLOWED_HOSTS",
)


class Process:
    """One Procfile command, its merged output collected on a thread so waits can poll it."""

    def __init__(self, name: str, command: str, env: dict[str, str]) -> None:
        self.name = name
        self.popen = subprocess.Popen(
            ["/bin/sh", "-c", command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, args=(self.popen.stdout,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._lock:
                self._lines.append(line)

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def signal_group(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def stop(self) -> int | None:
        """SIGTERM to the process group, as honcho sends it; None if it outlives the deadline."""
        self.signal_group(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.signal_group(signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._reader.join(timeout=5)


def procfile_commands() -> dict[str, str]:
    commands = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, colon, command = line.partition(":")
        if colon and re.fullmatch(r"[A-Za-z0-9_-]+", name):
            commands[name] = command.strip()
    return commands


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def embedded_env(var_dir: Path, port: int) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in NOT_EMBEDDED}
    env.update(
        DEBUG="1",
        DJANGO_SETTINGS_MODULE="portal.settings",
        PORTAL_VAR_DIR=str(var_dir),
        PORTAL_HOST="127.0.0.1",
        PORTAL_PORT=str(port),
        # honcho hands every process a PORT of its own; the web must not bind to it.
        PORT="5000",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    return env


def login_page_status(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def outputs(processes: dict[str, Process]) -> str:
    return "\n".join(f"--- {name}:\n{p.output[-6000:]}" for name, p in processes.items())


def wait_until(
    condition: Callable[[], bool], what: str, timeout: float, processes: dict[str, Process]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        exited = {
            name: p.popen.returncode for name, p in processes.items() if p.popen.poll() is not None
        }
        if exited:
            pytest.fail(f"{exited} exited before {what}:\n{outputs(processes)}")
        time.sleep(0.25)
    pytest.fail(f"no {what} within {timeout} s:\n{outputs(processes)}")


def send_task(env: dict[str, str]) -> str:
    """Send the task through the broker from another process, as the web process would."""
    snippet = f"from portal.celery import app; print(app.send_task({TASK!r}).id)"
    sent = subprocess.run(
        [sys.executable, "-c", snippet],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sent.returncode == 0, sent.stdout + sent.stderr
    return sent.stdout.split()[-1]


def make_manage(
    args: str, var_dir: Path, timeout: float, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """`make manage ARGS=...` with this test's interpreter and environment as they are (the target
    must set up the embedded mode itself), its virtualenv taken as installed."""
    venv = Path(sys.prefix)
    env = {**os.environ, "PORTAL_VAR_DIR": str(var_dir), **extra_env}
    return subprocess.run(
        ["make", "-s", "-o", f"{venv}/.installed", f"VENV={venv}", "manage", f"ARGS={args}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated embedded database for the module: migrating SQLite takes a while."""
    path = tmp_path_factory.mktemp("embedded")
    migrate = make_manage("migrate --noinput", path, MIGRATE_TIMEOUT)
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    return path


def test_make_manage_runs_operator_commands_on_the_embedded_database(var_dir: Path) -> None:
    email = "operator@northbridge.example"
    created = make_manage(
        f"createsuperuser --noinput --email {email} --display_name Operator",
        var_dir,
        COMMAND_TIMEOUT,
        DJANGO_SUPERUSER_PASSWORD="an-operator-password",
    )
    assert created.returncode == 0, created.stdout + created.stderr

    issued = make_manage(f"create_api_token {email} --name 'LIMS sync'", var_dir, COMMAND_TIMEOUT)
    assert issued.returncode == 0, issued.stdout + issued.stderr
    assert "SECRET_KEY" not in issued.stderr
    key = issued.stdout.strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", key), issued.stdout

    # The key is the one stored (hashed) in the embedded database, not in DATABASE_URL's.
    with contextlib.closing(sqlite3.connect(var_dir / "portal.sqlite3")) as db:
        stored = db.execute(
            "SELECT t.name FROM portal_apitoken t JOIN portal_user u ON u.id = t.user_id "
            "WHERE u.email = ? AND t.key_hash = ?",
            (email, hashlib.sha256(key.encode()).hexdigest()),
        ).fetchall()
    assert stored == [("LIMS sync",)]


def test_embedded_mode_serves_pages_runs_tasks_and_stops_cleanly(var_dir: Path) -> None:
    port = free_port()
    env = embedded_env(var_dir, port)
    commands = procfile_commands()
    assert set(commands) == {"web", "worker"}

    processes = {name: Process(name, command, env) for name, command in commands.items()}
    try:
        wait_until(
            lambda: login_page_status(port) == 200,
            f"login page on port {port}",
            READY_TIMEOUT,
            processes,
        )
        task_id = send_task(env)
        wait_until(
            lambda: f"{TASK}[{task_id}] succeeded" in processes["worker"].output,
            f"success of task {task_id}",
            TASK_TIMEOUT,
            processes,
        )
        returncodes = {name: p.stop() for name, p in processes.items()}
    finally:
        for p in processes.values():
            p.kill()

    log = outputs(processes)
    # uvicorn shuts down gracefully, then re-raises the SIGTERM it received: both are clean.
    assert returncodes["web"] in {0, -signal.SIGTERM}, log
    assert "Finished server process" in processes["web"].output, log
    assert returncodes["worker"] == 0, log
    assert "Traceback" not in log, log
