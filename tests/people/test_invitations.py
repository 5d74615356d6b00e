"""Inviting people by email and accepting the invitation (issue 11, item 2)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.test import Client
from django.utils import timezone

from people.models import Invitation
from people.services import common, invitations, members
from portal.errors import Invalid, NotAllowed
from portal.models import AuditEntry, Membership, User
from tests.factories import ProgramFactory, member
from tests.people.conftest import emailed_token
from tests.support.world import client_for

pytestmark = pytest.mark.clause("21 CFR 11.10(d)")

GOOD_PASSWORD = "quiet-lantern-harbour-42"


@pytest.fixture
def second_program(world):
    return ProgramFactory(sponsor=world.sponsor_a, code="HLX-202", name="Helix ADC")


def _invite(world, django_capture_on_commit_callbacks, **fields):
    fields = {"email": "new@helix.example", "role": "viewer", **fields}
    with django_capture_on_commit_callbacks(execute=True):
        invitation, _ = invitations.invitation_create(
            actor=fields.pop("actor", world.lead_a),
            organisation=fields.pop("organisation", world.sponsor_a),
            **fields,
        )
    return invitation


def _accept(client: Client, token: str, **data):
    body = {"display_name": "Nina New", "password": GOOD_PASSWORD, "password_again": GOOD_PASSWORD}
    return client.post(f"/invitation/{token}/", {**body, **data})


def test_a_sponsor_lead_invites_a_colleague_and_the_email_carries_a_single_use_link(
    world, django_capture_on_commit_callbacks, second_program
):
    client = client_for(world, "lead_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/people/org/helix/",
            {"email": "New@Helix.example", "role": "viewer", "programs": [second_program.pk]},
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new@helix.example"
    assert invitation.all_programs is False
    assert list(invitation.programs.all()) == [second_program]
    token = emailed_token("new@helix.example")
    assert invitation.token_hash == Invitation.hash_token(token)
    assert token not in str(Invitation.objects.values().get())
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=7)
    entry = AuditEntry.objects.filter(model="people.invitation").get()
    assert entry.changes["programs"] == [None, ["HLX-202"]]
    assert token not in str(entry.changes)


def test_accepting_creates_the_account_with_its_grants_signs_in_and_lands_home(
    world, django_capture_on_commit_callbacks, second_program
):
    _invite(
        world, django_capture_on_commit_callbacks, all_programs=False, programs=[second_program]
    )
    client = Client()

    response = _accept(client, emailed_token("new@helix.example"))

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="new@helix.example")
    assert user.check_password(GOOD_PASSWORD)
    assert user.display_name == "Nina New"
    assert user.membership.organisation == world.sponsor_a
    assert user.membership.role == Membership.Role.SPONSOR_VIEWER
    assert user.membership.granted_program_ids() == frozenset({second_program.pk})
    assert client.session[SESSION_KEY] == str(user.pk)
    programs = client.get("/programs/").content.decode()
    assert "HLX-202" in programs
    assert "HLX-101" not in programs
    assert Invitation.objects.get().accepted_by == user


def test_an_invitation_used_twice_is_refused_and_audited(world, django_capture_on_commit_callbacks):
    _invite(world, django_capture_on_commit_callbacks)
    token = emailed_token("new@helix.example")
    _accept(Client(), token)

    again = _accept(Client(), token, display_name="Mallory")

    assert again.status_code == 410
    assert invitations.INVITATION_USED in again.content.decode()
    assert User.objects.get(email="new@helix.example").display_name == "Nina New"
    refused = AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).last()
    assert refused.reason == f"Invitation refused: {invitations.INVITATION_USED}"


def test_an_expired_invitation_is_refused(world, django_capture_on_commit_callbacks):
    _invite(world, django_capture_on_commit_callbacks)
    token = emailed_token("new@helix.example")

    with time_machine.travel(timezone.now() + datetime.timedelta(days=7, minutes=1)):
        response = _accept(Client(), token)

    assert response.status_code == 410
    assert invitations.INVITATION_EXPIRED in response.content.decode()
    assert not User.objects.filter(email="new@helix.example").exists()
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGIN_FAILED, reason__contains="expired"
    ).exists()


def test_a_revoked_invitation_is_refused(world, django_capture_on_commit_callbacks):
    invitation = _invite(world, django_capture_on_commit_callbacks)
    token = emailed_token("new@helix.example")
    invitations.invitation_revoke(actor=world.lead_a, invitation=invitation)

    response = Client().get(f"/invitation/{token}/")

    assert response.status_code == 410
    assert invitations.INVITATION_REVOKED in response.content.decode()


def test_resending_replaces_the_link(world, django_capture_on_commit_callbacks):
    invitation = _invite(world, django_capture_on_commit_callbacks)
    old = emailed_token("new@helix.example")
    with django_capture_on_commit_callbacks(execute=True):
        invitations.invitation_resend(actor=world.lead_a, invitation=invitation)
    new = emailed_token("new@helix.example")

    assert new != old
    assert Client().get(f"/invitation/{old}/").status_code == 410
    assert Client().get(f"/invitation/{new}/").status_code == 200


def test_an_unknown_token_is_refused_and_audited(db):
    response = Client().get("/invitation/forged-token/")

    assert response.status_code == 410
    assert invitations.INVITATION_UNKNOWN in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).count() == 1


def test_a_token_whose_program_went_to_another_sponsor_is_refused(
    world, django_capture_on_commit_callbacks, second_program
):
    _invite(
        world, django_capture_on_commit_callbacks, all_programs=False, programs=[second_program]
    )
    second_program.sponsor = world.sponsor_b
    second_program.save()

    response = _accept(Client(), emailed_token("new@helix.example"))

    assert response.status_code == 410
    assert invitations.INVITATION_PROGRAM_MOVED in response.content.decode()
    assert not User.objects.filter(email="new@helix.example").exists()


def test_a_weak_password_is_refused_on_the_form_and_nothing_is_created(
    world, django_capture_on_commit_callbacks
):
    _invite(world, django_capture_on_commit_callbacks)
    token = emailed_token("new@helix.example")

    response = _accept(Client(), token, password="password", password_again="password")

    assert response.status_code == 422
    assert "This password is too common." in response.content.decode()
    assert not User.objects.filter(email="new@helix.example").exists()
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, invitations.EMAIL_MALFORMED),
        ({"email": "someone@gmail.example"}, "Helix accepts people only at helix.example"),
        ({"role": "leadership"}, "You cannot give the role CDMO leadership in Helix."),
        ({"all_programs": False, "programs": []}, common.PROGRAMS_REQUIRED),
        ({"access_ends_on": datetime.date(2000, 1, 1)}, "date"),
    ],
)
def test_bad_invitations_are_refused_with_a_clear_error_and_nothing_changes(world, fields, message):
    world.sponsor_a.email_domains = "helix.example"
    world.sponsor_a.save()
    before = AuditEntry.objects.count()

    with pytest.raises(Invalid) as refused:
        invitations.invitation_create(
            actor=world.lead_a,
            organisation=world.sponsor_a,
            **{"email": "new@helix.example", "role": "viewer", **fields},
        )

    assert message in refused.value.message
    assert not Invitation.objects.exists()
    assert AuditEntry.objects.count() == before
    assert mail.outbox == []


def test_a_program_of_another_sponsor_cannot_be_granted(world):
    with pytest.raises(Invalid, match="Choose only programs of Helix"):
        invitations.invitation_create(
            actor=world.lead_a,
            organisation=world.sponsor_a,
            email="new@helix.example",
            role="viewer",
            all_programs=False,
            programs=[world.program_b],
        )


def test_a_viewer_and_another_sponsors_lead_may_not_invite(world):
    for actor in (world.viewer_a, world.lead_b, world.pm):
        with pytest.raises(NotAllowed):
            invitations.invitation_create(
                actor=actor, organisation=world.sponsor_a, email="x@helix.example", role="viewer"
            )


def test_the_form_shows_the_refusal_inline(world):
    world.sponsor_a.email_domains = "helix.example"
    world.sponsor_a.save()

    response = client_for(world, "lead_a").post(
        "/people/org/helix/",
        {"email": "a@elsewhere.example", "role": "viewer", "all_programs": "on"},
    )

    assert response.status_code == 422
    assert "Helix accepts people only at helix.example" in response.content.decode()


def test_a_cdmo_administrator_invites_cdmo_staff_and_a_sponsors_first_lead(
    world, django_capture_on_commit_callbacks
):
    _invite(
        world,
        django_capture_on_commit_callbacks,
        actor=world.leader,
        organisation=world.cdmo,
        email="qa2@nb.example",
        role="qa",
    )
    _invite(
        world,
        django_capture_on_commit_callbacks,
        actor=world.leader,
        organisation=world.sponsor_b,
        email="second@borealis.example",
        role="lead",
    )

    _accept(Client(), emailed_token("qa2@nb.example"))
    _accept(Client(), emailed_token("second@borealis.example"))

    assert User.objects.get(email="qa2@nb.example").membership.role == "qa"
    assert User.objects.get(email="second@borealis.example").membership.role == "lead"


def test_a_sponsor_lead_may_not_grant_a_cdmo_role(world):
    with pytest.raises(Invalid):
        invitations.invitation_create(
            actor=world.lead_a, organisation=world.sponsor_a, email="x@helix.example", role="qa"
        )


def test_an_account_without_membership_gets_the_membership_instead_of_a_second_account(
    world, django_capture_on_commit_callbacks
):
    former = member(world.sponsor_a, "viewer", email="former@helix.example", display_name="Fay")
    former.membership.delete()
    former.is_active = False
    former.save()
    _invite(world, django_capture_on_commit_callbacks, email="former@helix.example", role="lead")

    _accept(Client(), emailed_token("former@helix.example"), display_name="Fay Former")

    assert User.objects.filter(email="former@helix.example").count() == 1
    former.refresh_from_db()
    assert former.is_active
    assert former.membership.role == "lead"


def test_a_deactivated_member_invited_again_is_reactivated_with_the_new_grants(
    world, django_capture_on_commit_callbacks, second_program
):
    members.person_deactivate(actor=world.lead_a, user=world.viewer_a)
    _invite(
        world,
        django_capture_on_commit_callbacks,
        email=world.viewer_a.email,
        all_programs=False,
        programs=[second_program],
    )

    _accept(Client(), emailed_token(world.viewer_a.email))

    world.viewer_a.refresh_from_db()
    assert world.viewer_a.is_active
    membership = Membership.objects.get(user=world.viewer_a)
    assert membership.granted_program_ids() == frozenset({second_program.pk})
    assert User.objects.filter(email=world.viewer_a.email).count() == 1


def test_an_account_in_another_organisation_is_refused(world):
    with pytest.raises(Invalid, match="already belongs to another organisation"):
        invitations.invitation_create(
            actor=world.leader,
            organisation=world.sponsor_a,
            email=world.lead_b.email,
            role="viewer",
        )


def test_an_account_that_joined_another_organisation_meanwhile_cannot_accept(
    world, django_capture_on_commit_callbacks
):
    _invite(world, django_capture_on_commit_callbacks, email="drifter@helix.example")
    member(world.sponsor_b, "viewer", email="drifter@helix.example")

    response = _accept(Client(), emailed_token("drifter@helix.example"))

    assert response.status_code == 410
    assert "already belongs to another organisation" in response.content.decode()
    assert Invitation.objects.get().accepted_at is None


def test_an_active_member_is_not_invited_again(world):
    with pytest.raises(Invalid, match="already an active member"):
        invitations.invitation_create(
            actor=world.lead_a,
            organisation=world.sponsor_a,
            email=world.viewer_a.email,
            role="lead",
        )
