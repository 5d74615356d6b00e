"""The generic job pages and API: progress polled until the job finishes, the file downloaded
by the person who asked for it only, every download audited."""

from __future__ import annotations

import hashlib

from django.test import Client
from django.urls import reverse

from outcomes.jobs import job_building
from outcomes.models import Job
from portal.models import AuditEntry
from tests.outcomes.builders import built_job, waiting_job
from tests.support.api import api_client

CONTENT = b"lot,status\n24-017,released\n"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_waiting_job_polls_every_second_and_a_finished_one_stops(world):
    job = waiting_job(world.lead_a, world.program)
    client = signed_in(world.lead_a)
    url = reverse("outcomes:job-detail", args=[job.pk])

    polling = client.get(url, {"fragment": "status"}, headers={"HX-Request": "true"})
    with job_building(str(job.pk), file_name="x.csv", content_type="text/csv") as build:
        assert build is not None
        build.progress(40, "Writing rows")
        halfway = client.get(url, {"fragment": "status"}, headers={"HX-Request": "true"})
        build.write(CONTENT)
    finished = client.get(url, {"fragment": "status"}, headers={"HX-Request": "true"})

    assert 'hx-trigger="every 1s"' in polling.content.decode()
    assert "<html" not in polling.content.decode()
    assert 'value="40"' in halfway.content.decode()
    assert "Writing rows" in halfway.content.decode()
    body = finished.content.decode()
    assert "hx-trigger" not in body
    assert reverse("outcomes:job-download", args=[job.pk]) in body
    assert hashlib.sha256(CONTENT).hexdigest() in body


def test_the_download_is_the_file_and_is_audited(world):
    job = built_job(world.lead_a, world.program, content=CONTENT)

    response = signed_in(world.lead_a).get(reverse("outcomes:job-download", args=[job.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CONTENT
    assert response["X-Content-SHA256"] == hashlib.sha256(CONTENT).hexdigest()
    assert "attachment" in response["Content-Disposition"]
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).get()
    assert entry.actor == world.lead_a
    assert entry.object_pk == str(job.pk)


def test_someone_elses_job_is_not_found_even_for_a_colleague_or_the_cdmo(world):
    job = built_job(world.lead_a, world.program)

    for user in (world.viewer_a, world.lead_b, world.pm, world.leader):
        client = signed_in(user)
        assert client.get(reverse("outcomes:job-detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("outcomes:job-download", args=[job.pk])).status_code == 404

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()


def test_the_list_shows_only_my_own_jobs(world):
    mine = built_job(world.lead_a, world.program, file_name="mine.csv")
    built_job(world.pm, world.program, file_name="theirs.csv")

    body = signed_in(world.lead_a).get(reverse("outcomes:job-list")).content.decode()

    assert reverse("outcomes:job-detail", args=[mine.pk]) in body
    assert "mine.csv" in body
    assert "theirs.csv" not in body


def test_a_job_not_ready_is_a_conflict_and_nothing_is_audited(world):
    job = waiting_job(world.lead_a, world.program)

    page = signed_in(world.lead_a).get(reverse("outcomes:job-download", args=[job.pk]))
    api = api_client(world, "lead_a").get(reverse("api-job-download", args=[job.pk]))

    assert page.status_code == 409
    assert "not ready yet" in page.content.decode()
    assert api.status_code == 409
    assert api.json()["error"]["code"] == "conflict"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()


def test_the_api_gives_state_progress_hash_and_where_to_download(world):
    waiting = waiting_job(world.lead_a, world.program)
    done = built_job(world.lead_a, world.program, content=CONTENT)
    client = api_client(world, "lead_a")

    queued = client.get(reverse("api-job-detail", args=[waiting.pk])).json()
    ready = client.get(reverse("api-job-detail", args=[done.pk])).json()
    download = client.get(ready["download_url"])

    assert queued["state"] == "queued"
    assert queued["download_url"] is None
    assert ready["state"] == "done"
    assert ready["progress"] == 100
    assert ready["program"] == "HLX-101"
    assert ready["sha256"] == hashlib.sha256(CONTENT).hexdigest()
    assert ready["size"] == len(CONTENT)
    assert b"".join(download.streaming_content) == CONTENT
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).count() == 1


def test_the_api_answers_another_users_job_and_a_malformed_id_with_404(world):
    job = built_job(world.lead_a, world.program)

    other = api_client(world, "lead_b").get(reverse("api-job-detail", args=[job.pk]))
    malformed = api_client(world, "lead_a").get("/api/v1/jobs/not-a-uuid/")

    assert other.status_code == 404
    assert malformed.status_code == 404
    assert Job.objects.count() == 1
