"""The tokens and delegations pages cost the same queries with few or many rows (DESIGN §7)."""

import datetime

from portal import clock
from portal.models import Delegation
from portal.services import api_token_create
from tests.factories import member
from tests.support.queries import count_queries
from tests.support.world import client_for


def _tokens(world, n):
    for i in range(n):
        api_token_create(actor=None, user=world.viewer_a, name=f"T{i}", programs=[world.program])


def _delegations(world, n):
    today = clock.site_today()
    for i in range(n):
        colleague = member(world.sponsor_a, "viewer", email=f"c{i}.{n}@helix.example")
        Delegation.objects.create(
            organisation=world.sponsor_a,
            delegator=world.lead_a,
            delegate=colleague,
            starts_on=today + datetime.timedelta(days=10 * i + 100 * n),
            ends_on=today + datetime.timedelta(days=10 * i + 100 * n + 1),
        )


def test_the_tokens_page_costs_the_same_with_many_tokens(world):
    client = client_for(world, "lead_a")
    _tokens(world, 2)
    small = count_queries(client, "/settings/tokens/")

    _tokens(world, 30)

    assert count_queries(client, "/settings/tokens/") == small
    assert small <= 15


def test_the_delegations_page_costs_the_same_with_many_delegations(world):
    client = client_for(world, "lead_a")
    _delegations(world, 2)
    small = count_queries(client, "/settings/delegations/")

    _delegations(world, 30)

    assert count_queries(client, "/settings/delegations/") == small
    assert small <= 15
