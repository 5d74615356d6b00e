"""Celery tasks of the outcomes app: thin, a job id in, the service does the work."""

from __future__ import annotations

from portal.transactions import service_task

from . import bundle


@service_task()
def build_bundle(job_id: str) -> None:
    """Build an inspection bundle; a redelivered task finds the job finished and does nothing."""
    bundle.bundle_build(job_id)
