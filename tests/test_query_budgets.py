"""Pages cost the same number of queries with a small and a large data set (DESIGN §7)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from comms.models import Comment
from governance.models import ActionItem, Meeting, Risk
from portal.models import Membership
from programs.models import Milestone, ProgramMember
from tests.conftest import client_for
from tests.factories import ProgramFactory, UpdateFactory, member


def fill_program(world, program, pm, n: int) -> None:
    """Give a program n of everything the dashboards and status read."""
    today = timezone.localdate()
    for i in range(n):
        update = UpdateFactory(program=program, author=pm)
        UpdateFactory(program=program, author=pm, audience="internal", published_at=None)
        Milestone.objects.create(
            program=program,
            name=f"M{i}",
            baseline_date=today,
            forecast_date=today + timedelta(days=i),
        )
        Risk.objects.create(
            program=program, title=f"R{i}", likelihood=3, impact=4, owner=pm, review_date=today
        )
        ActionItem.objects.create(
            program=program, title=f"A{i}", owner=pm, due_date=today - timedelta(days=i)
        )
        Meeting.objects.create(
            program=program, title=f"Call {i}", starts_at=timezone.now() + timedelta(days=i - 2)
        )
        Comment.objects.create(
            program=program, update=update, author=world.lead_a, body="?", is_question=True
        )


def _grow(world, programs: int, per_program: int) -> None:
    for _ in range(programs):
        program = ProgramFactory(sponsor=world.sponsor_a)
        pm = member(world.cdmo, Membership.Role.PM)
        ProgramMember.objects.create(program=program, user=pm, role="dedicated_pm")
        ProgramMember.objects.create(program=program, user=world.pm, role="workstream_owner")
        fill_program(world, program, pm, per_program)
    fill_program(world, world.program, world.pm, per_program)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


PAGES = [
    "/programs/",
    "/programs/HLX-101/",
    "/programs/HLX-101/?fragment=feed",
    "/programs/HLX-101/history/",
    "/notifications/",
]
CASES = [(persona, url) for persona in ("lead_a", "pm") for url in PAGES] + [("pm", "/workspace/")]


@pytest.mark.parametrize(("persona", "url"), CASES)
def test_query_count_does_not_grow_with_the_data(world, persona, url):
    client = client_for(world, persona)
    _grow(world, programs=2, per_program=1)
    small = _queries(client, url)
    _grow(world, programs=30, per_program=4)
    large = _queries(client, url)
    assert large == small
    assert small <= 30
