"""Celery tasks of the outcomes app: they take a job's id and build its file."""

from __future__ import annotations

from outcomes import exports, reports
from portal.transactions import service_task


@service_task()
def build_report(job_id: str) -> bool:
    return reports.report_build(job_id)


@service_task()
def build_export(job_id: str) -> bool:
    return exports.export_build(job_id)
