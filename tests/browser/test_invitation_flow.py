"""A sponsor lead invites a colleague restricted to one of two programs; the colleague opens
the link from the email, sets a password and sees exactly the program granted."""

import pytest
from playwright.sync_api import Browser, expect

from portal.models import User
from tests.browser.conftest import sign_in
from tests.factories import ProgramFactory
from tests.people.conftest import emailed_token

pytestmark = pytest.mark.clause("21 CFR 11.10(d)")


def test_an_invited_colleague_sees_exactly_the_program_granted(world, browser: Browser, portal_url):
    ProgramFactory(sponsor=world.sponsor_a, code="HLX-202", name="Helix ADC")
    lead = browser.new_context().new_page()
    sign_in(lead, portal_url, world.lead_a.email)
    lead.get_by_role("link", name="People").click()
    lead.get_by_label("Email").fill("colleague@helix.example")
    lead.get_by_label("Role").select_option("viewer")
    lead.get_by_label("Sees all programs").uncheck()
    lead.get_by_label("HLX-202").check()
    lead.get_by_role("button", name="Send invitation").click()
    expect(lead.get_by_text("Invitation sent to colleague@helix.example.")).to_be_visible()

    token = emailed_token("colleague@helix.example")
    colleague = browser.new_context().new_page()
    colleague.goto(f"{portal_url}/invitation/{token}/")
    colleague.get_by_label("Your name").fill("Cora Colleague")
    colleague.locator("#id_password").fill("quiet-lantern-harbour-42")
    colleague.get_by_label("Password again").fill("quiet-lantern-harbour-42")
    colleague.get_by_role("button", name="Create my account").click()

    colleague.wait_for_url(f"{portal_url}/programs/")
    expect(colleague.get_by_text("Welcome to the portal, Cora Colleague.")).to_be_visible()
    expect(colleague.get_by_role("link", name="HLX-202")).to_have_count(1)
    expect(colleague.get_by_text("HLX-101")).to_have_count(0)
    response = colleague.goto(f"{portal_url}/programs/HLX-101/")
    assert response is not None
    assert response.status == 404
    assert User.objects.get(email="colleague@helix.example").membership.role == "viewer"
