"""Health: the rule's verdict and the PM's override with its reason."""

import pytest

from portal.errors import ServiceError
from portal.models import AuditEntry
from programs.models import Event
from programs.services.common import REASON_REQUIRED
from programs.services.health import program_health_apply_rule, program_override_health


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
