"""A real Celery worker builds an inspection bundle that the verifier accepts.

The worker is a subprocess on this test's database and Redis (see test_celery_worker), with
the job files and audit checkpoints in this test's own directory.
"""

from __future__ import annotations

import pytest

from outcomes import bundle
from outcomes.jobs import job_download
from outcomes.models import Job
from portal.models import AuditEntry
from tests.integration.test_celery_worker import running_worker
from tests.outcomes.bundle_support import extract, inspected_program, run_verifier, this_month
from tests.support.celery_worker import wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BUILD_TIMEOUT = 60


def test_the_worker_builds_a_bundle_that_verifies(world, monkeypatch, settings, tmp_path):
    settings.JOB_FILES_DIR = tmp_path / "jobs"
    inspected_program(world)
    environment = {
        "JOB_FILES_DIR": str(settings.JOB_FILES_DIR),
        "AUDIT_CHECKPOINT_FILE": str(settings.AUDIT_CHECKPOINT_FILE),
    }
    with running_worker(monkeypatch, **environment) as worker:
        job = bundle.bundle_request(actor=world.lead_a, program=world.program, period=this_month())

        def finished() -> bool:
            job.refresh_from_db()
            return job.is_finished

        assert wait_until(finished, BUILD_TIMEOUT), worker.output.text
    assert job.state == Job.State.DONE, job.error
    assert job.progress == 100
    assert "outcomes.tasks.build_bundle" in worker.output.text

    response = job_download(actor=world.lead_a, job=job)
    data = b"".join(response.streaming_content)
    archive = tmp_path / job.file_name
    archive.write_bytes(data)
    result = run_verifier(extract(data, tmp_path / "extracted"), str(archive))

    assert result.returncode == 0, result.stdout
    assert AuditEntry.objects.filter(
        model="outcomes.job", object_pk=str(job.pk), action=AuditEntry.Action.DOWNLOAD
    ).exists()
