"""manage.py bench_notifications: one Celery worker's notification throughput, email included.

A benchmark, not a test. It posts `--events` notable updates (each an activity-stream event
that concerns `--recipients` sponsor users) while no worker runs, so that the tasks wait in
the broker; then it starts one worker (`--pool=threads`, `--concurrency` threads, as the
Procfile runs it; the production settings) whose email
goes to a real SMTP server (aiosmtpd) inside this process, and measures until every email
row is marked sent: the fan-out (in-app and email rows),
the outbox's claim, send and mark, the Celery and broker overhead (the worker's boot is not
counted: the clock starts at the first row it writes). Exactly once is checked by
counting what the SMTP server received and the distinct Message-IDs. It replaces all data in
the database it is pointed at, so it refuses a database whose name does not contain "bench".
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Max, Min

from comms.models import Notification
from comms.services.updates import update_post
from portal.models import Membership, Organisation, User
from programs.models import Program, ProgramMember

ROOT = Path(__file__).resolve().parents[3]
GOAL_PER_SECOND = 200
TIMEOUT_SECONDS = 600


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Counter:
    """The SMTP handler: counts messages and their Message-IDs."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.message_ids: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for line in envelope.content.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                with self.lock:
                    self.message_ids.append(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.message_ids)


class Command(BaseCommand):
    help = "Benchmark one Celery worker's notification throughput, with email to local SMTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--events", type=int, default=100)
        parser.add_argument("--recipients", type=int, default=20)
        parser.add_argument(
            "--concurrency",
            type=int,
            default=8,
            help="Threads (or processes, with --pool prefork) of the one worker.",
        )
        parser.add_argument(
            "--pool",
            choices=["threads", "prefork"],
            default="threads",
            help="The worker's pool: threads, as the Procfile runs it, or prefork processes.",
        )

    def handle(self, *args: object, **options: int) -> None:
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(f"Refusing to replace the data in {name!r}: use a *bench* database.")
        events, recipients = options["events"], options["recipients"]
        self._concurrency = options["concurrency"]
        self._pool = str(options["pool"])
        pm, program = self._seed(recipients)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
        counter = _Counter()
        smtp = Controller(counter, hostname="127.0.0.1", port=_free_port())
        smtp.start()
        queue = f"bench-notifications-{uuid.uuid4().hex}"
        try:
            self._post(pm, program, events, queue)
            seconds = self._run_worker(
                queue, smtp.port, events * recipients, options["concurrency"]
            )
        finally:
            smtp.stop()
        self._report(events, recipients, seconds, counter)

    def _seed(self, recipients: int) -> tuple[User, Program]:
        call_command("flush", "--noinput", verbosity=0)
        cdmo = Organisation.objects.create(name="Northbridge", slug="northbridge", kind="cdmo")
        sponsor = Organisation.objects.create(name="Sponsor", slug="sponsor", kind="sponsor")
        pm = User.objects.create_user("pm@bench.example", None, display_name="Bench PM")
        Membership.objects.create(user=pm, organisation=cdmo, role=Membership.Role.PM)
        for i in range(recipients):
            user = User.objects.create_user(f"s{i}@bench.example", None, display_name=f"S{i}")
            Membership.objects.create(
                user=user, organisation=sponsor, role=Membership.Role.SPONSOR_VIEWER
            )
        program = Program.objects.create(sponsor=sponsor, code="BEN-001", name="Bench")
        ProgramMember.objects.create(program=program, user=pm, role=ProgramMember.Role.DEDICATED_PM)
        return pm, program

    def _post(self, pm: User, program: Program, events: int, queue: str) -> None:
        """The events, their tasks waiting in the broker on the bench's own queue."""
        from portal.celery import app

        app.conf.task_default_queue = queue
        for i in range(events):
            update_post(
                actor=pm,
                program=program,
                title=f"Batch {i} released",
                body="Released by QA.",
                significance="notable",
            )

    def _run_worker(self, queue: str, smtp_port: int, expected: int, concurrency: int) -> float:
        env = {
            **os.environ,
            "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "PYTHONUNBUFFERED": "1",
        }
        command = [str(Path(sys.executable).parent / "celery"), "-A", "portal", "worker"]
        command += [f"--pool={self._pool}", f"--concurrency={concurrency}", "--loglevel=warning"]
        command += ["--queues", queue]
        command += ["--hostname", f"{queue}@%h", "--without-mingle", "--without-gossip"]
        command += ["--without-heartbeat"]
        worker = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (our own command)
        try:
            emails = Notification.objects.filter(channel=Notification.Channel.EMAIL)
            deadline = time.monotonic() + TIMEOUT_SECONDS
            while time.monotonic() < deadline:
                if worker.poll() is not None:
                    raise CommandError(f"the worker exited ({worker.returncode})")
                if emails.filter(sent_at__isnull=False).count() >= expected:
                    break
                time.sleep(0.05)
            else:
                raise CommandError("not every email was sent in time")
            # From the first row the worker wrote (its first fan-out) to the last mark: the
            # worker's boot is not counted.
            span = Notification.objects.aggregate(first=Min("created_at"), last=Max("sent_at"))
            return (span["last"] - span["first"]).total_seconds()
        finally:
            worker.terminate()
            worker.wait(60)

    def _report(self, events: int, recipients: int, seconds: float, counter: _Counter) -> None:
        emails = Notification.objects.filter(channel=Notification.Channel.EMAIL)
        rows = Notification.objects.count()
        sent = emails.filter(sent_at__isnull=False).count()
        received = counter.count()
        distinct = len(set(counter.message_ids))
        per_second = sent / seconds
        self.stdout.write(
            f"{events} events x {recipients} recipients: {rows} notification rows, "
            f"{sent} emails sent, {received} received by SMTP ({distinct} distinct Message-IDs)"
        )
        self.stdout.write(
            f"one worker ({self._pool} pool, concurrency {self._concurrency}), first fan-out "
            f"to last email marked sent: {seconds:.2f} s → "
            f"{per_second:.0f} emails/s, {rows / seconds:.0f} notification rows/s "
            f"(goal ≥ {GOAL_PER_SECOND}/s; broker {settings.CELERY_BROKER_URL.split('://')[0]})"
        )
        if received != sent or distinct != sent:
            raise CommandError("not exactly once: the SMTP count differs from the rows sent")
