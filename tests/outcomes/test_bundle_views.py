"""Asking for an inspection bundle from the program's page and over the API."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from outcomes import periods
from outcomes.models import Job
from portal.models import AuditEntry

pytestmark = pytest.mark.django_db

API = "/api/v1/programs/{code}/bundles/"


@pytest.fixture(autouse=True)
def _no_broker(monkeypatch):
    monkeypatch.setattr("outcomes.jobs.enqueue_on_commit", lambda *args: None)


def test_the_api_answers_202_with_the_job_to_poll(world, api_as):
    response = api_as(world.lead_a).post(
        API.format(code="HLX-101"),
        json.dumps({"period": "quarter", "key": ""}),
        content_type="application/json",
    )

    assert response.status_code == 202, response.content
    job = Job.objects.get()
    assert response.json()["id"] == str(job.pk)
    assert response["Location"] == f"/api/v1/jobs/{job.pk}/"
    assert response.json()["kind"] == "bundle"
    assert response.json()["audience"] == "sponsor"
    assert job.period_start == periods.current(periods.PeriodKind.QUARTER).start
    assert AuditEntry.objects.filter(model="outcomes.job", object_pk=str(job.pk)).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "month", "key": "November"}, "key"),
        ({"period": "fortnight"}, "period"),
        ({"period": "custom", "first_day": "2026-03-02", "last_day": "2026-03-01"}, "last_day"),
        ({"period": "custom", "first_day": "2099-01-01", "last_day": "2099-01-31"}, "first_day"),
        ({"period": "custom", "first_day": "2026-02-30", "last_day": "2026-03-01"}, "first_day"),
        ({"period": "custom", "last_day": "2026-03-01"}, "first_day"),
        ({}, "period"),
    ],
)
def test_a_bad_period_is_a_400_naming_the_field_and_creates_nothing(world, api_as, body, field):
    client = api_as(world.lead_a)
    entries = AuditEntry.objects.count()

    response = client.post(
        API.format(code="HLX-101"), json.dumps(body), content_type="application/json"
    )

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not Job.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_another_sponsors_program_is_a_404_and_creates_nothing(world, api_as):
    response = api_as(world.lead_b).post(
        API.format(code="HLX-101"), json.dumps({"period": "month"}), content_type="application/json"
    )

    assert response.status_code == 404
    assert not Job.objects.exists()


def test_a_viewer_is_refused_with_403(world, api_as):
    response = api_as(world.viewer_a).post(
        API.format(code="HLX-101"), json.dumps({"period": "month"}), content_type="application/json"
    )

    assert response.status_code == 403
    assert not Job.objects.exists()


def test_the_page_starts_the_bundle_and_sends_to_the_job_page(world, client):
    client.force_login(world.qa)
    url = reverse("outcomes:program-bundle", args=["HLX-101"])

    page = client.get(url)
    response = client.post(
        url, {"period": "custom", "first_day": "2026-11-01", "last_day": "2026-11-30"}
    )

    assert page.status_code == 200
    assert b"Build the bundle" in page.content
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:job-detail", args=[job.pk])
    assert job.audience == "internal"
    assert job.params["period_kind"] == "custom"


def test_the_page_shows_a_bad_period_inline_and_creates_nothing(world, client):
    client.force_login(world.lead_a)
    url = reverse("outcomes:program-bundle", args=["HLX-101"])

    response = client.post(url, {"period": "month", "key": "2099-01"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 422
    assert periods.PERIOD_IN_FUTURE.encode() in response.content
    assert not Job.objects.exists()


def test_the_program_pages_show_the_bundle_tab_to_those_who_may_build_one(world, client):
    url = reverse("program-timeline", args=["HLX-101"])
    bundle_url = reverse("outcomes:program-bundle", args=["HLX-101"]).encode()

    client.force_login(world.lead_a)
    for_lead = client.get(url).content
    client.force_login(world.viewer_a)
    for_viewer = client.get(url).content

    assert bundle_url in for_lead
    assert bundle_url not in for_viewer
