"""Fixtures shared by the timeline and cost tests."""

from decimal import Decimal

import pytest

from programs.models import CostLine, Invoice
from tests.programs.builders import budget, change_order, day, milestone


@pytest.fixture
def ledger(world):
    """HLX-101 with a budget, change orders in every state, cost lines and invoices."""
    budget(world.program, "4850000.00")
    change_order(world.program, world.pm, reference="CO-001", amount="86500", status="approved")
    change_order(world.program, world.pm, reference="CO-002", amount="142000")
    change_order(world.program, world.pm, reference="CO-003", amount="9000", status="rejected")
    run = milestone(world.program, "Engineering run", baseline=-5, actual=-5)
    CostLine.objects.create(
        program=world.program,
        driver="materials",
        description="Resin",
        amount=Decimal("310000"),
        audience="sponsor",
    )
    CostLine.objects.create(
        program=world.program,
        driver="labour",
        description="Team",
        amount=Decimal("960000"),
        audience="sponsor",
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
