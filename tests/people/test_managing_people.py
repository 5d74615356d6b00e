"""An organisation's people page: roles, program grants, end dates, deactivation (issue 11,
items 2 and 6)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from people.services import invitations, members
from portal import clock
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, Membership
from tests.factories import ProgramFactory, member
from tests.support.world import client_for

pytestmark = pytest.mark.clause("21 CFR 11.10(d)")


@pytest.fixture
def second_program(world):
    return ProgramFactory(sponsor=world.sponsor_a, code="HLX-202", name="Helix ADC")


def test_the_people_page_lists_the_organisation_with_role_grants_and_status(world, second_program):
    members.membership_update(
        actor=world.lead_a,
        membership=world.viewer_a.membership,
        role="viewer",
        all_programs=False,
        programs=[second_program],
    )

    page = client_for(world, "lead_a").get("/people/org/helix/").content.decode()

    assert world.viewer_a.email in page
    assert world.lead_a.email in page
    assert "HLX-202" in page
    assert world.lead_b.email not in page


def test_a_lead_changes_role_grants_and_end_date_and_it_is_audited(world, second_program):
    ends = clock.site_today() + datetime.timedelta(days=90)
    response = client_for(world, "lead_a").post(
        f"/people/org/helix/person/{world.viewer_a.membership.pk}/",
        {"role": "lead", "programs": [second_program.pk], "access_ends_on": ends.isoformat()},
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user=world.viewer_a)
    assert membership.role == "lead"
    assert membership.all_programs is False
    assert membership.granted_program_ids() == frozenset({second_program.pk})
    assert membership.access_ends_on == ends
    entry = AuditEntry.objects.filter(model="portal.membership").last()
    assert entry.actor == world.lead_a
    assert entry.changes["role"] == ["viewer", "lead"]
    assert entry.changes["programs"] == [[], ["HLX-202"]]


def test_demoting_the_last_lead_is_refused(world):
    with pytest.raises(Invalid, match="must keep at least one active lead"):
        members.membership_update(
            actor=world.lead_a,
            membership=world.lead_a.membership,
            role="viewer",
            all_programs=True,
        )
    assert Membership.objects.get(user=world.lead_a).role == "lead"


def test_deactivating_the_last_lead_is_refused_on_the_page(world):
    client = client_for(world, "leader")

    response = client.post(
        f"/people/org/helix/person/{world.lead_a.membership.pk}/deactivate/", follow=True
    )

    assert "must keep at least one active lead" in response.content.decode()
    world.lead_a.refresh_from_db()
    assert world.lead_a.is_active


def test_a_second_lead_can_be_demoted(world):
    member(world.sponsor_a, "lead", email="second@helix.example")

    members.membership_update(
        actor=world.lead_a, membership=world.lead_a.membership, role="viewer", all_programs=True
    )

    assert Membership.objects.get(user=world.lead_a).role == "viewer"


def test_deactivation_ends_the_persons_sessions_at_once(world):
    viewer = client_for(world, "viewer_a")
    assert viewer.get("/programs/").status_code == 200
    bystander = client_for(world, "lead_a")

    response = bystander.post(
        f"/people/org/helix/person/{world.viewer_a.membership.pk}/deactivate/",
        {"reason": "Left Helix"},
    )

    assert response.status_code == 302
    world.viewer_a.refresh_from_db()
    assert not world.viewer_a.is_active
    assert viewer.get("/programs/").status_code == 302  # sent to sign in
    assert bystander.get("/programs/").status_code == 200
    entry = AuditEntry.objects.filter(model="portal.user", object_pk=str(world.viewer_a.pk)).last()
    assert entry.reason == "Left Helix"
    assert entry.changes["is_active"] == [True, False]
    assert entry.changes["sessions_ended"] == [None, 1]
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(world.viewer_a.pk)
        for s in Session.objects.all()
    )


def test_reactivation_lets_the_person_back_in(world):
    members.person_deactivate(actor=world.lead_a, user=world.viewer_a)

    members.person_reactivate(actor=world.lead_a, user=world.viewer_a)

    world.viewer_a.refresh_from_db()
    assert world.viewer_a.is_active
    assert Client().login(email=world.viewer_a.email, password="correct-horse-battery")
    with pytest.raises(Conflict):
        members.person_reactivate(actor=world.lead_a, user=world.viewer_a)


def test_an_end_date_in_the_past_is_refused(world):
    with pytest.raises(Invalid, match="cannot be in the past"):
        members.membership_update(
            actor=world.lead_a,
            membership=world.viewer_a.membership,
            role="viewer",
            all_programs=True,
            access_ends_on=clock.site_today() - datetime.timedelta(days=1),
        )


def test_another_sponsors_lead_and_a_viewer_cannot_manage(world):
    for actor in (world.lead_b, world.viewer_a, world.staff):
        with pytest.raises(NotAllowed):
            members.person_deactivate(actor=actor, user=world.viewer_a)
    assert client_for(world, "lead_b").get("/people/org/helix/").status_code == 404
    assert client_for(world, "viewer_a").get("/people/org/helix/").status_code == 403


def test_a_cdmo_administrator_manages_the_cdmo_and_any_sponsor(world):
    members.membership_update(
        actor=world.leader, membership=world.staff.membership, role="qa", all_programs=True
    )
    members.membership_update(
        actor=world.leader, membership=world.viewer_a.membership, role="lead", all_programs=True
    )

    assert Membership.objects.get(user=world.staff).role == "qa"
    assert Membership.objects.get(user=world.viewer_a).role == "lead"
    assert client_for(world, "leader").get("/people/org/borealis/").status_code == 200
    assert client_for(world, "leader").get("/people/org/northbridge/").status_code == 200


def test_pending_invitations_are_listed_and_revocable_from_the_page(world):
    invitation, _ = invitations.invitation_create(
        actor=world.lead_a, organisation=world.sponsor_a, email="new@helix.example", role="viewer"
    )
    client = client_for(world, "lead_a")
    assert "new@helix.example" in client.get("/people/org/helix/").content.decode()

    response = client.post(f"/people/org/helix/invitation/{invitation.pk}/revoke/", follow=True)

    invitation.refresh_from_db()
    assert invitation.revoked_by == world.lead_a
    page = response.content.decode()
    assert "Invitation of new@helix.example revoked" in page
    assert "No pending invitations." in page
