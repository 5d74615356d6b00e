"""People pages cost the same number of queries with 2 people as with 60 (DESIGN §7): members,
their grants, invitations and review decisions are fetched in bulk."""

from __future__ import annotations

import itertools

import pytest

from people.models import Invitation
from people.services import invitations, reviews
from portal import clock
from portal.models import Membership, Organisation, User
from programs.models import Program
from tests.support.queries import count_queries
from tests.support.world import client_for

_numbers = itertools.count(1)


def _grow(world, people: int) -> None:
    """`people` more Helix people, half restricted to two programs, and as many invitations."""
    programs = Program.objects.bulk_create(
        Program(sponsor=world.sponsor_a, code=f"PB{next(_numbers)}", name="Budget", phase="phase_2")
        for _ in range(2)
    )
    users = User.objects.bulk_create(
        User(email=f"p{next(_numbers)}@helix.example", display_name="Person") for _ in range(people)
    )
    members = Membership.objects.bulk_create(
        Membership(user=u, organisation=world.sponsor_a, role="viewer", all_programs=i % 2 == 0)
        for i, u in enumerate(users)
    )
    through = Membership.programs.through
    through.objects.bulk_create(
        through(membership_id=m.pk, program_id=p.pk)
        for m in members
        if not m.all_programs
        for p in programs
    )
    for n in range(people):
        invitations.invitation_create(
            actor=world.lead_a,
            organisation=world.sponsor_a,
            email=f"new{next(_numbers)}-{n}@helix.example",
            role="viewer",
            all_programs=False,
            programs=programs,
        )
    review = reviews.access_review_open(organisation=world.sponsor_a, quarter=clock.site_today())
    for user in users[: people // 2]:
        reviews.access_review_decide(
            actor=world.lead_a, review=review, user=user, decision="confirmed"
        )


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("lead_a", "/people/org/helix/"),
        ("lead_a", "/people/org/helix/review/"),
        ("leader", "/people/reviews/"),
    ],
)
def test_people_pages_cost_the_same_for_few_and_many(world, persona, url):
    client = client_for(world, persona)
    _grow(world, 1)
    small = count_queries(client, url, warm_up=True)

    _grow(world, 30)
    Organisation.objects.bulk_create(
        Organisation(name=f"Sponsor {n}", slug=f"sponsor-{n}", kind="sponsor") for n in range(20)
    )
    large = count_queries(client, url)

    assert Invitation.objects.count() >= 31
    assert large == small
