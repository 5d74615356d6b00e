"""A real Celery worker builds a monthly report's PDF end to end: asked for over the API,
progress to done, downloaded (audited), and it reads as the sponsor's edition.

The worker is a subprocess on Redis and on this test's database (committed for real) with the
job files in this test's directory, consuming a queue of its own.
"""

from __future__ import annotations

import io
import uuid

import pytest
from django.urls import reverse
from pypdf import PdfReader

from outcomes.models import Job
from outcomes.periods import PeriodKind, current
from portal.celery import app as celery_app
from portal.models import AuditEntry
from tests.deviations.conftest import log_deviation
from tests.governance.builders import action_item
from tests.support.api import api_client, post_json
from tests.support.celery_worker import forget_queue, start_worker, stop_worker, wait_until

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BUILD_TIMEOUT = 60


def test_the_worker_builds_the_report_and_the_sponsor_downloads_it(
    world, monkeypatch, settings, tmp_path
):
    settings.JOB_FILES_DIR = tmp_path
    deviation = log_deviation(world, title="Filter integrity test failed")
    action_item(world.program, world.lead_a, title="Send the batch record")
    action_item(world.program, world.pm, title="Quillon internal chase", audience="internal")
    queue = f"test-worker-{uuid.uuid4().hex}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    worker = start_worker(queue, celery_app.conf.broker_url, JOB_FILES_DIR=str(tmp_path))
    try:
        client = api_client(world, "lead_a")
        month = current(PeriodKind.MONTH).key
        asked = post_json(
            client, reverse("api-program-reports", kwargs={"code": "HLX-101"}), {"month": month}
        )
        job_id = asked.json()["id"]

        def finished() -> bool:
            return Job.objects.get(pk=job_id).is_finished

        done = wait_until(finished, BUILD_TIMEOUT)
        status = client.get(asked["Location"]).json()
    finally:
        stop_worker(worker)
        forget_queue(celery_app.conf.broker_url, queue)

    assert asked.status_code == 202
    assert done, worker.output.text[-4000:]
    assert status["state"] == "done", status
    assert status["progress"] == 100
    assert "outcomes.tasks.build_report" in worker.output.text
    download = client.get(status["download_url"])
    data = b"".join(download.streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert download["X-Content-SHA256"] == status["sha256"]
    assert deviation.reference in text
    assert "Send the batch record" in text
    assert "Quillon" not in text
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.DOWNLOAD, object_pk=job_id, actor=world.lead_a
    ).exists()
