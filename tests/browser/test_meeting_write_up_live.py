"""The PM writes up a cadence call with an action item; the sponsor's open dashboard shows it
live (issue: Program governance)."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import Browser, expect

from governance.models import Meeting
from tests.browser.conftest import sign_in


def test_the_sponsor_dashboard_shows_a_new_action_item_live(world, browser: Browser, portal_url):
    meeting = Meeting.objects.create(
        program=world.program,
        title="Weekly cadence call",
        starts_at=timezone.now() - timedelta(hours=2),
        time_zone="Europe/London",
    )
    meeting.attendees.set([world.pm, world.lead_a])

    sponsor = browser.new_context().new_page()
    sign_in(sponsor, portal_url, world.lead_a.email)
    sponsor.goto(f"{portal_url}/programs/HLX-101/")
    expect(sponsor.locator("#overview")).to_contain_text("0 open")
    sponsor.evaluate("window.__sameDocument = true")

    pm = browser.new_context().new_page()
    sign_in(pm, portal_url, world.pm.email)
    pm.goto(f"{portal_url}/programs/HLX-101/meetings/{meeting.pk}/")
    pm.get_by_role("textbox", name="Minutes").fill(
        "Reviewed the engineering run plan; resin lot confirmed."
    )
    pm.get_by_label("Decisions").fill("Proceed with the engineering run on 3 March.")
    row = pm.locator("#action-row-0")
    row.get_by_label("Title").fill("Send the resin certificate of analysis")
    row.get_by_label("Owner").select_option(value=str(world.pm.pk))
    row.get_by_label("Due date").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    pm.get_by_role("button", name="Save the write-up").click()
    expect(pm.get_by_text("Write-up saved.")).to_be_visible()

    expect(sponsor.locator("#overview")).to_contain_text("1 open", timeout=1500)
    expect(sponsor.locator("#feed")).to_contain_text("Send the resin certificate of analysis")
    assert sponsor.evaluate("window.__sameDocument") is True
