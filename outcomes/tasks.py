"""Celery tasks of the outcomes app: they take a job's id and build its file."""

from __future__ import annotations

from outcomes import bundle, exports, reports
from portal.transactions import service_task


@service_task()
def build_report(job_id: str) -> bool:
    return reports.report_build(job_id)


@service_task()
def build_export(job_id: str) -> bool:
    return exports.export_build(job_id)


@service_task()
def build_bundle(job_id: str) -> None:
    """Build an inspection bundle; a redelivered task finds the job finished and does nothing."""
    bundle.bundle_build(job_id)
