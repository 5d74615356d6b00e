"""Setting a program up: for a sponsor, with a well-formed code, audited and in the stream."""

import pytest
from django.core.exceptions import ValidationError

from portal.errors import ServiceError
from portal.models import AuditEntry
from programs.models import Event
from programs.services.program import program_create


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
