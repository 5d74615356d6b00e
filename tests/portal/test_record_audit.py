"""The audit trail of one record: ordered, field by field, signatures in place, exportable."""

import csv
import io

import pytest
from django.db import connection
from django.shortcuts import render
from django.test.utils import CaptureQueriesContext
from django.urls import path

from comms.models import Update
from comms.services.updates import update_post, update_publish
from portal import urls as portal_urls
from portal.models import User
from portal.record_audit import CSV_HEADER, audit_csv_response, audit_trail_for
from portal.signatures import signature_sign, signatures_with_status
from programs.selectors import get_program_for_user
from programs.services.health import program_override_health
from tests.factories import PASSWORD
from tests.support.world import client_for


def _program_trail_view(request, code):
    """What a record's audit page looks like when mounted; here only for the tests."""
    program = get_program_for_user(request.user, code)
    rows = audit_trail_for(program, user=request.user)
    if request.GET.get("format") == "csv":
        return audit_csv_response(rows, f"{program.code}-audit-trail.csv")
    return render(
        request,
        "portal/record_audit.html",
        {
            "record_label": program.code,
            "rows": rows,
            "signatures": signatures_with_status(program),
            "csv_url": "?format=csv",
        },
    )


urlpatterns = [
    path("test-audit/<str:code>/", _program_trail_view),
    *portal_urls.urlpatterns,
]


def _override(world, health, reason):
    program_override_health(actor=world.pm, program=world.program, health=health, reason=reason)
    world.program.refresh_from_db()


def _history(world):
    """Two audited changes of the program and a signature between them."""
    _override(world, "amber", "Resin supply late")
    signature = signature_sign(
        signer=world.staff,
        password=PASSWORD,
        record=world.program,
        meaning="approved",
        program_id=world.program.pk,
    )
    _override(world, "red", "Second supplier failed")
    return signature


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_trail_lists_every_change_oldest_first_with_old_and_new_values(world):
    signature = _history(world)

    rows = audit_trail_for(world.program, user=world.pm)

    assert [row.action for row in rows] == ["update", "sign", "update"]
    first, signed, last = rows
    health = {change.field: (change.old, change.new) for change in first.changes}["health"]
    assert health == ("green", "amber")
    assert first.reason == "Resin supply late"
    assert first.actor_label.startswith("Pat Manager")
    assert ("amber", "red") in [(c.old, c.new) for c in last.changes if c.field == "health"]
    assert signed.signature == signature
    assert rows[0].at <= rows[1].at <= rows[2].at


def test_a_failed_signature_attempt_shows_in_the_cdmos_trail_only(world):
    with pytest.raises(Exception, match="password is not correct"):
        signature_sign(
            signer=world.staff, password="nope", record=world.program, meaning="approved"
        )
    cdmo_rows = audit_trail_for(world.program, user=world.pm)
    sponsor_rows = audit_trail_for(world.program, user=world.lead_a)
    assert [(row.action, row.reason) for row in cdmo_rows] == [("sign_fail", "Wrong password")]
    assert sponsor_rows == []


def test_related_records_are_interleaved_in_time(world):
    _override(world, "amber", "Resin supply late")
    update = update_post(actor=world.pm, program=world.program, title="Resin", body="Late.")
    _override(world, "red", "Second supplier failed")

    rows = audit_trail_for(world.program, user=world.pm, related=[(Update, update.pk)])

    assert [row.model for row in rows] == ["programs.program", "comms.update", "programs.program"]


def test_sponsors_never_see_entries_written_while_a_record_was_internal(world):
    draft = update_post(
        actor=world.pm,
        program=world.program,
        title="Draft: resin",
        body="Internal first.",
        audience="internal",
    )
    update_publish(actor=world.pm, update=draft)
    related = [(Update, draft.pk)]

    cdmo_rows = audit_trail_for(world.program, user=world.pm, related=related)
    sponsor_rows = audit_trail_for(world.program, user=world.lead_a, related=related)

    assert [row.action for row in cdmo_rows] == ["create", "update"]
    assert [row.action for row in sponsor_rows] == ["update"]
    assert ("internal", "sponsor") in [
        (c.old, c.new) for c in sponsor_rows[0].changes if c.field == "audience"
    ]


@pytest.mark.clause("21 CFR 11.10(b)")
@pytest.mark.clause("EU GMP Annex 11 §8.1")
def test_the_csv_has_one_line_per_changed_field_and_includes_signatures(world):
    signature = _history(world)

    lines = _csv(audit_csv_response(audit_trail_for(world.program, user=world.lead_a), "x.csv"))

    assert lines[0] == CSV_HEADER
    signed = [line for line in lines[1:] if line[2] == "Signed"]
    assert {line[9] for line in signed} == {signature.printed_name}
    assert {line[10] for line in signed} == {"Approved"}
    assert {line[12] for line in signed} == {signature.record_version}
    health = [line for line in lines[1:] if line[4] == "health"]
    assert [(line[5], line[6]) for line in health] == [("green", "amber"), ("amber", "red")]
    assert health[0][7] == "Resin supply late"


def test_the_csv_neutralises_spreadsheet_formulas(world):
    _override(world, "amber", '=HYPERLINK("http://evil.example")')
    lines = _csv(audit_csv_response(audit_trail_for(world.program, user=world.pm), "x.csv"))
    assert all(line[7].startswith("'=") for line in lines[1:])


def test_the_csv_is_an_attachment_with_a_safe_file_name(world):
    response = audit_csv_response([], 'HLX-101 "audit".csv')
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="HLX-101audit.csv"'


@pytest.mark.urls("tests.portal.test_record_audit")
def test_the_printable_page_shows_changes_and_signature_manifestations(world):
    signature = _history(world)

    response = client_for(world, "lead_a").get("/test-audit/HLX-101/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Audit trail: HLX-101" in html
    assert "Resin supply late" in html
    assert "Second supplier failed" in html
    assert '<span class="old">amber</span> → <span class="new">red</span>' in html
    assert signature.short_version in html
    assert "Superseded: record changed after signing" in html


@pytest.mark.urls("tests.portal.test_record_audit")
@pytest.mark.parametrize(
    ("persona", "status"),
    [("lead_a", 200), ("viewer_a", 200), ("lead_b", 404), ("pm", 200), ("leader", 200)],
)
def test_another_sponsors_record_trail_is_a_404(world, persona, status):
    _history(world)
    response = client_for(world, persona).get("/test-audit/HLX-101/?format=csv")
    assert response.status_code == status


def _sign_and_change(world, times: int) -> None:
    for number in range(times):
        _override(world, "amber" if number % 2 else "red", f"Change {number}")
        signature_sign(
            signer=world.staff, password=PASSWORD, record=world.program, meaning="reviewed"
        )


def _trail_queries(world) -> int:
    viewer = User.objects.get(pk=world.lead_a.pk)  # nothing cached on the user
    with CaptureQueriesContext(connection) as queries:
        audit_trail_for(world.program, user=viewer)
    return len(queries)


def test_the_trail_costs_the_same_queries_for_a_short_and_a_long_history(world):
    _sign_and_change(world, 2)
    short = _trail_queries(world)
    _sign_and_change(world, 30)
    assert len(audit_trail_for(world.program, user=world.lead_a)) == 64
    assert _trail_queries(world) == short
