"""Rows for the timeline and cost tests, built directly; behaviour under test goes through
the services."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from portal import clock
from portal.models import User
from programs.models import Budget, ChangeOrder, Milestone, Program, Workstream


def day(offset: int) -> datetime.date:
    """Today plus `offset` days on the site's calendar (as the services see it)."""
    return clock.site_today() + datetime.timedelta(days=offset)


def workstream(program: Program, name: str = "Tech transfer", **fields: object) -> Workstream:
    return Workstream.objects.create(program=program, name=name, **fields)


def milestone(
    program: Program,
    name: str = "Engineering run",
    *,
    baseline: int = 30,
    forecast: int | None = None,
    actual: int | None = None,
    workstream: Workstream | None = None,
) -> Milestone:
    """A milestone `baseline` days from today; the forecast defaults to the baseline."""
    return Milestone.objects.create(
        program=program,
        workstream=workstream,
        name=name,
        baseline_date=day(baseline),
        forecast_date=day(baseline if forecast is None else forecast),
        actual_date=None if actual is None else day(actual),
    )


def change_order(
    program: Program,
    proposed_by: User,
    *,
    reference: str = "CO-001",
    amount: str = "10000.00",
    status: str = ChangeOrder.Status.PROPOSED,
) -> ChangeOrder:
    decided = status != ChangeOrder.Status.PROPOSED
    return ChangeOrder.objects.create(
        program=program,
        reference=reference,
        title=f"Change {reference}",
        rationale="Scope moved.",
        amount=Decimal(amount),
        status=status,
        proposed_by=proposed_by,
        decided_at=timezone.now() if decided else None,
    )


def budget(program: Program, contract_value: str = "1000000.00") -> Budget:
    return Budget.objects.create(program=program, contract_value=Decimal(contract_value))
