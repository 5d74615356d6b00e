"""The program history: complete, filterable, exportable, and never leaking internal items."""

import csv
import io

import pytest

from comms.services.conversations import comment_post
from comms.services.updates import update_post
from portal.models import AuditEntry
from tests.deviations.conftest import log_deviation
from tests.support.world import client_for


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def _post(world, title, audience="sponsor"):
    return update_post(
        actor=world.pm, program=world.program, title=title, body="b", audience=audience
    )


def test_the_history_lists_every_visible_event_newest_first(world):
    _post(world, "First")
    _post(world, "Second")
    body = client_for(world, "lead_a").get("/programs/HLX-101/history/").content.decode()
    assert body.index("Second") < body.index("First")


def test_filters_narrow_by_kind_and_text(world):
    _post(world, "Resin delay")
    _post(world, "Fill done")
    response = client_for(world, "lead_a").get(
        "/programs/HLX-101/history/", {"kind": "update", "q": "resin"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "Resin delay" in body
    assert "Fill done" not in body


def test_dates_in_the_wrong_order_are_a_clear_error(world):
    response = client_for(world, "lead_a").get(
        "/programs/HLX-101/history/", {"since": "2026-05-02", "until": "2026-05-01"}
    )
    assert response.status_code == 422
    assert "must be on or after" in response.content.decode()


@pytest.mark.clause("21 CFR 11.10(b)")
@pytest.mark.clause("EU GMP Annex 11 §8.1")
def test_the_sponsor_export_has_no_internal_items_and_is_audited(world):
    _post(world, "Shared news")
    _post(world, "Internal musing", audience="internal")
    response = client_for(world, "lead_a").get("/programs/HLX-101/history/", {"export": "csv"})
    rows = _csv(response)
    assert rows[0][0] == "time (UTC)"
    text = "\n".join(",".join(row) for row in rows)
    assert "Shared news" in text
    assert "Internal musing" not in text
    assert response["Content-Disposition"].startswith('attachment; filename="HLX-101-history-')
    assert AuditEntry.objects.filter(action="access", actor=world.lead_a).exists()


def test_the_cdmo_export_includes_internal_items(world):
    _post(world, "Internal musing", audience="internal")
    rows = _csv(client_for(world, "pm").get("/programs/HLX-101/history/", {"export": "csv"}))
    assert any("Internal musing" in row[2] and row[4] == "CDMO internal" for row in rows[1:])


def test_a_pm_handover_reads_continuously(world):
    from portal.models import Membership
    from programs.models import ProgramMember
    from programs.services.members import program_member_assign
    from tests.factories import member

    successor = member(world.cdmo, Membership.Role.PM, display_name="Sam Successor")
    program_member_assign(
        actor=world.leader,
        program=world.program,
        user=successor,
        role=ProgramMember.Role.DEDICATED_PM,
    )
    body = client_for(world, "lead_a").get("/programs/HLX-101/history/").content.decode()
    assert "Dedicated PM handed over from Pat Manager to Sam Successor" in body


def test_the_history_of_one_deviation_includes_its_conversation(world):
    deviation = log_deviation(world)
    other = log_deviation(world, title="Another one")
    comment_post(
        actor=world.lead_a, target=deviation, body="Is L-2041 releasable?", is_question=True
    )
    comment_post(actor=world.lead_a, target=other, body="And this one?", is_question=True)
    _post(world, "Unrelated update")

    response = client_for(world, "lead_a").get(
        "/programs/HLX-101/history/", {"deviation": deviation.reference}
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert f"deviation {deviation.reference}" in body
    assert "Is L-2041 releasable?" in body
    assert "And this one?" not in body
    assert "Unrelated update" not in body
    assert other.reference not in body


def test_the_export_neutralises_spreadsheet_formulas(world):
    world.pm.display_name = '=HYPERLINK("https://evil.example")'
    world.pm.save(update_fields=["display_name"])
    _post(world, "Resin delay")

    rows = _csv(client_for(world, "lead_a").get("/programs/HLX-101/history/", {"export": "csv"}))

    who = [row[3] for row in rows[1:]]
    assert "'" + world.pm.display_name in who, who
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
