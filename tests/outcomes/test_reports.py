"""The monthly program status report: the printable page and its PDF from the same template,
the sponsor's edition without internal items, reproducible bytes, and refused periods."""

from __future__ import annotations

import hashlib
import io

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from outcomes import reports
from outcomes.jobs import job_path
from outcomes.models import Job
from outcomes.periods import PeriodKind, parse
from tests.outcomes.report_data import INTERNAL, MONTH, NOW, fill_month
from tests.support.api import api_client, post_json

SECTIONS = (
    "Summary",
    "Health",
    "Timeline",
    "Deviations",
    "Batches",
    "KPIs against targets",
    "Costs",
    "Decisions",
    "Action items",
)


@pytest.fixture
def november(world):
    with time_machine.travel(NOW, tick=False):
        yield fill_month(world)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


AFTER = NOW.replace(month=12, day=2, hour=9)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def page(user, month: str = MONTH):
    return signed_in(user).get(
        reverse("outcomes:program-report", kwargs={"code": "HLX-101", "month": month})
    )


def test_the_page_holds_every_section_and_the_months_records(world, november):
    with time_machine.travel(NOW, tick=False):
        response = page(world.pm)

    body = response.content.decode()
    assert response.status_code == 200
    for heading in SECTIONS:
        assert f">{heading}</h2>" in body
    for fact in (
        "Engineering run",
        "+4 d",
        november.deviation_reference,
        "24-017",
        "On-time batch release",
        "CO-001",
        "Agreed to move the PPQ run to January.",
        "Send the batch record",
        "css/report.css",
    ):
        assert fact in body, fact
    assert f"{INTERNAL} margin decision." in body  # the CDMO's edition holds internal items
    assert f"{INTERNAL} chase the resin vendor" in body


def test_a_sponsors_page_never_holds_an_internal_item(world, november):
    with time_machine.travel(NOW, tick=False):
        body = page(world.viewer_a).content.decode()

    assert "Agreed to move the PPQ run to January." in body
    assert "Send the batch record" in body
    assert INTERNAL not in body
    assert "Sponsor edition" in body


def test_the_pdf_is_built_from_the_same_template_and_reads_as_the_report(world, november):
    program = world.program
    with time_machine.travel(NOW, tick=False):
        period = parse(PeriodKind.MONTH, MONTH)
        data = reports.report_pdf(world.pm, program, period)

    text = pdf_text(data)
    assert data.startswith(b"%PDF-")
    assert "HLX-101" in text
    assert "November 2026" in text
    for heading in SECTIONS:
        assert heading in text, heading
    assert november.deviation_reference in text
    assert "24-017" in text
    assert "Agreed to move the PPQ run to January." in text
    assert f"{INTERNAL} margin decision." in text
    assert "Page 1 of" in text


def test_a_sponsors_pdf_lacks_the_internal_items(world, november):
    with time_machine.travel(NOW, tick=False):
        period = parse(PeriodKind.MONTH, MONTH)
        text = pdf_text(reports.report_pdf(world.lead_a, world.program, period))

    assert "Send the batch record" in text
    assert "Agreed to move the PPQ run to January." in text
    assert INTERNAL not in text
    assert "Sponsor edition" in text


def build(user, program) -> Job:
    job = reports.report_request(actor=user, program=program, month=MONTH)
    assert reports.report_build(str(job.pk)) is True
    job.refresh_from_db()
    return job


def test_the_same_records_give_the_same_bytes(world, november):
    """Once the month is over, its report is the same file whenever and by whichever
    colleague of the same sponsor it is built."""
    with time_machine.travel(AFTER, tick=False):
        first = build(world.lead_a, world.program)
    with time_machine.travel(AFTER.replace(day=20, hour=17), tick=False):
        second = build(world.viewer_a, world.program)

    assert first.state == second.state == Job.State.DONE
    assert first.sha256 == second.sha256
    assert job_path(first).read_bytes() == job_path(second).read_bytes()
    assert hashlib.sha256(job_path(first).read_bytes()).hexdigest() == first.sha256
    assert first.file_name == "HLX-101-status-report-2026-11.pdf"
    assert first.content_type == "application/pdf"


