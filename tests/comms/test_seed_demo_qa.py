"""The demo's people after QA became a role of its own (issue 9): qa@ is QA assigned to every
demo program and signs there, ops@ is operations staff and signs nowhere; a demo seeded before
gets qa@'s assignments on the next `seed_demo`, once."""

from io import StringIO

import pytest
from django.core.management import call_command

from portal import access
from portal.access import Action
from portal.models import AuditEntry, Membership, User
from programs.models import Program, ProgramMember

QA, OPS = "qa@northbridge.example", "ops@northbridge.example"


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _signs_on(email: str) -> list[str]:
    user = User.objects.get(email=email)
    return [
        program.code
        for program in Program.objects.order_by("code")
        if access.may(user, Action.QA_DECIDE, program)
    ]


@pytest.mark.django_db
def test_the_demo_qa_signs_on_every_program_and_operations_staff_on_none():
    _seed()

    assert Membership.objects.get(user__email=QA).role == Membership.Role.QA
    assert Membership.objects.get(user__email=OPS).role == Membership.Role.STAFF
    assert _signs_on(QA) == ["BOR-017", "HLX-101", "HLX-204"]
    assert _signs_on(OPS) == []
    assert "Demo data already present; nothing changed." in _seed()


@pytest.mark.django_db
def test_a_demo_seeded_before_qa_was_a_role_gets_its_qa_assignments_once():
    _seed()
    ProgramMember.objects.filter(user__email=QA, role=ProgramMember.Role.QA).delete()
    Membership.objects.filter(user__email=QA).update(role=Membership.Role.STAFF)
    assert _signs_on(QA) == []

    assert "is now QA of every demo program" in _seed()

    assert _signs_on(QA) == ["BOR-017", "HLX-101", "HLX-204"]
    (entry,) = AuditEntry.objects.filter(model="portal.membership", action="update")
    assert entry.changes == {"role": ["staff", "qa"]}
    assert "Demo data already present; nothing changed." in _seed()
