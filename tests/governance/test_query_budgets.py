"""Governance lists cost the same number of queries with 3 programs as with 300 (DESIGN §7)."""

import datetime
import itertools

import pytest
from django.utils import timezone

from governance.models import ActionItem, Meeting, Risk
from programs.models import Program, ProgramMember
from tests.support.api import new_token, token_client
from tests.support.queries import count_queries
from tests.support.world import client_for

_codes = itertools.count(1000)


def _grow(world, programs: int, rows_per_program: int) -> None:
    """Programs of sponsor A, each with meetings (with attendees), action items and risks, half
    of them shared with the sponsor; and as many again on HLX-101 itself, so its own pages grow
    too."""
    now = timezone.now()
    today = timezone.localdate()
    new = Program.objects.bulk_create(
        Program(sponsor=world.sponsor_a, code=f"GRW-{next(_codes)}", name="Grown", phase="phase_1")
        for _ in range(programs)
    )
    ProgramMember.objects.bulk_create(
        ProgramMember(program=p, user=world.pm, role="dedicated_pm") for p in new
    )
    targets = [*new, *([world.program] * programs)]
    meetings = Meeting.objects.bulk_create(
        Meeting(
            program=p,
            title=f"Call {n}",
            starts_at=now + datetime.timedelta(days=n - rows_per_program // 2),
            time_zone="Europe/London",
            status="held" if n % 3 == 0 else "scheduled",
        )
        for p in targets
        for n in range(rows_per_program)
    )
    Meeting.attendees.through.objects.bulk_create(
        Meeting.attendees.through(meeting_id=m.pk, user_id=u.pk)
        for m in meetings
        for u in (world.pm, world.lead_a)
    )
    ActionItem.objects.bulk_create(
        ActionItem(
            program=m.program,
            meeting=m,
            title="Follow up",
            owner=world.lead_a,
            due_date=today + datetime.timedelta(days=(i % 9) - 4),
            status="done" if i % 4 == 0 else "open",
            audience="sponsor" if i % 2 else "internal",
        )
        for i, m in enumerate(meetings)
    )
    Risk.objects.bulk_create(
        Risk(
            program=p,
            title="Supply",
            likelihood=1 + n % 5,
            impact=1 + (n * 2) % 5,
            owner=world.pm,
            review_date=today,
            audience="sponsor" if n % 2 else "internal",
        )
        for p in targets
        for n in range(rows_per_program)
    )


PAGES = [
    "/programs/HLX-101/meetings/",
    "/programs/HLX-101/meetings/?fragment=meetings",
    "/programs/HLX-101/actions/?state=open",
    "/programs/HLX-101/actions/?state=all",
    "/programs/HLX-101/risks/",
    "/programs/HLX-101/kickoff/",
]
API = [
    "/api/v1/meetings/",
    "/api/v1/meetings/?program=HLX-101&status=scheduled",
    "/api/v1/action-items/?overdue=true",
    "/api/v1/programs/HLX-101/risks/",
]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_pages_cost_the_same_with_3_or_300_programs(world, persona, url):
    client = client_for(world, persona)
    _grow(world, programs=3, rows_per_program=2)
    small = count_queries(client, url)
    _grow(world, programs=297, rows_per_program=2)
    large = count_queries(client, url)

    assert large == small
    assert small <= 20


@pytest.mark.parametrize("url", API)
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_api_lists_cost_the_same_with_3_or_300_programs(world, persona, url):
    client = token_client(new_token(getattr(world, persona)))
    client.get("/api/v1/programs/")  # the token's first use records itself once a minute
    _grow(world, programs=3, rows_per_program=2)
    small = count_queries(client, url)
    _grow(world, programs=297, rows_per_program=2)
    large = count_queries(client, url)

    assert large == small
    assert small <= 10