def test_the_sponsor_and_the_cdmo_get_different_editions(world, november):
    with time_machine.travel(NOW, tick=False):
        sponsor = build(world.lead_a, world.program)
        cdmo = build(world.pm, world.program)

    assert sponsor.audience == "sponsor"
    assert cdmo.audience == "internal"
    assert sponsor.sha256 != cdmo.sha256


def test_asking_for_the_pdf_on_the_page_starts_a_job_and_shows_its_progress(world, november):
    client = signed_in(world.lead_a)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("outcomes:program-report-pdf", kwargs={"code": "HLX-101", "month": MONTH})
        )

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outcomes:job-detail", args=[job.pk])
    assert job.kind == Job.Kind.REPORT
    assert job.requested_by == world.lead_a
    assert (str(job.period_start), str(job.period_end)) == ("2026-11-01", "2026-12-01")
    assert 'hx-trigger="every 1s"' in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-12", "has not started yet"),
        ("2020-01", "before the oldest retained records"),
        ("2026-13", "Give the period as 2026-11"),
        ("Nov-2026", "Give the period as 2026-11"),
    ],
)
def test_a_bad_month_is_refused_with_its_reason_and_nothing_is_created(world, month, message):
    client = signed_in(world.lead_a)
    kwargs = {"code": "HLX-101", "month": month}
    with time_machine.travel(NOW, tick=False):
        shown = client.get(reverse("outcomes:program-report", kwargs=kwargs))
        asked = client.post(reverse("outcomes:program-report-pdf", kwargs=kwargs))
        api = post_json(
            api_client(world, "lead_a"),
            reverse("api-program-reports", kwargs={"code": "HLX-101"}),
            {"month": month},
        )

    assert shown.status_code == 400
    assert message in shown.content.decode()
    assert asked.status_code == 400
    assert message in asked.content.decode()
    assert api.status_code == 400
    assert "month" in api.json()["error"]["fields"]
    assert not Job.objects.exists()


def test_the_api_answers_202_with_the_job_and_where_to_follow_it(world, november):
    client = api_client(world, "lead_a")
    with time_machine.travel(NOW, tick=False):
        response = post_json(
            client, reverse("api-program-reports", kwargs={"code": "HLX-101"}), {"month": MONTH}
        )
        job = Job.objects.get()
        reports.report_build(str(job.pk))

    followed = client.get(response["Location"]).json()
    assert response.status_code == 202
    assert response.json()["state"] == "queued"
    assert response["Location"] == reverse("api-job-detail", args=[job.pk])
    assert followed["state"] == "done"
    assert "Sponsor edition" in pdf_text(
        b"".join(client.get(followed["download_url"]).streaming_content)
    )


def test_another_sponsors_program_has_no_report(world):
    with time_machine.travel(NOW, tick=False):
        shown = page(world.lead_b)
        api = post_json(
            api_client(world, "lead_b"),
            reverse("api-program-reports", kwargs={"code": "HLX-101"}),
            {"month": MONTH},
        )

    assert shown.status_code == 404
    assert api.status_code == 404
    assert not Job.objects.exists()


def test_a_job_whose_requester_lost_the_program_fails_without_a_file(world, november):
    with time_machine.travel(NOW, tick=False):
        job = reports.report_request(actor=world.viewer_a, program=world.program, month=MONTH)
    world.viewer_a.is_active = False
    world.viewer_a.save()
    membership = world.viewer_a.membership
    membership.all_programs = False
    membership.save()
    membership.programs.clear()

    with time_machine.travel(NOW, tick=False):
        reports.report_build(str(job.pk))

    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert "no longer see this program" in job.error
    assert not job_path(job).exists()
