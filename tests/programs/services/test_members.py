"""The people of a program: tenures, handovers of the dedicated PM, whichever screen."""

import datetime

from django.test import Client
from django.utils import timezone

from portal.models import AuditEntry, Membership
from programs.models import Event, Program, ProgramMember
from programs.services.members import program_member_assign
from tests.factories import UserFactory, member


def test_a_new_dedicated_pm_ends_the_previous_tenure(world):
    successor = member(world.cdmo, Membership.Role.PM, display_name="Sam Successor")
    program_member_assign(
        actor=world.leader,
        program=world.program,
        user=successor,
        role=ProgramMember.Role.DEDICATED_PM,
    )
    pms = ProgramMember.objects.filter(program=world.program, role="dedicated_pm")
    assert pms.filter(ended_at__isnull=True).get().user == successor
    assert pms.get(user=world.pm).ended_at is not None
    handover = Event.objects.get(verb="member.handover")
    assert handover.summary == "Dedicated PM handed over from Pat Manager to Sam Successor"


def test_assigning_the_same_role_twice_is_a_no_op(world):
    program_member_assign(
        actor=world.leader,
        program=world.program,
        user=world.pm,
        role=ProgramMember.Role.DEDICATED_PM,
    )
    assert ProgramMember.objects.filter(program=world.program, role="dedicated_pm").count() == 1


def _admin(world):
    admin = UserFactory(email="admin@nb.example", is_superuser=True, is_staff=True)
    client = Client()
    client.force_login(admin)
    return client


def test_a_dedicated_pm_assigned_in_the_admin_is_a_handover_in_the_stream(world):
    successor = member(world.cdmo, Membership.Role.PM, display_name="Sam Successor")

    response = _admin(world).post(
        "/admin/programs/programmember/add/",
        {"program": world.program.pk, "user": successor.pk, "role": "dedicated_pm", "rank": ""},
    )

    assert response.status_code == 302, response.content[:500]
    handover = Event.objects.get(verb="member.handover")
    assert handover.summary == "Dedicated PM handed over from Pat Manager to Sam Successor"
    assert handover.audience == "sponsor"
    active = ProgramMember.objects.active().get(program=world.program, role="dedicated_pm")
    assert active.user == successor
    assert AuditEntry.objects.filter(model="programs.programmember", action="create").exists()


def test_a_tenure_ended_in_the_admin_is_audited_and_told_to_the_stream(world):
    tenure = ProgramMember.objects.active().get(program=world.program, user=world.pm)
    ProgramMember.objects.filter(pk=tenure.pk).update(
        started_at=timezone.now() - datetime.timedelta(days=90)
    )
    ended = timezone.now()

    response = _admin(world).post(
        f"/admin/programs/programmember/{tenure.pk}/change/",
        {
            "rank": "",
            "ended_at_0": ended.strftime("%Y-%m-%d"),
            "ended_at_1": ended.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == 302, response.content[:500]
    tenure.refresh_from_db()
    assert tenure.ended_at is not None
    assert Event.objects.filter(verb="member.left").count() == 1


def test_assigning_someone_bumps_the_programs_version_once(world):
    successor = member(world.cdmo, Membership.Role.PM)
    before = Program.objects.get(pk=world.program.pk).version

    program_member_assign(actor=None, program=world.program, user=successor, role="dedicated_pm")

    assert Program.objects.get(pk=world.program.pk).version == before + 1
