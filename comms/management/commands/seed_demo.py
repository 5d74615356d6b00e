"""manage.py seed_demo: the demo world of DESIGN §6, created once through the services.

Idempotent: if the CDMO organisation exists the command says so and changes nothing, except
that a demo seeded before QA became a role of its own (issue 9) gets qa@ as QA of every demo
program, once. It lives in comms, the top layer, because it seeds every app: the core rows
(organisations, people, programs, updates) here, then each app's own `demo.seed(demo)` in
dependency order.
"""

from __future__ import annotations

import datetime
from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

from comms.models import Update
from comms.services.health import program_health_refresh
from comms.services.updates import update_post
from portal import audit
from portal.models import Membership, Organisation, User
from programs.demo import Demo
from programs.models import Audience, Program, ProgramMember
from programs.services.members import program_member_assign
from programs.services.program import program_create

PASSWORD = "portal-demo"
Role = Membership.Role

PEOPLE = [
    # email, name, title, organisation slug, role
    ("pm@northbridge.example", "Priya Raman", "Senior Project Manager", "northbridge", Role.PM),
    (
        "qa@northbridge.example",
        "Marcus Feld",
        "Head of Quality Assurance",
        "northbridge",
        Role.QA,
    ),
    (
        "ops@northbridge.example",
        "Tomasz Novak",
        "Manufacturing Operations Lead",
        "northbridge",
        Role.STAFF,
    ),
    (
        "leader@northbridge.example",
        "Elena Sørensen",
        "Chief Operating Officer",
        "northbridge",
        Role.LEADERSHIP,
    ),
    ("sponsor@helix.example", "James Okafor", "VP, CMC", "helix", Role.SPONSOR_LEAD),
    ("viewer@helix.example", "Sarah Lin", "CMC Scientist", "helix", Role.SPONSOR_VIEWER),
    (
        "sponsor@borealis.example",
        "Anna Virtanen",
        "Head of Technical Operations",
        "borealis",
        Role.SPONSOR_LEAD,
    ),
]

PROGRAMS = [
    (
        "helix",
        "HLX-101",
        "Helixumab drug substance",
        "Helixumab (anti-IL-23 mAb)",
        Program.Modality.BIOLOGIC,
        Program.Phase.PHASE_2,
        datetime.date(2026, 3, 2),
        datetime.date(2028, 6, 30),
    ),
    (
        "helix",
        "HLX-204",
        "Velaprex tablets, commercial supply",
        "Velaprex 20 mg",
        Program.Modality.SMALL_MOLECULE,
        Program.Phase.COMMERCIAL,
        datetime.date(2024, 1, 15),
        None,
    ),
    (
        "borealis",
        "BOR-017",
        "BRX-17 autologous CAR-T",
        "BRX-17",
        Program.Modality.CELL_GENE,
        Program.Phase.PHASE_1,
        datetime.date(2026, 6, 1),
        datetime.date(2029, 1, 31),
    ),
]

UPDATES = [
    (
        "HLX-101",
        "Tech transfer: process description signed off",
        "Both process development teams signed the process description v1.2. Engineering run "
        "scheduling starts next week.",
        Update.Category.MILESTONE,
        Update.Significance.NOTABLE,
        Audience.SPONSOR,
    ),
    (
        "HLX-101",
        "Resin lead time extended by four weeks",
        "The Protein A resin supplier moved delivery from 9 to 13 weeks. We hold enough for the "
        "engineering run; GMP batch 1 start is at risk by up to two weeks. Mitigation: a second "
        "lot is reserved with the alternate distributor.",
        Update.Category.SUPPLY,
        Update.Significance.CRITICAL,
        Audience.SPONSOR,
    ),
    (
        "HLX-101",
        "Draft: bioreactor 2 availability",
        "Internal: maintenance on BR-2 may shift the engineering run by three days. Confirm with "
        "operations before telling Helix.",
        Update.Category.GENERAL,
        Update.Significance.INFO,
        Audience.INTERNAL,
    ),
    (
        "HLX-204",
        "Batch 24-118 released on time",
        "QA released batch 24-118 two days ahead of the committed date. Shipping to the Rotterdam "
        "depot on Thursday.",
        Update.Category.MILESTONE,
        Update.Significance.INFO,
        Audience.SPONSOR,
    ),
    (
        "HLX-204",
        "Annual product review submitted",
        "The 2026 annual product review is with Helix regulatory for comment.",
        Update.Category.REGULATORY,
        Update.Significance.INFO,
        Audience.SPONSOR,
    ),
    (
        "BOR-017",
        "Kick-off agenda circulated",
        "Agenda and attendee list for the kick-off are in your inbox; please confirm your "
        "workstream owners.",
        Update.Category.GENERAL,
        Update.Significance.INFO,
        Audience.SPONSOR,
    ),
]


# Apps that add their own demo rows, in dependency order; each module has `seed(demo: Demo)`.
APP_SEEDS: list[str] = [
    "programs.demo",
    "governance.demo",
    "deviations.demo",
    "governance.escalations.demo",
    "comms.demo",
    "integrations.demo",
    "people.demo",
]


