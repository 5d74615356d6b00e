"""A sponsor lead registers a webhook endpoint in the browser: a private address is refused
inline (HTMX, the form keeps what was typed), a public one is registered and its secret shown
once, and rotating shows a new one."""

from playwright.sync_api import Browser, expect

from integrations.models import WebhookEndpoint
from tests.browser.conftest import sign_in


def test_a_lead_registers_an_endpoint_and_keeps_the_secret(world, browser: Browser, portal_url):
    page = browser.new_context().new_page()
    sign_in(page, portal_url, world.lead_a.email)
    page.goto(f"{portal_url}/settings/webhooks/")

    page.get_by_label("URL").fill("https://169.254.169.254/latest/meta-data/")
    page.get_by_label("Deviation").check()
    page.get_by_role("button", name="Register endpoint").click()
    expect(page.locator("#id_url_error")).to_contain_text("public addresses only")
    expect(page.get_by_label("Deviation")).to_be_checked()

    page.get_by_label("URL").fill("https://93.184.215.14/hooks/portal")
    page.get_by_role("button", name="Register endpoint").click()
    secret = page.locator("pre.secret code")
    expect(secret).to_contain_text("whsec_")
    endpoint = WebhookEndpoint.objects.get()
    first = secret.inner_text()
    assert first == endpoint.secret

    page.get_by_role("link", name="https://93.184.215.14/hooks/portal").click()
    expect(page.locator("pre.secret")).to_have_count(0)
    page.get_by_role("button", name="Rotate the signing secret").click()
    endpoint.refresh_from_db()
    expect(page.locator("pre.secret code")).to_have_text(endpoint.secret)
    assert endpoint.previous_secret == first
