"""The persona world of DESIGN §7 and clients signed in as its people.

Personas, all against objects of sponsor A: anonymous, sponsor A lead, sponsor A viewer,
sponsor B lead, CDMO operations staff (not on the program), CDMO QA (assigned as QA to sponsor
A's program only), the program's PM, CDMO leadership; the permission harness adds the
superuser, who has no membership and so sees no portal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import transaction
from django.test import Client

from portal.models import Membership, Organisation, User
from programs.models import Program, ProgramMember
from tests.factories import OrganisationFactory, ProgramFactory, UserFactory, member

Role = Membership.Role

PERSONAS = ["anonymous", "lead_a", "viewer_a", "lead_b", "staff", "qa", "pm", "leader"]
"""The eight personas of DESIGN §7, in the order the permission tables list them."""

SPONSOR_A = ("lead_a", "viewer_a")
CDMO = ("staff", "qa", "pm", "leader")


@dataclass
class World:
    cdmo: Organisation
    sponsor_a: Organisation
    sponsor_b: Organisation
    program: Program  # sponsor A's
    program_b: Program  # sponsor B's
    lead_a: User
    viewer_a: User
    lead_b: User
    staff: User  # operations: investigates every program's deviations, signs none of QA's steps
    qa: User  # QA of sponsor A's program (a ProgramMember as QA), not of sponsor B's
    pm: User
    leader: User
    admin: User | None = None  # the superuser without membership, when asked for


def build_world(*, with_superuser: bool = False) -> World:
    """Two sponsors with one program each, the CDMO around them and one user per persona; the
    PM is the dedicated PM of both programs, the QA persona is QA of sponsor A's only."""
    cdmo = OrganisationFactory(name="Northbridge", slug="northbridge", kind=Organisation.Kind.CDMO)
    sponsor_a = OrganisationFactory(name="Helix", slug="helix")
    sponsor_b = OrganisationFactory(name="Borealis", slug="borealis")
    program = ProgramFactory(sponsor=sponsor_a, code="HLX-101", name="Helix mAb")
    program_b = ProgramFactory(sponsor=sponsor_b, code="BOR-017", name="Borealis CAR-T")
    pm = member(cdmo, Role.PM, email="pm@nb.example", display_name="Pat Manager")
    ProgramMember.objects.create(program=program, user=pm, role=ProgramMember.Role.DEDICATED_PM)
    ProgramMember.objects.create(program=program_b, user=pm, role=ProgramMember.Role.DEDICATED_PM)
    qa = member(cdmo, Role.QA, email="qa@nb.example", display_name="Quinn QA")
    ProgramMember.objects.create(program=program, user=qa, role=ProgramMember.Role.QA)
    admin = None
    if with_superuser:
        admin = UserFactory(email="admin@nb.example", is_superuser=True, is_staff=True)
    return World(
        cdmo=cdmo,
        sponsor_a=sponsor_a,
        sponsor_b=sponsor_b,
        program=program,
        program_b=program_b,
        lead_a=member(sponsor_a, Role.SPONSOR_LEAD, email="lead@helix.example"),
        viewer_a=member(sponsor_a, Role.SPONSOR_VIEWER, email="viewer@helix.example"),
        lead_b=member(sponsor_b, Role.SPONSOR_LEAD, email="lead@borealis.example"),
        staff=member(cdmo, Role.STAFF, email="ops@nb.example", display_name="Otto Ops"),
        qa=qa,
        pm=pm,
        leader=member(cdmo, Role.LEADERSHIP, email="leader@nb.example"),
        admin=admin,
    )


def person(world: World, persona: str) -> User | None:
    """The user behind a persona; None for anonymous."""
    if persona == "anonymous":
        return None
    user = getattr(world, persona)
    if user is None:
        raise LookupError(f"this world was built without the {persona!r} persona")
    return user


def client_for(world: World, persona: str) -> Client:
    """A test client signed in as the persona (anonymous: signed in as nobody)."""
    client = Client()
    user = person(world, persona)
    if user is not None:
        client.force_login(user)
    return client


@contextmanager
def rolled_back() -> Iterator[None]:
    """Keep what is built inside until the block ends, then undo it.

    A module-scoped world is built inside this block: every test's own transaction nests in it
    as a savepoint, so the world is written once per module and each test still starts from it
    unchanged.
    """
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