QA_EMAIL = "qa@northbridge.example"
UPGRADE_REASON = "Demo upgrade: QA is a role of its own, assigned to each program it signs for."


def _qa_of_every_demo_program() -> bool:
    """A demo seeded before QA was a role of its own had qa@ as operations staff, who may no
    longer sign: make it QA of every demo program, as a fresh seed does (audited). Idempotent:
    False when there is nothing to do."""
    qa = User.objects.filter(email=QA_EMAIL).select_related("membership").first()
    membership = getattr(qa, "membership", None)
    if qa is None or membership is None or membership.role != Role.STAFF:
        return False
    leader = User.objects.filter(email="leader@northbridge.example").first()
    before = audit.snapshot(membership)
    membership.role = Role.QA
    membership.full_clean()
    membership.save(update_fields=["role"])
    audit.record_update(actor=leader, instance=membership, before=before, reason=UPGRADE_REASON)
    for program in Program.objects.filter(code__in=[row[1] for row in PROGRAMS]):
        program_member_assign(
            actor=leader,
            program=program,
            user=qa,
            role=ProgramMember.Role.QA,
            reason=UPGRADE_REASON,
        )
    return True


class Command(BaseCommand):
    help = "Seed the demo organisations, people, programs and updates (once)."

    def handle(self, *args: object, **options: object) -> None:
        if Organisation.objects.filter(slug="northbridge").exists():
            with transaction.atomic():
                upgraded = _qa_of_every_demo_program()
            self.stdout.write(
                "Demo data already present; qa@northbridge.example is now QA of every demo "
                "program (QA became a role of its own)."
                if upgraded
                else "Demo data already present; nothing changed."
            )
            return
        with transaction.atomic():
            self._seed()
        self.stdout.write(
            self.style.SUCCESS(f"Demo data created. Password for every login: {PASSWORD}")
        )

    def _seed(self) -> None:
        demo = self._seed_core()
        for module in APP_SEEDS:
            import_module(module).seed(demo)
        for program in demo.programs.values():
            program_health_refresh(program_id=program.pk)

    def _seed_core(self) -> Demo:
        orgs = {
            "northbridge": Organisation.objects.create(
                name="Northbridge Biologics", slug="northbridge", kind=Organisation.Kind.CDMO
            ),
            "helix": Organisation.objects.create(
                name="Helix Therapeutics", slug="helix", kind=Organisation.Kind.SPONSOR
            ),
            "borealis": Organisation.objects.create(
                name="Borealis Pharma", slug="borealis", kind=Organisation.Kind.SPONSOR
            ),
        }
        people: dict[str, User] = {}
        for email, name, title, org, role in PEOPLE:
            user = User.objects.create_user(
                email,
                PASSWORD,
                display_name=name,
                title=title,
                time_zone="Europe/London" if org == "northbridge" else "America/New_York",
            )
            Membership.objects.create(user=user, organisation=orgs[org], role=role)
            people[email] = user
        User.objects.create_superuser(
            "admin@northbridge.example", PASSWORD, display_name="Portal Administrator"
        )
        pm = people["pm@northbridge.example"]
        pm.phone = "+44 1223 555 0142"
        pm.save(update_fields=["phone"])
        leader = people["leader@northbridge.example"]

        programs: dict[str, Program] = {}
        for org, code, name, product, modality, phase, start, launch in PROGRAMS:
            programs[code] = program_create(
                actor=leader,
                sponsor=orgs[org],
                code=code,
                name=name,
                phase=phase,
                product=product,
                modality=modality,
                start_date=start,
                target_launch_date=launch,
            )
        for code, program in programs.items():
            program_member_assign(
                actor=leader, program=program, user=pm, role=ProgramMember.Role.DEDICATED_PM
            )
            program_member_assign(
                actor=leader,
                program=program,
                user=leader,
                role=ProgramMember.Role.CDMO_EXECUTIVE,
            )
            # QA signs QA's decisions on the programs it is assigned to (not site-wide), so
            # the demo shows the assignment; operations staff (ops@) investigate but never sign.
            program_member_assign(
                actor=leader,
                program=program,
                user=people[QA_EMAIL],
                role=ProgramMember.Role.QA,
            )
            sponsor_lead = (
                "sponsor@helix.example" if code.startswith("HLX") else ("sponsor@borealis.example")
            )
            program_member_assign(
                actor=pm,
                program=program,
                user=people[sponsor_lead],
                role=ProgramMember.Role.SPONSOR_CONTACT,
                rank=ProgramMember.Rank.PRIMARY,
            )
        program_member_assign(
            actor=pm,
            program=programs["HLX-101"],
            user=people["qa@northbridge.example"],
            role=ProgramMember.Role.WORKSTREAM_OWNER,
        )
        program_member_assign(
            actor=pm,
            program=programs["HLX-101"],
            user=people["viewer@helix.example"],
            role=ProgramMember.Role.SPONSOR_CONTACT,
            rank=ProgramMember.Rank.BACKUP,
        )
        for code, title, body, category, significance, audience in UPDATES:
            update_post(
                actor=pm,
                program=programs[code],
                title=title,
                body=body,
                category=category,
                significance=significance,
                audience=audience,
            )
        return Demo(organisations=orgs, people=people, programs=programs)
