"""A PM posts an update; the sponsor, with the program already open, sees it arrive without a
reload (issue: Foundation)."""

from playwright.sync_api import Browser, expect

from tests.browser.conftest import sign_in


def test_the_sponsor_sees_the_pms_update_arrive_live(world, browser: Browser, portal_url):
    sponsor = browser.new_context().new_page()
    sign_in(sponsor, portal_url, world.lead_a.email)
    sponsor.goto(f"{portal_url}/programs/HLX-101/")
    expect(sponsor.get_by_role("heading", name="Helix mAb")).to_be_visible()
    sponsor.wait_for_function("document.body.getAttribute('sse-connect') !== null")
    sponsor.evaluate("window.__sameDocument = true")

    pm = browser.new_context().new_page()
    sign_in(pm, portal_url, world.pm.email)
    pm.goto(f"{portal_url}/programs/HLX-101/")
    pm.get_by_label("Title").fill("Engineering run complete")
    pm.get_by_label("Body").fill("Titre and purity within the ranges agreed at kick-off.")
    pm.get_by_label("Significance").select_option("notable")
    pm.get_by_role("button", name="Post update").click()
    expect(pm.get_by_text("Update posted.")).to_be_visible()

    updates = sponsor.locator("#updates")
    # Within a second of the PM seeing the confirmation (the commit has happened by then).
    expect(updates.get_by_role("heading", name="Engineering run complete")).to_be_visible(
        timeout=1000
    )
    expect(sponsor.locator("#feed")).to_contain_text("Notable update: Engineering run complete")
    expect(sponsor.locator("#toasts")).to_contain_text("Engineering run complete")
    assert sponsor.evaluate("window.__sameDocument") is True


def test_another_sponsor_never_sees_it(world, browser: Browser, portal_url):
    other = browser.new_context().new_page()
    sign_in(other, portal_url, world.lead_b.email)
    response = other.goto(f"{portal_url}/programs/HLX-101/")
    assert response.status == 404
    other.goto(f"{portal_url}/programs/")
    expect(other.locator("#program-rows")).not_to_contain_text("HLX-101")
