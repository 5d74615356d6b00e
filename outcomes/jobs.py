"""Services for the background jobs that build files (reports, exports, inspection bundles).

The flow: a view or API call asks with `job_request` (one transaction: the row, its audit
entry, the task enqueued after commit); the Celery task opens the job with `job_building`,
writes the file through the `Build` it gets (progress as it goes, the SHA-256 computed while
writing, never the whole file in memory), and the job ends done or failed; `job_download`
audits every download and streams the file.

A file is written to a temporary name and renamed into place only when complete, so a
download never sees half a file, and a retried task starts again from nothing.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.http import FileResponse
from django.utils import timezone

from portal import access, audit
from portal.models import AuditEntry, Organisation, User
from portal.queue import enqueue_on_commit
from programs.models import Program

from .models import Job

logger = logging.getLogger(__name__)

JOB_NOT_READY = "This file is not ready yet: its job is {state}."
JOB_FILE_MISSING = "This file is no longer on the server: ask for it again."


class JobNotReadyError(Exception):
    """The job has no file to give (yet, or any more); the message says why."""


def job_path(job: Job) -> Path:
    return Path(settings.JOB_FILES_DIR) / f"{job.pk}"


def job_request(
    *,
    actor: User,
    kind: str,
    task: str,
    program: Program | None = None,
    sponsor: Organisation | None = None,
    period_start: datetime.date | None = None,
    period_end: datetime.date | None = None,
    params: dict[str, Any] | None = None,
) -> Job:
    """Record the job and enqueue `task` (a Celery task name taking the job id) after commit.

    The caller has checked that `actor` may ask for this file; the job remembers the audience
    the file is built for, so a sponsor's file never holds an internal item."""
    job = Job(
        kind=kind,
        program=program,
        sponsor=sponsor or (program.sponsor if program is not None else None),
        requested_by=actor,
        audience=access.Audience.INTERNAL
        if access.sees_internal(actor)
        else access.Audience.SPONSOR,
        period_start=period_start,
        period_end=period_end,
        params=params or {},
    )
    job.full_clean()
    with transaction.atomic():
        job.save(force_insert=True)
        audit.record_create(actor=actor, instance=job, program_id=program.pk if program else None)
        enqueue_on_commit(task, str(job.pk))
    return job


class Build:
    """The file being written by a job's task: `file` to write to, `progress` to report."""

    def __init__(self, job: Job, file: IO[bytes]) -> None:
        self.job = job
        self.file = file
        self._digest = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes) -> int:
        self._digest.update(data)
        self._size += len(data)
        return self.file.write(data)

    def progress(self, percent: int, step: str = "") -> None:
        """Report how far the build is (0-100) and what it is doing; seen by the page's poll."""
        percent = max(0, min(99, int(percent)))
        Job.objects.filter(pk=self.job.pk).update(progress=percent, step=step[:200])

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    @property
    def size(self) -> int:
        return self._size


@contextlib.contextmanager
def job_building(job_id: str, *, file_name: str, content_type: str) -> Iterator[Build | None]:
    """Open the job `job_id` for its task. Yields None when there is nothing to do (the job is
    unknown or already finished: a redelivered task does no work twice). On a clean exit the
    file is moved into place and the job is done; on an exception the job is failed with a
    message (the exception is logged and not raised again, so the task does not retry a build
    that cannot succeed)."""
    job = Job.objects.select_related("program", "requested_by").filter(pk=job_id).first()
    if job is None or job.is_finished:
        yield None
        return
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, started_at=timezone.now(), progress=0, step="Starting"
    )
    final = job_path(job)
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_suffix(".part")
    try:
        with partial.open("wb") as file:
            build = Build(job, file)
            yield build
            file.flush()
            os.fsync(file.fileno())
        partial.replace(final)
    except Exception as error:
        logger.exception("job %s failed", job.pk)
        partial.unlink(missing_ok=True)
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED, finished_at=timezone.now(), error=str(error)[:2000] or "Failed"
        )
        return
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.DONE,
        progress=100,
        step="Ready",
        finished_at=timezone.now(),
        file_name=file_name,
        content_type=content_type,
        size=build.size,
        sha256=build.sha256,
    )


def job_download(*, actor: User, job: Job) -> FileResponse:
    """Stream the job's file to `actor` (who got `job` through `Job.objects.visible_to`),
    auditing the download first."""
    if job.state != Job.State.DONE:
        raise JobNotReadyError(JOB_NOT_READY.format(state=job.get_state_display().lower()))
    path = job_path(job)
    if not path.exists():
        raise JobNotReadyError(JOB_FILE_MISSING)
    with transaction.atomic():
        audit.record(
            actor=actor,
            action=AuditEntry.Action.DOWNLOAD,
            instance=job,
            changes={"file": [None, job.file_name], "sha256": [None, job.sha256]},
            program_id=job.program_id,
        )
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=job.file_name, content_type=job.content_type
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = job.sha256
    return response
