"""CSV and Excel exports of a program's lists: the reader's rows only (tenancy and audience),
formula cells neutralised, reproducible Excel files, large exports as jobs, all audited."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from outcomes import exports
from outcomes.jobs import job_path
from outcomes.models import Job
from portal.access import Audience
from portal.models import AuditEntry
from tests.deviations.conftest import log_deviation
from tests.governance.builders import action_item
from tests.support.api import api_client

INTERNAL = "Quillon"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def export(client: Client, name: str, fmt: str = "csv", code: str = "HLX-101"):
    url = reverse("outcomes:program-export", kwargs={"code": code, "name": name})
    return client.get(url, {"format": fmt})


def content(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content(response).decode())))


def xlsx_rows(data: bytes) -> list[list[object]]:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def items(world):
    action_item(world.program, world.lead_a, title="Send the batch record")
    action_item(world.program, world.pm, title=f"{INTERNAL} margin", audience=Audience.INTERNAL)
    action_item(world.program, world.lead_a, title='=HYPERLINK("http://evil","x")')
    action_item(world.program_b, world.lead_b, title="Borealis action")


def test_a_sponsors_csv_holds_its_shared_rows_only(world, items):
    response = export(signed_in(world.lead_a), "action-items")

    rows = csv_rows(response)
    titles = [row[0] for row in rows[1:]]
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="HLX-101-action-items.csv"' in response["Content-Disposition"]
    assert rows[0] == ["action", "owner", "due", "status", "created (UTC)", "completed (UTC)"]
    assert "Send the batch record" in titles
    assert not any(INTERNAL in title or "Borealis" in title for title in titles)


def test_the_cdmo_export_holds_internal_rows_and_says_which(world, items):
    rows = csv_rows(export(signed_in(world.pm), "action-items"))

    assert rows[0][-1] == "visible to"
    internal = next(row for row in rows if row[0].startswith(INTERNAL))
    assert internal[-1] == "CDMO internal"
    assert not any("Borealis" in row[0] for row in rows)


def test_a_formula_is_text_in_csv_and_excel(world, items):
    client = signed_in(world.lead_a)

    csv_titles = [row[0] for row in csv_rows(export(client, "action-items"))]
    xlsx_titles = [row[0] for row in xlsx_rows(content(export(client, "action-items", "xlsx")))]

    assert '\'=HYPERLINK("http://evil","x")' in csv_titles
    assert '\'=HYPERLINK("http://evil","x")' in xlsx_titles
    assert not any(str(title).startswith("=") for title in csv_titles + xlsx_titles)


def test_an_excel_export_is_the_same_file_when_nothing_changed(world, items):
    client = signed_in(world.lead_a)

    first = export(client, "action-items", "xlsx")
    second = export(client, "action-items", "xlsx")

    assert first.status_code == 200
    assert first["Content-Type"].startswith("application/vnd.openxmlformats")
    assert content(first) == content(second)
    rows = xlsx_rows(content(first))
    assert rows[0][0] == "action"
    assert "Send the batch record" in [row[0] for row in rows]


def test_deviations_export_and_its_audit_entry(world):
    deviation = log_deviation(world, title="Filter integrity test failed")

    rows = csv_rows(export(signed_in(world.viewer_a), "deviations"))

    assert rows[1][:2] == [deviation.reference, "Filter integrity test failed"]
    entry = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).latest("id")
    assert entry.actor == world.viewer_a
    assert entry.changes["export"] == [None, "deviations.csv"]
    assert entry.changes["rows"] == [None, 1]


@pytest.mark.parametrize("name", list(exports.LISTS))
def test_every_list_exports_in_both_formats_for_a_sponsor(world, name):
    client = signed_in(world.lead_a)

    as_csv = export(client, name)
    as_xlsx = export(client, name, "xlsx")

    assert as_csv.status_code == 200
    assert csv_rows(as_csv)[0] == exports.LISTS[name].header(world.lead_a)
    assert as_xlsx.status_code == 200
    assert xlsx_rows(content(as_xlsx))[0] == exports.LISTS[name].header(world.lead_a)


def test_another_sponsors_program_cannot_be_exported(world, items):
    assert export(signed_in(world.lead_b), "action-items").status_code == 404
    api = api_client(world, "lead_b").get(
        reverse("api-program-export", kwargs={"code": "HLX-101", "name": "action-items"})
    )
    assert api.status_code == 404


def test_an_unknown_list_or_format_is_refused_and_nothing_is_recorded(world):
    client = signed_in(world.lead_a)
    api = api_client(world, "lead_a")

    assert export(client, "salaries").status_code == 400
    assert export(client, "risks", "pdf").status_code == 400
    refused = api.get(
        reverse("api-program-export", kwargs={"code": "HLX-101", "name": "risks"}),
        {"format": "pdf"},
    )
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {"format": [exports.FORMAT_UNKNOWN]}
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS).exists()


def test_the_api_exports_a_small_list_at_once(world, items):
    response = api_client(world, "lead_a").get(
        reverse("api-program-export", kwargs={"code": "HLX-101", "name": "action-items"}),
        {"format": "xlsx"},
    )

    assert response.status_code == 200
    assert "Send the batch record" in [row[0] for row in xlsx_rows(content(response))]


def test_a_large_export_is_a_job_with_its_file_for_the_requester(world, items, settings):
    settings.EXPORT_SYNC_LIMIT = 1
    client = signed_in(world.lead_a)

    page = export(client, "action-items")
    job = Job.objects.get()
    api = api_client(world, "lead_a").get(
        reverse("api-program-export", kwargs={"code": "HLX-101", "name": "action-items"}),
        {"format": "xlsx"},
    )
    assert exports.export_build(str(job.pk)) is True
    job.refresh_from_db()

    assert page.status_code == 302
    assert page["Location"] == reverse("outcomes:job-detail", args=[job.pk])
    assert api.status_code == 202
    assert api["Location"].startswith("/api/v1/jobs/")
    assert job.state == Job.State.DONE
    assert job.params == {"list": "action-items", "format": "csv"}
    lines = job_path(job).read_text().splitlines()
    assert lines[0].startswith("action,owner,due")
    assert any("Send the batch record" in line for line in lines)
    assert not any(INTERNAL in line for line in lines)
    download = client.get(reverse("outcomes:job-download", args=[job.pk]))
    assert b"".join(download.streaming_content) == job_path(job).read_bytes()
