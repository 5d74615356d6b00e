"""Jobs for tests: one asked for and built in place, without a worker."""

from __future__ import annotations

from typing import Any

from outcomes.jobs import job_building, job_request
from outcomes.models import Job


def built_job(
    actor: Any,
    program: Any = None,
    *,
    content: bytes = b"lot,status\n24-017,released\n",
    file_name: str = "export.csv",
    kind: str = Job.Kind.EXPORT,
) -> Job:
    """A job asked for by `actor` and built with `content` (as a task would), done."""
    job = job_request(actor=actor, kind=kind, task="outcomes.tasks.unused", program=program)
    with job_building(str(job.pk), file_name=file_name, content_type="text/csv") as build:
        assert build is not None
        build.progress(50, "Writing")
        build.write(content)
    job.refresh_from_db()
    return job


def waiting_job(actor: Any, program: Any = None) -> Job:
    """A job asked for by `actor` that no worker has started."""
    return job_request(
        actor=actor, kind=Job.Kind.EXPORT, task="outcomes.tasks.unused", program=program
    )
