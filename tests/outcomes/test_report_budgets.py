"""The report page, the exports page and the job pages cost the same number of queries with
a small and a large month (DESIGN §7)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from deviations.models import Deviation
from governance.models import ActionItem, Meeting
from outcomes.periods import PeriodKind, current
from programs.models import Batch, ChangeOrder, Milestone
from tests.outcomes.builders import built_job
from tests.support.queries import count_queries
from tests.support.world import client_for


def fill(world, n: int, offset: int) -> None:
    """n of everything the report reads, in the current month (bulk, no services)."""
    program, pm = world.program, world.pm
    now = timezone.now()
    today = timezone.localdate()
    month = current(PeriodKind.MONTH)
    Milestone.objects.bulk_create(
        Milestone(program=program, name=f"M{offset + i}", baseline_date=today, forecast_date=today)
        for i in range(n)
    )
    ActionItem.objects.bulk_create(
        ActionItem(program=program, title=f"A{offset + i}", owner=pm, due_date=today, audience=a)
        for i in range(n)
        for a in ("sponsor", "internal")
    )
    Meeting.objects.bulk_create(
        Meeting(
            program=program,
            title=f"Call {offset + i}",
            starts_at=now,
            status="held",
            decisions="Agreed.",
            decisions_audience="sponsor",
        )
        for i in range(n)
    )
    Batch.objects.bulk_create(
        Batch(
            program=program,
            lot_number=f"L{offset + i}",
            planned_start=month.start,
            planned_release=month.start,
            quantity_committed=Decimal(1),
        )
        for i in range(n)
    )
    ChangeOrder.objects.bulk_create(
        ChangeOrder(
            program=program,
            reference=f"CO-{offset + i:03d}",
            title="Change",
            rationale="Why",
            amount=Decimal(10),
            proposed_by=pm,
        )
        for i in range(n)
    )
    Deviation.objects.bulk_create(
        Deviation(
            reference=f"DEV-2099-{offset + i:04d}",
            program=program,
            title="Deviation",
            description="What",
            classification="minor",
            occurred_at=now,
            aware_at=now,
            notification_due=now + datetime.timedelta(days=1),
            investigation_due=now + datetime.timedelta(days=30),
            logged_by=pm,
        )
        for i in range(n)
    )
    for _ in range(n):
        built_job(world.lead_a, program)
        built_job(world.pm, program)


PAGES = [
    "/programs/HLX-101/reports/{month}/",
    "/programs/HLX-101/exports/",
    "/jobs/",
]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_the_report_and_job_pages_cost_the_same_with_a_large_month(world, persona, url):
    client = client_for(world, persona)
    url = url.format(month=current(PeriodKind.MONTH).key)
    fill(world, 1, 0)
    small = count_queries(client, url, warm_up=True)
    fill(world, 40, 100)
    large = count_queries(client, url, warm_up=True)
    assert large == small
    assert small <= 45
