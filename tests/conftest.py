"""Shared fixtures: the personas of the permission matrix and the service-test switch.

Personas, all against objects of sponsor A: anonymous, sponsor A lead, sponsor A viewer,
sponsor B lead, CDMO staff (not on the program), the program's PM, CDMO leadership.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

import pytest
from django.test import Client

from portal.models import Membership, Organisation, User
from programs.models import Program, ProgramMember
from tests.factories import PASSWORD, OrganisationFactory, ProgramFactory, member

Role = Membership.Role
SERVICES = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    if SERVICES:
        return
    for item in items:
        if "services" in item.keywords:
            if REQUIRE_SERVICES:
                item.add_marker(pytest.mark.usefixtures("_services_missing"))
            else:
                item.add_marker(
                    pytest.mark.skip(reason="needs DATABASE_URL and REDIS_URL (real services)")
                )


@pytest.fixture
def _services_missing():
    pytest.fail("REQUIRE_SERVICES=1 but DATABASE_URL/REDIS_URL are not set")


def pytest_sessionfinish(session, exitstatus):
    """With REQUIRE_SERVICES=1 (CI) a skipped test fails the run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if REQUIRE_SERVICES and reporter and reporter.stats.get("skipped"):
        reporter.write_line("REQUIRE_SERVICES=1: skipped tests count as failures", red=True)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def _fresh_cache_namespace(monkeypatch):
    """Each test counts its own throttles and sign-in failures: user ids repeat across tests and
    xdist workers share one Redis, so counters would otherwise leak from test to test."""
    from django.core.cache import caches

    monkeypatch.setattr(caches["default"], "key_prefix", f"test-{uuid.uuid4().hex}")


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
    staff: User
    pm: User
    leader: User


@pytest.fixture
def world(db) -> World:
    cdmo = OrganisationFactory(name="Northbridge", slug="northbridge", kind=Organisation.Kind.CDMO)
    sponsor_a = OrganisationFactory(name="Helix", slug="helix")
    sponsor_b = OrganisationFactory(name="Borealis", slug="borealis")
    program = ProgramFactory(sponsor=sponsor_a, code="HLX-101", name="Helix mAb")
    program_b = ProgramFactory(sponsor=sponsor_b, code="BOR-017", name="Borealis CAR-T")
    pm = member(cdmo, Role.PM, email="pm@nb.example", display_name="Pat Manager")
    ProgramMember.objects.create(program=program, user=pm, role=ProgramMember.Role.DEDICATED_PM)
    ProgramMember.objects.create(program=program_b, user=pm, role=ProgramMember.Role.DEDICATED_PM)
    return World(
        cdmo=cdmo,
        sponsor_a=sponsor_a,
        sponsor_b=sponsor_b,
        program=program,
        program_b=program_b,
        lead_a=member(sponsor_a, Role.SPONSOR_LEAD, email="lead@helix.example"),
        viewer_a=member(sponsor_a, Role.SPONSOR_VIEWER, email="viewer@helix.example"),
        lead_b=member(sponsor_b, Role.SPONSOR_LEAD, email="lead@borealis.example"),
        staff=member(cdmo, Role.STAFF, email="qa@nb.example"),
        pm=pm,
        leader=member(cdmo, Role.LEADERSHIP, email="leader@nb.example"),
    )


PERSONAS = ["anonymous", "lead_a", "viewer_a", "lead_b", "staff", "pm", "leader"]


def client_for(world: World, persona: str) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


@pytest.fixture
def password() -> str:
    return PASSWORD
