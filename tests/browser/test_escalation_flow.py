"""A sponsor's concern reaches leadership live (issue 10): the sponsor raises it from their
program page, leadership's open queue shows it without a reload, leadership acknowledges, and
the sponsor's open page shows the acknowledgement."""

from playwright.sync_api import Browser, expect

from tests.browser.conftest import sign_in


def test_a_sponsor_concern_reaches_leadership_live_and_the_sponsor_sees_it_acknowledged(
    world, browser: Browser, portal_url
):
    leader = browser.new_context().new_page()
    sign_in(leader, portal_url, world.leader.email)
    leader.goto(f"{portal_url}/leadership/escalations/")
    leader.wait_for_function("document.body.getAttribute('sse-connect') !== null")
    expect(leader.locator("#queue")).to_contain_text("Nothing here.")

    sponsor = browser.new_context().new_page()
    sign_in(sponsor, portal_url, world.lead_a.email)
    sponsor.goto(f"{portal_url}/programs/HLX-101/")
    sponsor.get_by_role("link", name="Raise a concern to leadership").click()
    sponsor.wait_for_url("**/programs/HLX-101/escalations/**")
    sponsor.get_by_label("What is the concern?").fill("Fill slot moved three times")
    sponsor.get_by_label("Details").fill("We need a firm date for the board.")
    sponsor.get_by_role("button", name="Raise the concern").click()
    expect(sponsor.locator("#raise")).to_contain_text("with the CDMO's leadership")
    expect(sponsor.locator("#escalations")).to_contain_text("Fill slot moved three times")

    # Live: the queue hears the `escalations` event and fetches itself again.
    expect(leader.locator("#queue")).to_contain_text("Fill slot moved three times", timeout=3000)
    leader.get_by_role("button", name="Acknowledge").click()
    expect(leader.locator("#queue")).not_to_contain_text("Nothing here.")
    expect(leader.locator("#queue .badge").first).to_contain_text("Acknowledged")

    # The sponsor's page, open all along, shows the acknowledgement without a reload.
    expect(sponsor.locator("#escalations")).to_contain_text("Acknowledged by", timeout=3000)
