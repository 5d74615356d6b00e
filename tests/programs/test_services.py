"""Program services: creation, people and the PM handover, health with a reason."""

import pytest
from django.core.exceptions import ValidationError

from portal.errors import ServiceError
from portal.models import AuditEntry, Membership
from programs.models import Event, ProgramMember
from programs.services import (
    REASON_REQUIRED,
    program_create,
    program_health_apply_rule,
    program_member_assign,
    program_override_health,
)
from tests.factories import member


def test_a_program_is_created_for_a_sponsor_with_audit_and_event(world):
    program = program_create(
        actor=world.leader, sponsor=world.sponsor_a, code="HLX-300", name="Next", phase="phase_1"
    )
    assert AuditEntry.objects.filter(model="programs.program", object_pk=str(program.pk)).exists()
    assert Event.objects.filter(program=program, verb="program.created").exists()


@pytest.mark.parametrize("code", ["hlx-1", "HLX101", "HLX-", "TOO-LONG-CODE-1"])
def test_a_malformed_code_is_refused(world, code):
    with pytest.raises(ValidationError):
        program_create(
            actor=world.leader, sponsor=world.sponsor_a, code=code, name="X", phase="phase_1"
        )


def test_a_program_cannot_belong_to_the_cdmo(world):
    with pytest.raises(ServiceError):
        program_create(
            actor=world.leader, sponsor=world.cdmo, code="NB-1", name="X", phase="phase_1"
        )


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


def test_overriding_health_needs_a_reason(world):
    with pytest.raises(ServiceError, match=REASON_REQUIRED):
        program_override_health(actor=world.pm, program=world.program, health="red", reason=" ")
    world.program.refresh_from_db()
    assert world.program.health == "green"


def test_only_the_program_team_overrides_health(world):
    with pytest.raises(ServiceError):
        program_override_health(actor=world.lead_a, program=world.program, health="red", reason="x")


def test_an_override_wins_over_the_rule_until_it_is_cleared(world):
    program_override_health(actor=world.pm, program=world.program, health="red", reason="Audit")
    program_health_apply_rule(program_id=world.program.pk, health="amber", reasons=["Slip"])
    world.program.refresh_from_db()
    assert (world.program.health, world.program.health_rule) == ("red", "amber")
    assert world.program.health_reason == "Audit"

    program_override_health(actor=world.pm, program=world.program, health="", reason="Resolved")
    world.program.refresh_from_db()
    assert world.program.health == "amber"
    entry = AuditEntry.objects.filter(model="programs.program", reason="Resolved").get()
    assert entry.changes["health"] == ["red", "amber"]


def test_the_rule_verdict_is_stored_once_and_announced_when_it_changes(world):
    assert program_health_apply_rule(program_id=world.program.pk, health="red", reasons=["Slip"])
    assert not program_health_apply_rule(
        program_id=world.program.pk, health="red", reasons=["Slip"]
    )
    world.program.refresh_from_db()
    assert world.program.health == "red"
    assert Event.objects.filter(verb="program.health", significance="notable").count() == 1
