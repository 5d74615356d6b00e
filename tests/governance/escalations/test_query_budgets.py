"""Leadership's room and the escalation lists cost the same with 3 or 300 escalations."""

import itertools

import pytest
from django.utils import timezone

from governance.escalations.models import Escalation
from programs.models import Program
from tests.governance.escalations.builders import concern
from tests.support.api import new_token, token_client
from tests.support.queries import count_queries, htmx_if_fragment
from tests.support.world import client_for

_codes = itertools.count(2000)


def _grow(world, n: int) -> None:
    """n more programs, each with an open, an acknowledged and a resolved escalation (one a
    sponsor concern), assigned and raised by people."""
    now = timezone.now()
    programs = Program.objects.bulk_create(
        Program(sponsor=world.sponsor_a, code=f"ESC-{next(_codes)}", name="Grown", phase="phase_1")
        for _ in range(n)
    )
    Escalation.objects.bulk_create(
        Escalation(
            program=p,
            subject_kind="concern" if i == 0 else "issue",
            title=f"Grown {i}",
            raised_by=world.lead_a if i == 0 else world.pm,
            raised_at=now,
            audience="sponsor" if i == 0 else "internal",
            level=1 + i,
            level_started_at=now,
            due_at=now,
            assigned_to=world.pm,
            acknowledged_at=now if i else None,
            acknowledged_by=world.leader if i else None,
            resolved_at=now if i == 2 else None,
            resolved_by=world.leader if i == 2 else None,
            resolution="Done" if i == 2 else "",
        )
        for p in programs
        for i in range(3)
    )


PAGES = [
    ("leader", "/leadership/escalations/"),
    ("leader", "/leadership/escalations/?status=all"),
    ("leader", "/leadership/escalations/?fragment=queue&due=24h"),
    ("leader", "/leadership/portfolio/"),
    ("leader", "/leadership/portfolio/?fragment=portfolio"),
    ("lead_a", "/programs/HLX-101/escalations/"),
    ("pm", "/programs/HLX-101/escalations/"),
]
API = [
    ("leader", "/api/v1/escalations/"),
    ("lead_a", "/api/v1/escalations/?status=all"),
]


@pytest.mark.parametrize(("persona", "url"), PAGES)
def test_pages_cost_the_same_with_3_or_300_programs(world, persona, url):
    concern(world)
    client = client_for(world, persona)
    _grow(world, 1)
    small = count_queries(client, url, headers=htmx_if_fragment(url))
    _grow(world, 100)
    large = count_queries(client, url, headers=htmx_if_fragment(url))

    assert large == small
    assert small <= 20


@pytest.mark.parametrize(("persona", "url"), API)
def test_api_lists_cost_the_same_with_3_or_300_escalations(world, persona, url):
    concern(world)
    client = token_client(new_token(getattr(world, persona)))
    _grow(world, 1)
    small = count_queries(client, url, warm_up=True)
    _grow(world, 100)
    large = count_queries(client, url)

    assert large == small
    assert small <= 10
