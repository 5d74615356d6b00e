"""Setting a program up: for a sponsor, with a well-formed code, audited and in the stream."""

import pytest
from django.core.exceptions import ValidationError

from portal.errors import ServiceError
from portal.models import AuditEntry
from programs.models import Event, Program
from programs.services.program import NOT_SET_UP, program_create, program_update


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


def test_a_programs_sponsor_is_not_part_of_its_set_up(world):
    with pytest.raises(ServiceError) as refused:
        program_update(actor=None, program=world.program, values={"sponsor": world.sponsor_b})

    assert refused.value.message == NOT_SET_UP.format(field="Sponsor")
    assert refused.value.field == "sponsor"
    assert Program.objects.get(pk=world.program.pk).sponsor == world.sponsor_a


def test_a_set_up_change_that_changes_nothing_writes_nothing(world):
    version = world.program.version

    program_update(actor=None, program=world.program, values={"name": world.program.name})

    assert not AuditEntry.objects.filter(model="programs.program").exists()
    assert not Event.objects.filter(verb="program.updated").exists()
    assert Program.objects.get(pk=world.program.pk).version == version
