"""The timeline, the cost page and their endpoints cost the same number of queries with 3 and
with 300 milestones, change orders, cost lines, invoices and programs (DESIGN §7)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from portal import clock
from programs.models import (
    ChangeOrder,
    CostLine,
    Invoice,
    Milestone,
    Program,
    Workstream,
)
from tests.programs.builders import budget
from tests.support.api import new_token, token_client
from tests.support.queries import count_queries
from tests.support.world import client_for

HTMX = {"HX-Request": "true"}


def _grow(world, n: int) -> None:
    """`n` more of everything on HLX-101, and `n` more programs (half of them sponsor B's),
    each with a milestone and a change order."""
    today = clock.site_today()
    start = Workstream.objects.filter(program=world.program).count()
    workstreams = Workstream.objects.bulk_create(
        Workstream(
            program=world.program,
            name=f"Stream {start + i}",
            cdmo_owner=world.pm,
            sponsor_owner=world.lead_a,
            position=start + i,
        )
        for i in range(max(n // 60, 1))
    )
    first = Milestone.objects.filter(program=world.program).count()
    milestones = Milestone.objects.bulk_create(
        Milestone(
            program=world.program,
            workstream=workstreams[i % len(workstreams)] if i % 7 else None,
            name=f"Milestone {first + i}",
            baseline_date=today + datetime.timedelta(days=i),
            forecast_date=today + datetime.timedelta(days=i + (i % 12)),
            actual_date=today - datetime.timedelta(days=1) if i % 5 == 0 else None,
        )
        for i in range(n)
    )
    orders = ChangeOrder.objects.filter(program=world.program).count()
    change_orders = ChangeOrder.objects.bulk_create(
        ChangeOrder(
            program=world.program,
            reference=f"CO-{orders + i + 1:03d}",
            title=f"Change {i}",
            rationale="Scope",
            amount=Decimal("1000.00"),
            status="approved" if i % 2 else "proposed",
            decided_at=timezone.now() if i % 2 else None,
            decided_by=world.lead_a if i % 2 else None,
            proposed_by=world.pm,
        )
        for i in range(n)
    )
    CostLine.objects.bulk_create(
        CostLine(
            program=world.program,
            driver=["materials", "labour", "testing", "pass_through"][i % 4],
            description=f"Line {i}",
            amount=Decimal("10.00"),
            milestone=milestones[i],
            change_order=change_orders[i] if i % 3 == 0 else None,
        )
        for i in range(n)
    )
    invoices = Invoice.objects.count()
    Invoice.objects.bulk_create(
        Invoice(
            program=world.program,
            number=f"NB-{invoices + i}",
            milestone=milestones[i],
            driver="labour",
            amount=Decimal("5.00"),
            issued_on=today,
        )
        for i in range(n)
    )
    programs = Program.objects.count()
    others = Program.objects.bulk_create(
        Program(
            sponsor=world.sponsor_a if i % 2 else world.sponsor_b,
            code=f"QB-{programs + i}",
            name=f"Program {i}",
            phase="phase_1",
        )
        for i in range(n)
    )
    Milestone.objects.bulk_create(
        Milestone(program=p, name="Elsewhere", baseline_date=today, forecast_date=today)
        for p in others
    )
    ChangeOrder.objects.bulk_create(
        ChangeOrder(
            program=p,
            reference="CO-001",
            title="Elsewhere",
            rationale="x",
            amount=1,
            proposed_by=world.pm,
        )
        for p in others
    )


PAGES = [
    ("/programs/HLX-101/timeline/", {}),
    ("/programs/HLX-101/timeline/?fragment=chart", HTMX),
    ("/programs/HLX-101/timeline/?fragment=milestones", HTMX),
    ("/programs/HLX-101/timeline/?fragment=workstreams", HTMX),
    ("/programs/HLX-101/milestones/1/", {}),
    ("/programs/HLX-101/costs/", {}),
    ("/programs/HLX-101/costs/?fragment=summary", HTMX),
    ("/programs/HLX-101/costs/?fragment=change-orders", HTMX),
    ("/programs/HLX-101/costs/?fragment=ledger", HTMX),
]


@pytest.mark.parametrize(("url", "headers"), PAGES, ids=[u for u, _ in PAGES])
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_pages_cost_the_same_with_3_and_300_of_everything(world, persona, url, headers):
    budget(world.program)
    client = client_for(world, persona)
    _grow(world, 3)
    url = url.replace("/milestones/1/", f"/milestones/{Milestone.objects.order_by('id')[0].pk}/")
    small = count_queries(client, url, headers=headers, warm_up=True)

    _grow(world, 297)
    large = count_queries(client, url, headers=headers, warm_up=True)

    assert large == small
    assert small <= 20


ENDPOINTS = [
    "/api/v1/programs/HLX-101/milestones/",
    "/api/v1/programs/HLX-101/workstreams/",
    "/api/v1/programs/HLX-101/change-orders/",
    "/api/v1/programs/HLX-101/costs/",
]


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize("persona", ["viewer_a", "pm"])
def test_endpoints_cost_the_same_with_3_and_300_of_everything(world, persona, url):
    budget(world.program)
    client = token_client(new_token(getattr(world, persona)))
    _grow(world, 3)
    small = count_queries(client, url, warm_up=True)

    _grow(world, 297)
    large = count_queries(client, url, warm_up=True)

    assert large == small
    assert small <= 10
