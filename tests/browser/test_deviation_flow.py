"""The deviation story end to end (issue: Deviations): the PM logs a critical deviation, the
sponsor's already-open program page shows it within a second, the sponsor acknowledges, QA
closes it with a signature, and the audit trail shows all of it."""

import datetime

from django.utils import timezone
from playwright.sync_api import Browser, expect

from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def _local(moment: datetime.datetime) -> str:
    return timezone.localtime(moment, timezone.get_default_timezone()).strftime("%Y-%m-%dT%H:%M")


def test_a_critical_deviation_from_logging_to_signed_closure(world, browser: Browser, portal_url):
    sponsor = browser.new_context().new_page()
    sign_in(sponsor, portal_url, world.lead_a.email)
    sponsor.goto(f"{portal_url}/programs/HLX-101/")
    sponsor.wait_for_function("document.body.getAttribute('sse-connect') !== null")

    pm = browser.new_context().new_page()
    sign_in(pm, portal_url, world.pm.email)
    pm.goto(f"{portal_url}/programs/HLX-101/deviations/new/")
    pm.get_by_label("Title").fill("Bioburden over action limit")
    pm.get_by_label("Classification").select_option("critical")
    pm.get_by_label("Description").fill("In-process sample over the action limit; batch on hold.")
    now = timezone.now()
    pm.get_by_label("Occurred at").fill(_local(now - datetime.timedelta(hours=2)))
    pm.get_by_label("Aware at").fill(_local(now - datetime.timedelta(hours=1)))
    pm.get_by_role("button", name="Log deviation").click()
    pm.wait_for_url("**/deviations/DEV-*/")
    reference = pm.url.rstrip("/").rsplit("/", 1)[-1]

    expect(sponsor.locator("#feed")).to_contain_text(reference, timeout=1000)
    alert = sponsor.locator("#toasts .toast-critical[role=alert]")
    expect(alert).to_contain_text("Bioburden over action limit")

    sponsor.goto(f"{portal_url}/deviations/{reference}/")
    expect(sponsor.get_by_text("Window met")).to_be_visible()
    sponsor.get_by_role("button", name="Acknowledge").click()
    expect(sponsor.locator("#acknowledge")).to_contain_text("Acknowledged by")

    qa = browser.new_context().new_page()
    sign_in(qa, portal_url, world.qa.email)
    qa.goto(f"{portal_url}/deviations/{reference}/")
    for target, then in [("investigating", "pending_capa"), ("pending_capa", "closed")]:
        qa.locator("#id_to").select_option(target)
        qa.get_by_role("button", name="Move").click()
        expect(qa.locator(f'#id_to option[value="{then}"]')).to_have_count(1)
    qa.locator("#id_to").select_option("closed")
    qa.get_by_label("Rationale for closing without CAPA").fill("Contained; no systemic cause.")
    qa.get_by_label("Password (electronic signature)").fill(PASSWORD)
    qa.get_by_role("button", name="Move").click()
    # Closed and locked: the only move left is QA's reopening, which needs a new signature.
    expect(qa.locator('#id_to option[value="investigating"]')).to_have_count(1, timeout=5000)
    expect(qa.locator('#id_to option[value="pending_capa"]')).to_have_count(0)
    expect(qa.get_by_role("heading", name=reference)).to_contain_text("Closed")

    sponsor.goto(f"{portal_url}/deviations/{reference}/audit/")
    trail = sponsor.locator(".audit-trail")
    expect(trail).to_contain_text("sponsor_acknowledged_at")
    expect(trail).to_contain_text("closed")
    expect(sponsor.locator(".signatures")).to_contain_text("Approved")
