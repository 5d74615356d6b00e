"""The cost page: budget, committed and invoiced for the sponsor, the team's forms."""

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from programs.models import CostLine, Invoice
from programs.services import costs
from tests.programs.builders import day
from tests.support.world import client_for

HTMX = {"HX-Request": "true"}


COSTS = "/programs/HLX-101/costs/"


def test_the_sponsor_sees_budget_committed_and_invoiced_with_money_formatted(world, ledger):
    response = client_for(world, "viewer_a").get(COSTS)

    html = response.content.decode()
    assert response.status_code == 200
    assert "USD 4,936,500.00" in html
    assert "USD 1,270,000.00" in html
    assert "960,000.00" in html
    chart = ET.fromstring(html[html.index("<svg") : html.index("</svg>") + len("</svg>")])
    assert chart.get("role") == "img"
    assert "CO-002" in html
    assert "Awaiting Helix" in html
    assert "Add a cost line" not in html
    assert "Decide" not in html


def test_the_sponsor_lead_gets_a_decide_button_for_open_change_orders(world, ledger):
    html = client_for(world, "lead_a").get(COSTS).content.decode()

    assert html.count(">Decide</a>") == 1
    assert "/programs/HLX-101/change-orders/CO-002/?fragment=decision" in html


def test_the_program_team_gets_the_forms_with_the_current_contract_value(world, ledger):
    html = client_for(world, "pm").get(COSTS).content.decode()

    assert "Propose a change order" in html
    assert "Record an invoice" in html
    assert 'value="4850000.00"' in html


@pytest.mark.parametrize("fragment", ["summary", "change-orders", "ledger"])
def test_each_live_fragment_is_served_alone(world, ledger, fragment):
    response = client_for(world, "lead_a").get(f"{COSTS}?fragment={fragment}", headers=HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith(f'<section id="{fragment}"')
    assert "costs-changed from:body" in html


def test_the_pm_adds_a_cost_line_through_htmx(world, ledger):
    response = client_for(world, "pm").post(
        f"{COSTS}lines/",
        {
            "driver": "testing",
            "description": "Method transfer",
            "amount": "185000",
            "milestone": "",
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "costs-changed" in response["HX-Trigger"]
    assert CostLine.objects.filter(description="Method transfer").exists()


def test_an_invalid_cost_line_answers_422_and_saves_nothing(world):
    response = client_for(world, "pm").post(
        f"{COSTS}lines/", {"driver": "testing", "description": "", "amount": "-3"}, headers=HTMX
    )

    assert response.status_code == 422
    assert response.content.decode().count('class="field-error"') == 2
    assert not CostLine.objects.exists()


def test_a_future_invoice_answers_422_with_the_rule(world):
    response = client_for(world, "pm").post(
        f"{COSTS}invoices/",
        {"number": "NB-9", "driver": "labour", "amount": "10", "issued_on": day(2).isoformat()},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert costs.INVOICE_IN_FUTURE in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_contract_change_without_a_reason_answers_422(world, ledger):
    response = client_for(world, "pm").post(
        f"{COSTS}budget/", {"contract_value": "5000000", "notes": "", "reason": ""}, headers=HTMX
    )

    assert response.status_code == 422
    assert costs.CONTRACT_VALUE_REASON in response.content.decode()


def _internal_line(world):
    return CostLine.objects.create(
        program=world.program,
        driver="materials",
        description="Supplier quote, not yet agreed",
        amount=Decimal("50000"),
    )


def test_the_sponsor_counts_an_internal_line_in_the_totals_but_never_reads_it(world, ledger):
    _internal_line(world)

    html = client_for(world, "viewer_a").get(COSTS).content.decode()
    ledger_html = (
        client_for(world, "viewer_a").get(f"{COSTS}?fragment=ledger", headers=HTMX).content.decode()
    )

    assert "USD 1,320,000.00" in html
    for page in (html, ledger_html):
        assert "Supplier quote" not in page
        assert "Internal" not in page
        assert "/share/" not in page


def test_the_team_sees_an_internal_line_marked_with_a_share_button(world, ledger):
    line = _internal_line(world)

    html = client_for(world, "pm").get(COSTS).content.decode()

    assert "Supplier quote, not yet agreed" in html
    assert f"/programs/HLX-101/costs/lines/{line.pk}/share/" in html
    assert html.count('<span class="badge internal">Internal</span>') == 1


def test_the_pm_shares_an_internal_line_and_the_sponsor_then_reads_it(world, ledger):
    line = _internal_line(world)

    response = client_for(world, "pm").post(f"{COSTS}lines/{line.pk}/share/", headers=HTMX)

    assert response.status_code == 200
    assert "costs-changed" in response["HX-Trigger"]
    assert costs.COST_LINE_ALREADY_SHARED not in response.content.decode()
    html = client_for(world, "viewer_a").get(COSTS).content.decode()
    assert "Supplier quote, not yet agreed" in html


def test_without_javascript_sharing_redirects_to_the_cost_page(world, ledger):
    line = _internal_line(world)

    response = client_for(world, "pm").post(f"{COSTS}lines/{line.pk}/share/")

    assert response.status_code == 302
    assert response["Location"] == COSTS
    line.refresh_from_db()
    assert line.audience == "sponsor"


@pytest.mark.parametrize(
    ("persona", "status"), [("viewer_a", 404), ("lead_a", 404), ("lead_b", 404)]
)
def test_an_internal_line_is_not_found_for_the_sponsor_nor_another_one(world, persona, status):
    line = _internal_line(world)

    response = client_for(world, persona).post(f"{COSTS}lines/{line.pk}/share/")

    assert response.status_code == status
    line.refresh_from_db()
    assert line.audience == "internal"


def test_the_cost_line_form_preselects_sharing_and_a_post_without_a_choice_stays_internal(
    world, ledger
):
    html = client_for(world, "pm").get(COSTS).content.decode()
    client_for(world, "pm").post(
        f"{COSTS}lines/",
        {"driver": "testing", "description": "No choice", "amount": "10"},
        headers=HTMX,
    )

    assert re.search(r'<input type="radio" name="audience" value="sponsor"[^>]*checked', html)
    assert CostLine.objects.get(description="No choice").audience == "internal"
