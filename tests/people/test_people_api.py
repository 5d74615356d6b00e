"""The people API: the caller's organisation's people and invitations."""

from __future__ import annotations

import pytest
from django.core import mail

from people.models import Invitation
from tests.factories import ProgramFactory
from tests.support.api import post_json


@pytest.fixture
def second_program(world):
    return ProgramFactory(sponsor=world.sponsor_a, code="HLX-202", name="Helix ADC")


def test_a_lead_lists_their_people_with_grants(world, api_as):
    people = api_as(world.lead_a).get("/api/v1/people/").json()["results"]

    emails = {p["email"] for p in people}
    assert emails == {world.lead_a.email, world.viewer_a.email}
    assert all(p["programs"] == [] and p["all_programs"] for p in people)


def test_a_lead_invites_over_the_api_restricted_to_one_program(
    world, api_as, second_program, django_capture_on_commit_callbacks
):
    client = api_as(world.lead_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            client,
            "/api/v1/people/invitations/",
            {
                "email": "api@helix.example",
                "role": "viewer",
                "all_programs": False,
                "programs": ["HLX-202"],
            },
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["programs"] == ["HLX-202"]
    assert body["status"] == "pending"
    assert "token" not in str(body).lower()
    assert [m.to for m in mail.outbox] == [["api@helix.example"]]
    listed = client.get("/api/v1/people/invitations/").json()["results"]
    assert [i["email"] for i in listed] == ["api@helix.example"]


def test_another_sponsors_program_code_is_a_400_naming_programs(world, api_as):
    response = post_json(
        api_as(world.lead_a),
        "/api/v1/people/invitations/",
        {
            "email": "api@helix.example",
            "role": "viewer",
            "all_programs": False,
            "programs": ["BOR-017"],
        },
    )

    assert response.status_code == 400
    assert "programs" in response.json()["error"]["fields"]
    assert not Invitation.objects.exists()


def test_a_role_the_lead_may_not_give_is_a_400_naming_role(world, api_as):
    response = post_json(
        api_as(world.lead_a),
        "/api/v1/people/invitations/",
        {"email": "api@helix.example", "role": "leadership"},
    )

    assert response.status_code == 400
    assert "role" in response.json()["error"]["fields"]


def test_revoking_twice_is_a_409(world, api_as):
    from people.services.invitations import invitation_create

    invitation, _ = invitation_create(
        actor=world.lead_a, organisation=world.sponsor_a, email="x@helix.example", role="viewer"
    )
    client = api_as(world.lead_a)
    url = f"/api/v1/people/invitations/{invitation.pk}/revoke/"

    assert post_json(client, url, {}).status_code == 200
    assert post_json(client, url, {}).status_code == 409
