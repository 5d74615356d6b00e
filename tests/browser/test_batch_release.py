"""A batch from plan to signed release in the browser: the PM plans a started lot, QA's wrong
password is refused inline and changes nothing, QA's signed release lands, and the sponsor
sees the lot released, right first time, counted in its on-time release KPI and reachable from
the KPI's figure."""

import datetime

from playwright.sync_api import Browser, expect

from portal import clock
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD


def test_a_batch_planned_by_the_pm_released_by_qa_and_counted_for_the_sponsor(
    world, browser: Browser, portal_url
):
    today = clock.site_today()
    pm = browser.new_context().new_page()
    sign_in(pm, portal_url, world.pm.email)
    pm.goto(f"{portal_url}/programs/HLX-101/batches/")
    pm.get_by_label("Lot number").fill("BR-001")
    pm.get_by_label("Planned start").fill((today - datetime.timedelta(days=10)).isoformat())
    pm.get_by_label("Planned release").fill((today + datetime.timedelta(days=5)).isoformat())
    pm.get_by_label("Quantity committed").fill("25.00")
    pm.get_by_label("Actual start").fill((today - datetime.timedelta(days=10)).isoformat())
    pm.get_by_role("button", name="Plan the batch").click()
    pm.wait_for_url("**/batches/BR-001/")
    expect(pm.locator("#batch-facts")).to_contain_text("Pending")
    expect(pm.locator("#batch-decision")).to_have_count(0)  # QA's step, not the PM's

    qa = browser.new_context().new_page()
    sign_in(qa, portal_url, world.qa.email)
    qa.goto(f"{portal_url}/programs/HLX-101/batches/BR-001/")
    qa.get_by_label("Release", exact=True).check()
    qa.get_by_label("Release or rejection day (site calendar)").fill(today.isoformat())
    qa.get_by_label("Password (electronic signature)").fill("not-my-password")
    qa.get_by_role("button", name="Sign the decision").click()
    expect(qa.locator("#batch-decision [role=alert]").first).to_be_visible()
    expect(qa.locator("#batch-facts")).to_contain_text("Pending")

    qa.get_by_label("Release", exact=True).check()
    qa.get_by_label("Release or rejection day (site calendar)").fill(today.isoformat())
    qa.get_by_label("Password (electronic signature)").fill(PASSWORD)
    qa.get_by_role("button", name="Sign the decision").click()
    expect(qa.locator("#batch-facts")).to_contain_text("Released")
    expect(qa.locator("#batch-signatures")).to_contain_text("Approved")
    expect(qa.locator("#batch-signatures")).to_contain_text("Current")

    sponsor = browser.new_context().new_page()
    sign_in(sponsor, portal_url, world.viewer_a.email)
    sponsor.goto(f"{portal_url}/programs/HLX-101/batches/")
    row = sponsor.locator("#batch-BR-001")
    expect(row).to_contain_text("Released")
    expect(row.locator('td[data-label="Right first time"]')).to_have_text("Yes")
    expect(sponsor.locator("#batch-decision")).to_have_count(0)

    sponsor.goto(f"{portal_url}/programs/HLX-101/kpis/")
    figure = sponsor.locator("#kpi-on_time_release td[data-label='Value'] a")
    expect(figure).to_have_text("100.0")
    figure.click()
    expect(sponsor.locator("#kpi-records")).to_contain_text("BR-001")
