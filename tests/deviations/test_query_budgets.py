"""The list, the queue and a deviation's page cost the same number of queries with 3 and with
300 of everything (DESIGN §7)."""

import datetime

import pytest
from django.utils import timezone

from deviations.models import CAPA, Deviation, RootCause
from programs.models import Program
from tests.deviations.conftest import log_deviation, move
from tests.support.queries import count_queries
from tests.support.world import client_for

LIST_BUDGET = 12
DETAIL_BUDGET = 25
API_DETAIL_BUDGET = 15


def _grow(world, n: int, deviation: Deviation) -> None:
    """n more programs and deviations of sponsor A, bulk-inserted, and n CAPAs and root
    causes on `deviation`."""
    start = Program.objects.count()
    programs = Program.objects.bulk_create(
        Program(sponsor=world.sponsor_a, code=f"BIG-{start + i}", name="Big", phase="phase_1")
        for i in range(n)
    )
    now = timezone.now()
    Deviation.objects.bulk_create(
        Deviation(
            reference=f"DEV-1999-{start + i:04d}",
            program=program,
            title=f"D{i}",
            description="x",
            classification=["minor", "major", "critical"][i % 3],
            occurred_at=now - datetime.timedelta(days=1),
            aware_at=now - datetime.timedelta(days=1),
            notification_due=now - datetime.timedelta(hours=i % 48),
            investigation_due=now + datetime.timedelta(days=30),
            sponsor_notified_at=now,
            sponsor_acknowledged_by=world.lead_a if i % 2 else None,
            sponsor_acknowledged_at=now if i % 2 else None,
            logged_by=world.pm,
        )
        for i, program in enumerate(programs)
    )
    first = CAPA.objects.filter(deviation=deviation).count() + 1
    CAPA.objects.bulk_create(
        CAPA(
            deviation=deviation,
            number=first + i,
            program=world.program,
            kind="corrective",
            description=f"C{i}",
            owner=world.pm,
            due_date=now.date(),
        )
        for i in range(n)
    )
    RootCause.objects.bulk_create(
        RootCause(deviation=deviation, program=world.program, category="method", description="r")
        for _ in range(n)
    )


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/deviations/", LIST_BUDGET),
        ("/deviations/?overdue=1", LIST_BUDGET),
        ("/deviations/queue/", LIST_BUDGET),
        ("/deviations/{ref}/", DETAIL_BUDGET),
    ],
)
@pytest.mark.parametrize("persona", ["lead_a", "staff"])
def test_query_count_does_not_grow_with_the_data(world, persona, url, budget):
    deviation = log_deviation(world)
    url = url.format(ref=deviation.reference)
    client = client_for(world, persona if "queue" not in url else "staff")
    _grow(world, 3, deviation)
    small = count_queries(client, url)
    _grow(world, 297, deviation)
    large = count_queries(client, url)
    assert large == small
    assert small <= budget


@pytest.mark.parametrize(
    ("url", "budget"),
    [("/deviations/{ref}/", DETAIL_BUDGET), ("/api/v1/deviations/{ref}/", API_DETAIL_BUDGET)],
)
def test_a_signed_deviation_costs_the_same_however_much_it_holds(world, url, budget):
    """Whether each signature is current is one read of the signed content, whatever the
    number of CAPA actions, root causes and signatures."""
    deviation = move(world, log_deviation(world), "investigating", "pending_capa", "closed")
    url = url.format(ref=deviation.reference)
    client = client_for(world, "lead_a")
    _grow(world, 3, deviation)
    small = count_queries(client, url, warm_up=True)
    _grow(world, 297, deviation)
    large = count_queries(client, url)
    assert large == small
    assert small <= budget
