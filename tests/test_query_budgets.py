"""Pages cost the same number of queries with a small and a large data set (DESIGN §7)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.models import Membership
from programs.models import ProgramMember
from tests.conftest import client_for
from tests.factories import ProgramFactory, UpdateFactory, member


def _grow(world, programs: int, updates_per_program: int) -> None:
    for _ in range(programs):
        program = ProgramFactory(sponsor=world.sponsor_a)
        pm = member(world.cdmo, Membership.Role.PM)
        ProgramMember.objects.create(program=program, user=pm, role="dedicated_pm")
        for _ in range(updates_per_program):
            UpdateFactory(program=program, author=pm)
    for _ in range(updates_per_program):
        UpdateFactory(program=world.program, author=world.pm)
        UpdateFactory(program=world.program, author=world.pm, audience="internal",
                      published_at=None)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


PAGES = ["/programs/", "/programs/HLX-101/", "/programs/HLX-101/?fragment=feed", "/notifications/"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_query_count_does_not_grow_with_the_data(world, persona, url):
    client = client_for(world, persona)
    _grow(world, programs=2, updates_per_program=1)
    small = _queries(client, url)
    _grow(world, programs=40, updates_per_program=3)
    large = _queries(client, url)
    assert large == small
    assert small <= 12
