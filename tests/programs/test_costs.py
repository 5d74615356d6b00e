"""Costs: the contract value, cost lines by driver and invoices by milestone; the budget is
derived (contract value plus approved change orders); the sponsor's cost page and API."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from portal.errors import ServiceError
from portal.models import AuditEntry
from programs import services
from programs.models import Budget, CostLine, Event, Invoice
from programs.selectors import cost_by_driver, cost_summary
from tests.api.conftest import _fresh_throttles, new_token, token_client  # noqa: F401
from tests.conftest import client_for
from tests.programs.builders import budget, change_order, day, milestone

HTMX = {"HX-Request": "true"}
COSTS = "/programs/HLX-101/costs/"


@pytest.fixture
def ledger(world):
    """HLX-101 with a budget, change orders in every state, cost lines and invoices."""
    budget(world.program, "4850000.00")
    change_order(world.program, world.pm, reference="CO-001", amount="86500", status="approved")
    change_order(world.program, world.pm, reference="CO-002", amount="142000")
    change_order(world.program, world.pm, reference="CO-003", amount="9000", status="rejected")
    run = milestone(world.program, "Engineering run", baseline=-5, actual=-5)
    CostLine.objects.create(
        program=world.program, driver="materials", description="Resin", amount=Decimal("310000")
    )
    CostLine.objects.create(
        program=world.program, driver="labour", description="Team", amount=Decimal("960000")
    )
    Invoice.objects.create(
        program=world.program,
        number="NB-1",
        milestone=run,
        driver="labour",
        amount=Decimal("420000"),
        issued_on=day(-3),
    )
    return {"run": run}


def test_the_budget_is_the_contract_value_plus_approved_change_orders_only(world, ledger):
    summary = cost_summary(world.viewer_a, world.program)

    assert summary.contract_value == Decimal("4850000.00")
    assert summary.approved_change_orders == Decimal("86500.00")
    assert summary.effective_budget == Decimal("4936500.00")
    assert summary.committed == Decimal("1270000.00")
    assert summary.invoiced == Decimal("420000.00")
    assert summary.remaining == Decimal("3666500.00")
    assert (summary.pending_change_orders, summary.pending_change_orders_value) == (
        1,
        Decimal("142000.00"),
    )
    assert not summary.over_budget


def test_costs_by_driver_list_every_driver(world, ledger):
    rows = {
        row.driver: (row.committed, row.invoiced) for row in cost_by_driver(world.pm, world.program)
    }

    assert rows == {
        "materials": (Decimal("310000"), Decimal("0")),
        "labour": (Decimal("960000"), Decimal("420000")),
        "testing": (Decimal("0"), Decimal("0")),
        "pass_through": (Decimal("0"), Decimal("0")),
    }


def test_another_sponsor_sees_none_of_it(world, ledger):
    summary = cost_summary(world.lead_b, world.program)

    assert (summary.contract_value, summary.committed, summary.pending_change_orders) == (
        None,
        Decimal("0"),
        0,
    )


def test_a_program_without_a_budget_says_so(world):
    summary = cost_summary(world.lead_a, world.program)

    assert not summary.has_budget
    assert summary.effective_budget == Decimal("0")


def test_the_contract_value_is_set_audited_and_in_the_stream(world):
    services.budget_set(actor=world.pm, program=world.program, contract_value=Decimal("2400000"))

    assert Budget.objects.get().contract_value == Decimal("2400000")
    assert AuditEntry.objects.filter(model="programs.budget").exists()
    assert "USD 2,400,000.00" in Event.objects.get(verb="budget.set").summary


def test_changing_a_contract_value_needs_a_reason(world):
    budget(world.program, "1000.00")

    with pytest.raises(ServiceError) as exc:
        services.budget_set(actor=world.pm, program=world.program, contract_value=Decimal("2000"))

    assert (exc.value.message, exc.value.field) == (services.CONTRACT_VALUE_REASON, "reason")
    assert Budget.objects.get().contract_value == Decimal("1000.00")
    services.budget_set(
        actor=world.pm,
        program=world.program,
        contract_value=Decimal("2000"),
        reason="Contract amendment 2 signed",
    )
    assert AuditEntry.objects.get(model="programs.budget", action="update").reason == (
        "Contract amendment 2 signed"
    )


def test_a_contract_value_cannot_be_negative(world):
    with pytest.raises(ServiceError) as exc:
        services.budget_set(actor=world.pm, program=world.program, contract_value=Decimal("-1"))

    assert exc.value.message == services.CONTRACT_VALUE_NEGATIVE


def test_a_cost_line_is_committed_by_driver_and_linked_to_its_change_order(world):
    co = change_order(world.program, world.pm, status="approved")

    line = services.cost_line_add(
        actor=world.pm,
        program=world.program,
        driver="testing",
        description="Stability pulls",
        amount=Decimal("86500"),
        change_order=co,
    )

    assert line.change_order == co
    assert Event.objects.get(verb="cost.committed").audience == "sponsor"


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_a_cost_line_needs_a_positive_amount(world, amount):
    with pytest.raises(ServiceError) as exc:
        services.cost_line_add(
            actor=world.pm,
            program=world.program,
            driver="labour",
            description="Nothing",
            amount=Decimal(amount),
        )

    assert exc.value.message == services.AMOUNT_NOT_POSITIVE
    assert not CostLine.objects.exists()


def test_a_cost_line_cannot_point_at_another_programs_milestone(world):
    other = milestone(world.program_b)

    with pytest.raises(ServiceError) as exc:
        services.cost_line_add(
            actor=world.pm,
            program=world.program,
            driver="labour",
            description="Wrong",
            amount=Decimal(1),
            milestone=other,
        )

    assert exc.value.message == services.MILESTONE_OTHER_PROGRAM


def test_an_invoice_is_recorded_against_its_milestone(world):
    run = milestone(world.program, baseline=-5, actual=-5)

    invoice = services.invoice_add(
        actor=world.pm,
        program=world.program,
        number="NB-INV-1",
        driver="labour",
        amount=Decimal("1000.00"),
        issued_on=day(0),
        milestone=run,
    )

    assert invoice.milestone == run
    assert "for Engineering run" in Event.objects.get(verb="invoice.issued").summary


def test_an_invoice_cannot_be_dated_in_the_future(world):
    with pytest.raises(ServiceError) as exc:
        services.invoice_add(
            actor=world.pm,
            program=world.program,
            number="NB-INV-2",
            driver="labour",
            amount=Decimal(1),
            issued_on=day(1),
        )

    assert (exc.value.message, exc.value.field) == (services.INVOICE_IN_FUTURE, "issued_on")


def test_an_invoice_number_is_used_once(world, ledger):
    with pytest.raises(ServiceError) as exc:
        services.invoice_add(
            actor=world.pm,
            program=world.program,
            number="nb-1",
            driver="labour",
            amount=Decimal(1),
            issued_on=day(0),
        )

    assert exc.value.message == services.INVOICE_NUMBER_TAKEN


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_records_costs(world, persona):
    with pytest.raises(ServiceError):
        services.cost_line_add(
            actor=getattr(world, persona),
            program=world.program,
            driver="labour",
            description="Sneaky",
            amount=Decimal(1),
        )
    assert not CostLine.objects.exists()


# --- The cost page --------------------------------------------------------------------------


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
    assert services.INVOICE_IN_FUTURE in response.content.decode()
    assert not Invoice.objects.exists()


def test_a_contract_change_without_a_reason_answers_422(world, ledger):
    response = client_for(world, "pm").post(
        f"{COSTS}budget/", {"contract_value": "5000000", "notes": "", "reason": ""}, headers=HTMX
    )

    assert response.status_code == 422
    assert services.CONTRACT_VALUE_REASON in response.content.decode()


def test_the_cost_api_answers_in_decimal_strings(world, ledger):
    body = token_client(new_token(world.viewer_a)).get("/api/v1/programs/HLX-101/costs/").json()

    assert body["currency"] == "USD"
    assert body["effective_budget"] == "4936500.00"
    assert body["committed"] == "1270000.00"
    assert body["pending_change_orders"] == 1
    labour = next(row for row in body["by_driver"] if row["driver"] == "labour")
    assert labour == {
        "driver": "labour",
        "label": "Labour",
        "committed": "960000.00",
        "invoiced": "420000.00",
    }
