"""The portal in its production shape for the served benchmark, and the data it serves.

The same processes as docker-compose.yml: uvicorn serving `portal.asgi:application` (one web
process, as the Dockerfile starts it) and a Celery worker, on PostgreSQL and Redis, DEBUG=0.
Four settings differ from a deployment, each because the benchmark runs on plain HTTP from one
address with the demo's logins:
- SECURE_COOKIES=0: no TLS in front, so cookies without `Secure` and no redirect to https;
- MFA_ENFORCED=0: the demo sponsor lead has no second factor to enrol;
- API_THROTTLE_USER/ANON: four clients from one address would hit the per-minute limits in
  seconds (the throttle still runs and still counts in Redis);
- placeholder secrets, as .ci/run's roles check uses.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parent.parent
# PORTAL_VAR_DIR of the benchmark's processes, kept between runs for its static files.
VAR_DIR = ROOT / "var" / "bench-http"
SPONSOR = "sponsor@helix.example"
PM = "pm@northbridge.example"
PASSWORD = "portal-demo"  # comms/management/commands/seed_demo.py
TOKEN_NAME = "Served benchmark"
START_SECONDS = 60
STOP_SECONDS = 20
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Portal:
    """The running processes and where their output goes."""

    base_url: str
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def log_tail(self, name: str, lines: int = 30) -> str:
        text = (self.log_dir / f"{name}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def log_tails(self) -> str:
        """The end of every process's output, for a run that failed."""
        return "\n".join(f"--- {name}\n{self.log_tail(name)}" for name in self.processes)


def environment(
    *, database_url: str, redis_url: str, port: int, web_processes: int = 1
) -> dict[str, str]:
    """The environment of every process: production settings with the differences above."""
    env = {k: v for k, v in os.environ.items() if k not in {"PORTAL_TESTING", "DEBUG"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-placeholder-secret-key-for-the-served-benchmark-0123456789abcdef",
        AUDIT_CHAIN_KEY="bench-placeholder-audit-chain-key-0123456789",
        ALLOWED_HOSTS="127.0.0.1",
        SITE_URL=f"http://127.0.0.1:{port}",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PORTAL_VAR_DIR=str(VAR_DIR),
        WEB_CONCURRENCY=str(web_processes),
        SECURE_COOKIES="0",
        MFA_ENFORCED="0",
        API_THROTTLE_USER="1000000/min",
        API_THROTTLE_ANON="1000000/min",
    )
    return env


def refuse_foreign_database(database_url: str) -> None:
    """The benchmark replaces every row: only a database named for benchmarks will do."""
    name = urllib.parse.unquote(urllib.parse.urlsplit(database_url).path.lstrip("/"))
    if "bench" not in name:
        sys.exit(f"bench-http: refusing to replace the data in {name!r}: use a *bench* database.")


def manage(env: dict[str, str], *args: str) -> str:
    """Run a manage.py command and hand back its stdout (stderr shows only on failure)."""
    done = subprocess.run(  # noqa: S603 (our own command lines)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"bench-http: manage.py {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def collect_static(env: dict[str, str]) -> None:
    """Hashed and compressed static files, as the Dockerfile builds them: the production
    storage serves pages only from its manifest. Built again only when a source is newer than
    the manifest (a build takes half a minute, most of it compressing)."""
    manifest = VAR_DIR / "static" / "staticfiles.json"
    sources = [ROOT / "constraints.txt", *(ROOT / "static").rglob("*")]
    newest = max(path.stat().st_mtime for path in sources)
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")


def empty_redis(redis_url: str) -> None:
    """Before the processes start (the worker declares its queue there): kept status bodies are
    keyed by program version, which starts again after the database is refilled."""
    redis.Redis.from_url(redis_url).flushdb()


def seed(env: dict[str, str]) -> dict[str, str]:
    """Fresh demo data. Returns the API keys by email: the sponsor's read-only, the PM's read
    and write."""
    manage(env, "flush", "--noinput")
    manage(env, "seed_demo")
    return {
        SPONSOR: manage(env, "create_api_token", SPONSOR, "--name", TOKEN_NAME, "--read-only"),
        PM: manage(env, "create_api_token", PM, "--name", TOKEN_NAME),
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(env: dict[str, str], *, port: int, log_dir: Path) -> Portal:
    """uvicorn as the Dockerfile starts it and a worker as docker-compose.yml does (no beat: its
    sweeps run once a minute and are not what is measured)."""
    portal = Portal(base_url=f"http://127.0.0.1:{port}", log_dir=log_dir)
    commands = {
        "web": [
            *("uvicorn", "portal.asgi:application", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", env["WEB_CONCURRENCY"], "--timeout-graceful-shutdown", "10"),
        ],
        "worker": ["celery", "-A", "portal", "worker", "--loglevel", "info", "--concurrency", "2"],
    }
    for name, command in commands.items():
        with (log_dir / f"{name}.log").open("wb") as log:
            portal.processes[name] = subprocess.Popen(  # noqa: S603 (our own command lines)
                [sys.executable, "-m", *command],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
    return portal


def wait_until_healthy(portal: Portal) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        for name, process in portal.processes.items():
            if process.poll() is not None:
                sys.exit(f"bench-http: the {name} process exited:\n{portal.log_tail(name)}")
        try:
            if requests.get(f"{portal.base_url}/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    sys.exit(f"bench-http: /healthz did not answer within {START_SECONDS} s")


def wait_until_idle(redis_url: str) -> None:
    """Until the worker has done what seeding queued (health refreshes, the demo's
    notifications): measured alongside, its work would be charged to the first endpoints."""
    broker = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + START_SECONDS
    while broker.llen("celery") or broker.hlen("unacked"):
        if time.monotonic() > deadline:
            print(f"bench-http: the worker is still busy after {START_SECONDS} s", file=sys.stderr)
            return
        time.sleep(0.2)


def stop(portal: Portal) -> None:
    for process in portal.processes.values():
        process.terminate()
    for process in portal.processes.values():
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sign_in(base_url: str, email: str, password: str) -> str:
    """Sign in through the login form, as a browser does; returns the `Cookie` header value."""
    browser = requests.Session()
    login_url = f"{base_url}/accounts/login/"
    form = browser.get(login_url, timeout=10)
    token = _CSRF_INPUT.search(form.text)
    if form.status_code != 200 or token is None:
        sys.exit(f"bench-http: the login page answered {form.status_code} without a form")
    answer = browser.post(
        login_url,
        data={"login": email, "password": password, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": login_url},
        timeout=10,
    )
    if answer.url.startswith(login_url) or "sessionid" not in browser.cookies:
        sys.exit(f"bench-http: signing in as {email} failed ({answer.status_code} {answer.url})")
    return f"sessionid={browser.cookies['sessionid']}"
