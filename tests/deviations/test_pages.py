"""Deviation pages: the logging form's inline errors,
the sponsor's acknowledgement, lifecycle buttons and the audit trail."""

import datetime
import zoneinfo

from django.utils import dateformat, timezone

from deviations.models import Deviation
from portal.models import Signature
from tests.deviations.conftest import log_deviation, move
from tests.support.world import client_for


def _log_form(**overrides) -> dict[str, str]:
    now = timezone.localtime()
    data = {
        "title": "Matrix",
        "classification": "major",
        "description": "Something happened",
        "occurred_at": (now - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "aware_at": (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(overrides)
    return data


def test_the_logging_form_answers_422_with_inline_errors_and_saves_nothing(world):
    client = client_for(world, "pm")
    data = _log_form(
        aware_at=(timezone.localtime() - datetime.timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M")
    )
    response = client.post(
        "/programs/HLX-101/deviations/new/", data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    assert "Awareness cannot be before the deviation occurred." in response.content.decode()
    assert 'id="log-form"' in response.content.decode()
    assert not Deviation.objects.exists()


def test_a_logged_deviation_redirects_htmx_to_its_page(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/deviations/new/", _log_form(), headers={"HX-Request": "true"}
    )
    deviation = Deviation.objects.get()
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/deviations/{deviation.reference}/"


def test_the_sponsor_sees_the_clock_and_acknowledges_with_htmx(world):
    deviation = log_deviation(world, classification="critical")
    client = client_for(world, "lead_a")
    page = client.get(f"/deviations/{deviation.reference}/").content.decode()
    assert "Window met" in page
    assert "Acknowledge" in page
    response = client.post(
        f"/deviations/{deviation.reference}/acknowledge/", headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Acknowledged by" in response.content.decode()
    again = client.post(
        f"/deviations/{deviation.reference}/acknowledge/", headers={"HX-Request": "true"}
    )
    assert again.status_code == 422


def test_a_missed_window_shows_as_missed(world):
    aware = timezone.now() - datetime.timedelta(hours=80)
    deviation = log_deviation(world, occurred_at=aware, aware_at=aware)
    page = client_for(world, "viewer_a").get(f"/deviations/{deviation.reference}/").content.decode()
    assert "Window missed" in page


def test_a_stale_transition_form_answers_422_and_changes_nothing(world, password):
    deviation = move(world, log_deviation(world), "investigating")
    response = client_for(world, "qa").post(
        f"/deviations/{deviation.reference}/transition/",
        {"to": "cancelled", "expected_version": "1", "reason": "dup", "password": password},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Someone else changed this deviation" in response.content.decode()
    deviation.refresh_from_db()
    assert deviation.status == "investigating"


def test_qa_closes_with_a_signature_and_the_audit_trail_shows_it(world, password):
    deviation = move(world, log_deviation(world), "investigating", "pending_capa")
    client = client_for(world, "qa")
    response = client.post(
        f"/deviations/{deviation.reference}/transition/",
        {
            "to": "closed",
            "expected_version": str(deviation.version),
            "no_capa_rationale": "Isolated event",
            "password": password,
        },
    )
    assert response.status_code == 302
    deviation.refresh_from_db()
    assert deviation.status == "closed"
    trail = client_for(world, "lead_a").get(f"/deviations/{deviation.reference}/audit/")
    body = trail.content.decode()
    assert "Isolated event" in body
    assert "Approved" in body
    csv = client_for(world, "lead_a").get(f"/deviations/{deviation.reference}/audit/?export=csv")
    assert deviation.reference in b"".join(csv.streaming_content).decode()


def test_the_list_filters_and_counts_by_class(world):
    log_deviation(world, classification="critical")
    log_deviation(world, classification="minor")
    client = client_for(world, "lead_a")
    page = client.get("/deviations/?classification=critical").content.decode()
    assert "Critical 1" in page
    assert "Minor 0" in page
    assert client.get("/deviations/", headers={"HX-Request": "true"}).status_code == 200
    assert "No deviations here" in client_for(world, "lead_b").get("/deviations/").content.decode()


def test_the_team_adds_causes_and_capa_and_edits_impact_from_the_page(world):
    deviation = log_deviation(world)
    client = client_for(world, "qa")
    url = f"/deviations/{deviation.reference}/work/"
    htmx = {"HX-Request": "true"}
    response = client.post(
        url + "root-cause/", {"category": "equipment", "description": "Gasket"}, headers=htmx
    )
    assert response.headers["HX-Redirect"] == f"/deviations/{deviation.reference}/"
    client.post(
        url + "capa/",
        {
            "kind": "corrective",
            "description": "Replace gasket",
            "owner": world.pm.pk,
            "due_date": "",
        },
        headers=htmx,
    )
    capa = deviation.capas.get()
    client.post(url + "capa-complete/", {"capa": capa.pk, "effectiveness_check": "OK"})
    capa.refresh_from_db()
    assert capa.status == "done"
    no_reason = client.post(
        url + "impact/",
        {"expected_version": "1", "classification": "critical", "reason": ""},
        headers=htmx,
    )
    assert no_reason.status_code == 422
    assert 'id="work"' in no_reason.content.decode()
    client.post(
        url + "impact/",
        {"expected_version": "1", "classification": "critical", "reason": "Reassessed"},
    )
    deviation.refresh_from_db()
    assert (deviation.classification, deviation.version) == ("critical", 2)
    page = client.get(f"/deviations/{deviation.reference}/").content.decode()
    assert "Gasket" in page
    assert "Replace gasket" in page


def test_qa_approves_an_extension_with_a_signature_from_the_page(world, password):
    deviation = log_deviation(world)
    new_due = (deviation.investigation_due + datetime.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    url = f"/deviations/{deviation.reference}/work/"
    client_for(world, "pm").post(url + "extension/", {"new_due": new_due, "reason": "Lab delay"})
    extension = deviation.extensions.get()
    wrong = client_for(world, "qa").post(
        url + "extension-approve/",
        {"extension": extension.pk, "expected_version": "1", "password": "nope"},
        headers={"HX-Request": "true"},
    )
    assert wrong.status_code == 422
    client_for(world, "qa").post(
        url + "extension-approve/",
        {"extension": extension.pk, "expected_version": "1", "password": password},
    )
    extension.refresh_from_db()
    assert extension.status == "approved"


def test_a_capa_due_after_the_agreements_window_asks_for_a_justification_inline(world):
    deviation = log_deviation(world)
    url = f"/deviations/{deviation.reference}/work/capa/"
    body = {"kind": "preventive", "description": "New housing", "owner": world.pm.pk}
    late = (timezone.localdate() + datetime.timedelta(days=400)).isoformat()
    client = client_for(world, "qa")
    refused = client.post(url, {**body, "due_date": late}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "a later due date needs a justification" in refused.content.decode()
    assert not deviation.capas.exists()
    accepted = client.post(
        url, {**body, "due_date": late, "due_justification": "16-week lead time"}
    )
    assert accepted.status_code == 302
    page = client_for(world, "viewer_a").get(f"/deviations/{deviation.reference}/")
    assert "Due after the agreement's CAPA window: 16-week lead time" in page.content.decode()


def test_the_timeline_shows_the_steps_on_the_deviation_and_its_parts_only(world):
    deviation = log_deviation(world)
    other = log_deviation(world, title="Another one")
    move(world, deviation, "investigating")
    client = client_for(world, "qa")
    client.post(
        f"/deviations/{deviation.reference}/work/root-cause/",
        {"category": "equipment", "description": "Gasket"},
    )
    client.post(
        f"/deviations/{other.reference}/work/root-cause/",
        {"category": "method", "description": "SOP"},
    )
    page = client_for(world, "lead_a").get(f"/deviations/{deviation.reference}/").content.decode()
    timeline = page[page.index('id="timeline-title"') :]
    assert f"{deviation.reference} is now investigating" in timeline
    assert f"Root cause found for {deviation.reference}: Equipment" in timeline
    assert other.reference not in timeline


def test_a_step_on_a_closed_deviation_is_refused_inline_not_forbidden(world):
    closed = move(world, log_deviation(world), "investigating", "pending_capa", "closed")
    response = client_for(world, "qa").post(
        f"/deviations/{closed.reference}/work/root-cause/",
        {"category": "method", "description": "Late"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert f"{closed.reference} is closed and signed" in response.content.decode()


def test_a_closed_deviation_shows_its_lock_and_qa_reopens_it_from_the_page(world, password):
    closed = move(world, log_deviation(world), "investigating", "pending_capa", "closed")
    url = f"/deviations/{closed.reference}/"
    sponsor_page = client_for(world, "lead_a").get(url).content.decode()
    assert "Locked" in sponsor_page
    assert "QA can reopen it with a reason and a new signature" in sponsor_page
    assert "Reopen for investigation" not in sponsor_page
    assert ">Current</span>" in sponsor_page
    qa = client_for(world, "qa")
    assert "Reopen for investigation (signature)" in qa.get(url).content.decode()

    response = qa.post(
        f"{url}transition/",
        {
            "to": "investigating",
            "expected_version": str(closed.version),
            "reason": "Second lot affected",
            "password": password,
        },
    )

    assert response.status_code == 302
    page = client_for(world, "lead_a").get(url).content.decode()
    assert "Superseded: record changed after signing" in page
    assert page.count(">Current</span>") == 1
    assert "Reopened: Second lot affected" in page
    assert "Locked" not in page


def test_the_signatures_show_the_time_in_the_readers_time_zone(world):
    world.lead_a.time_zone = "America/New_York"
    world.lead_a.save(update_fields=["time_zone"])
    closed = move(world, log_deviation(world), "investigating", "pending_capa", "closed")
    signed_at = Signature.objects.get().signed_at
    local = signed_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))

    page = client_for(world, "lead_a").get(f"/deviations/{closed.reference}/").content.decode()

    assert dateformat.format(local, "j M Y, H:i:s T") in page
    assert f"{signed_at:%H:%M:%S} UTC)" in page
