"""Every edit in the admin site is audited: each editable admin is driven through its real
add or change form, and the audit trail holds who, what (field by field, before and after),
the request id and, for records under a program, the program's chain. The rest is read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from deviations.admin import QualityAgreementAdmin
from deviations.models import QualityAgreement
from portal.admin import (
    ADMIN_REASON,
    NOT_RECORDED,
    AuditedAdmin,
    GroupAdmin,
    OrganisationAdmin,
    ReadOnlyAdmin,
    UserAdmin,
)
from portal.errors import Invalid
from portal.models import AuditEntry, Membership, Organisation, User
from programs.admin import ProgramAdmin, ProgramMemberAdmin
from programs.models import Event, Program, ProgramMember
from programs.services.members import TENURE_ENDED, program_member_update
from tests.factories import member
from tests.support.admin import admin_url, form_data, post_form, superuser_client

# Each editable admin and the test below that drives its form.
EDITABLE = {
    OrganisationAdmin: "test_an_organisation_renamed_in_the_admin_is_audited_in_the_global_chain",
    UserAdmin: "test_moving_a_sponsor_viewer_into_cdmo_leadership_in_the_admin_is_audited",
    GroupAdmin: "test_a_permission_group_added_changed_and_deleted_in_the_admin_is_audited",
    ProgramAdmin: "test_a_program_changed_in_the_admin_goes_through_the_change_primitive",
    ProgramMemberAdmin: "test_a_new_dedicated_pm_in_the_admin_is_the_same_handover_as_anywhere",
    QualityAgreementAdmin: "test_a_quality_agreement_changed_in_the_admin_joins_its_programs_chain",
}


@pytest.fixture
def client(world):
    return superuser_client()


def entries(model: str, **filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(model=model, **filters).order_by("id"))


def assert_by_the_admin(entry: AuditEntry, response) -> None:
    assert entry.actor is not None
    assert entry.actor.email == "root@nb.example"
    assert entry.reason == ADMIN_REASON
    assert entry.request_id == response["X-Request-ID"]


def test_every_admin_is_read_only_or_audited_and_each_audited_one_has_its_test():
    admins = {type(model_admin) for model_admin in admin.site._registry.values()}
    audited = {cls for cls in admins if issubclass(cls, AuditedAdmin)}
    unaccounted = {cls for cls in admins if not issubclass(cls, AuditedAdmin | ReadOnlyAdmin)}

    assert unaccounted == set()
    assert audited == set(EDITABLE)
    assert all(name in globals() for name in EDITABLE.values())


def test_an_organisation_renamed_in_the_admin_is_audited_in_the_global_chain(client, world):
    response = post_form(
        client, admin_url(Organisation, "change", world.sponsor_a.pk), name="Helix Bio"
    )

    (entry,) = entries("portal.organisation", action="update")
    assert entry.changes == {"name": ["Helix", "Helix Bio"]}
    assert entry.program_id is None
    assert_by_the_admin(entry, response)


def test_an_organisation_added_in_the_admin_is_audited(client, world):
    post_form(
        client, admin_url(Organisation, "add"), name="Corvid Bio", slug="corvid", kind="sponsor"
    )

    (entry,) = entries("portal.organisation", action="create")
    assert entry.changes["name"] == [None, "Corvid Bio"]
    assert entry.changes["kind"] == [None, "sponsor"]


def test_moving_a_sponsor_viewer_into_cdmo_leadership_in_the_admin_is_audited(client, world):
    viewer = world.viewer_a
    membership = Membership.objects.get(user=viewer)
    group = Group.objects.create(name="Auditors")

    response = post_form(
        client,
        admin_url(User, "change", viewer.pk),
        is_staff="on",
        groups=[str(group.pk)],
        **{"membership-0-organisation": str(world.cdmo.pk), "membership-0-role": "leadership"},
    )

    (moved,) = entries("portal.membership", action="update")
    assert moved.object_pk == str(membership.pk)
    assert moved.changes == {
        "organisation_id": [world.sponsor_a.pk, world.cdmo.pk],
        "role": ["viewer", "leadership"],
    }
    assert moved.program_id is None
    assert_by_the_admin(moved, response)
    flags, groups = entries("portal.user", action="update", object_pk=str(viewer.pk))
    assert flags.changes == {"is_staff": [False, True]}
    assert groups.changes == {"groups": [[], [group.pk]]}
    assert_by_the_admin(flags, response)


def test_a_sponsors_member_is_refused_a_cdmo_role_and_nothing_is_written(client, world):
    url = admin_url(User, "change", world.viewer_a.pk)
    data = {**form_data(client.get(url)), "membership-0-role": "leadership"}

    response = client.post(url, data)

    assert response.status_code == 200
    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.errors[0]["role"] == [
        "CDMO leadership is not a role in a Sponsor organisation: choose one of Sponsor viewer, "
        "Sponsor lead, or move the person to another organisation."
    ]
    assert Membership.objects.get(user=world.viewer_a).role == "viewer"
    assert not AuditEntry.objects.filter(action="update").exists()


def test_a_user_deactivated_and_made_superuser_in_the_admin_is_audited(client, world):
    post_form(
        client, admin_url(User, "change", world.lead_a.pk), is_active=False, is_superuser="on"
    )

    (entry,) = entries("portal.user", action="update", object_pk=str(world.lead_a.pk))
    assert entry.changes == {"is_active": [True, False], "is_superuser": [False, True]}


def test_a_user_added_in_the_admin_is_audited_without_the_password_hash(client, world):
    post_form(
        client,
        admin_url(User, "add"),
        email="new@helix.example",
        display_name="New Person",
        password1="a-Strong-passphrase-42",
        password2="a-Strong-passphrase-42",
    )

    user = User.objects.get(email="new@helix.example")
    (entry,) = entries("portal.user", action="create", object_pk=str(user.pk))
    assert entry.changes["email"] == [None, "new@helix.example"]
    assert entry.changes["password"] == [None, NOT_RECORDED]
    assert user.password not in str(entry.changes)


def test_a_password_set_in_the_admin_is_an_authentication_event(client, world):
    response = post_form(
        client,
        reverse("admin:auth_user_password_change", args=[world.lead_a.pk]),
        password1="Another-passphrase-42",
        password2="Another-passphrase-42",
    )

    (entry,) = entries("portal.user", action="password")
    assert entry.object_pk == str(world.lead_a.pk)
    assert entry.actor is not None
    assert entry.actor.email == "root@nb.example"
    assert entry.reason == "Password set by an administrator."
    assert entry.request_id == response["X-Request-ID"]
    world.lead_a.refresh_from_db()
    assert world.lead_a.password not in str(entry.changes)


def test_a_password_form_sent_back_invalid_writes_nothing(client, world):
    url = reverse("admin:auth_user_password_change", args=[world.lead_a.pk])
    response = client.post(url, {"password1": "one-passphrase-42", "password2": "another-one"})

    assert response.status_code == 200
    assert entries("portal.user", action="password") == []


def test_a_permission_group_added_changed_and_deleted_in_the_admin_is_audited(client, world):
    add_user, change_user = (
        Permission.objects.get(codename=codename) for codename in ("add_user", "change_user")
    )
    post_form(client, admin_url(Group, "add"), name="Helpdesk", permissions=[str(add_user.pk)])
    group = Group.objects.get(name="Helpdesk")
    post_form(
        client,
        admin_url(Group, "change", group.pk),
        permissions=[str(add_user.pk), str(change_user.pk)],
    )
    response = client.post(admin_url(Group, "delete", group.pk), {"post": "yes"})

    assert response.status_code == 302
    created, linked, relinked, deleted = entries("auth.group", object_pk=str(group.pk))
    assert (created.action, created.changes["name"]) == ("create", [None, "Helpdesk"])
    assert linked.changes == {"permissions": [[], [add_user.pk]]}
    assert relinked.changes == {
        "permissions": [[add_user.pk], sorted([add_user.pk, change_user.pk])]
    }
    assert deleted.action == "delete"
    assert deleted.changes["name"] == ["Helpdesk", None]
    assert deleted.changes["permissions"] == [sorted([add_user.pk, change_user.pk]), None]
    assert_by_the_admin(deleted, response)
    assert not Group.objects.filter(pk=group.pk).exists()


def test_a_program_changed_in_the_admin_goes_through_the_change_primitive(client, world):
    version = world.program.version

    response = post_form(
        client, admin_url(Program, "change", world.program.pk), phase="phase_3", status="on_hold"
    )

    (entry,) = entries("programs.program", action="update")
    assert entry.changes == {"phase": ["phase_2", "phase_3"], "status": ["active", "on_hold"]}
    assert entry.program_id == world.program.pk
    assert_by_the_admin(entry, response)
    event = Event.objects.get(verb="program.updated")
    assert event.summary == "Program HLX-101 set-up changed: phase, status"
    assert event.audience == "internal"
    assert Program.objects.get(pk=world.program.pk).version == version + 1


def test_a_programs_sponsor_cannot_be_changed_in_the_admin(client, world):
    post_form(
        client,
        admin_url(Program, "change", world.program.pk),
        name="Helix mAb",
        sponsor=str(world.sponsor_b.pk),
    )

    assert Program.objects.get(pk=world.program.pk).sponsor == world.sponsor_a
    assert entries("programs.program", action="update") == []


def test_a_program_added_in_the_admin_is_created_by_its_service(client, world):
    post_form(
        client,
        admin_url(Program, "add"),
        sponsor=str(world.sponsor_a.pk),
        code="HLX-202",
        name="Helix ADC",
        phase="preclinical",
    )

    program = Program.objects.get(code="HLX-202")
    (entry,) = entries("programs.program", action="create", object_pk=str(program.pk))
    assert entry.program_id == program.pk
    assert entry.reason == ADMIN_REASON
    assert Event.objects.filter(program=program, verb="program.created").exists()


def test_a_new_dedicated_pm_in_the_admin_is_the_same_handover_as_anywhere(client, world):
    successor = member(world.cdmo, Membership.Role.PM, display_name="Sam Successor")

    response = post_form(
        client,
        admin_url(ProgramMember, "add"),
        program=str(world.program.pk),
        user=str(successor.pk),
        role="dedicated_pm",
    )

    handover = Event.objects.get(verb="member.handover")
    assert handover.summary == "Dedicated PM handed over from Pat Manager to Sam Successor"
    ended, created = entries("programs.programmember")
    assert ended.changes["ended_at"][0] is None
    assert created.action == "create"
    assert created.changes["user_id"] == [None, successor.pk]
    assert {ended.program_id, created.program_id} == {world.program.pk}
    assert_by_the_admin(created, response)


def test_an_ended_tenure_stays_ended_in_the_admin_and_in_its_service(client, world):
    tenure = ProgramMember.objects.get(program=world.program, user=world.pm)
    tenure = program_member_update(actor=None, member=tenure, rank="", ended_at=tenure.started_at)
    url = admin_url(ProgramMember, "change", tenure.pk)

    assert "ended_at" in client.get(url).context["adminform"].readonly_fields
    with pytest.raises(Invalid) as refused:
        program_member_update(actor=None, member=tenure, rank="", ended_at=None)
    assert refused.value.message == TENURE_ENDED
    assert not ProgramMember.objects.active().filter(program=world.program, user=world.pm).exists()


def test_a_quality_agreement_changed_in_the_admin_joins_its_programs_chain(client, world):
    agreement = QualityAgreement.objects.create(sponsor=world.sponsor_a, program=world.program)
    version = Program.objects.get(pk=world.program.pk).version

    response = post_form(
        client, admin_url(QualityAgreement, "change", agreement.pk), critical_notify="12"
    )

    # A change is the next version (never an edit in place), in the program's chain.
    (entry,) = entries("deviations.qualityagreement", action="create")
    assert entry.changes["critical_notify"] == [None, 12]
    assert entry.changes["version"] == [None, 2]
    assert entry.program_id == world.program.pk
    agreement.refresh_from_db()
    assert agreement.critical_notify == 24
    assert_by_the_admin(entry, response)
    assert Program.objects.get(pk=world.program.pk).version == version + 1


def test_a_sponsors_default_quality_agreement_is_audited_in_the_global_chain(client, world):
    post_form(
        client,
        admin_url(QualityAgreement, "add"),
        sponsor=str(world.sponsor_a.pk),
        minor_notify="5",
    )

    (entry,) = entries("deviations.qualityagreement", action="create")
    assert entry.program_id is None
    assert entry.changes["minor_notify"] == [None, 5]
