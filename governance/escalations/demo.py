"""Demo escalations (`manage.py seed_demo`): one at each level of the built-in path, one
resolved, and a sponsor's concern acknowledged by leadership. Raised in the past through the
services and moved up by the sweep itself, so the demo shows what the beat task does."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from governance.escalations.models import Escalation
from governance.escalations.services import (
    concern_raise,
    escalation_acknowledge,
    escalation_assign,
    escalation_open,
    escalation_resolve,
)
from governance.escalations.sweep import sweep
from programs import changes

if TYPE_CHECKING:
    from programs.demo import Demo

PM = "pm@northbridge.example"
QA = "qa@northbridge.example"
LEADER = "leader@northbridge.example"
HELIX_LEAD = "sponsor@helix.example"
BOREALIS_LEAD = "sponsor@borealis.example"


def _raise(demo: Demo, code: str, title: str, days_ago: int) -> Escalation:
    with transaction.atomic():
        program = changes.lock_program(demo.programs[code].pk)
        return escalation_open(
            program=program,
            actor=demo.people[PM],
            subject_kind=Escalation.Subject.ISSUE,
            title=title,
            now=timezone.now() - datetime.timedelta(days=days_ago),
        )


def seed(demo: Demo) -> None:
    if Escalation.objects.exists():
        return
    people = demo.people
    leader = people[LEADER]
    _raise(demo, "HLX-101", "Protein A resin lead time now 14 weeks", days_ago=0)
    second = _raise(demo, "HLX-204", "Fill line 2 requalification slipping", days_ago=6)
    third = _raise(demo, "BOR-017", "Vector supply shortfall for the next two runs", days_ago=20)
    # The sweep as the beat would have run it: the oldest climbs twice, weeks ago (each window
    # is a business day or so), then today's run moves the other to level 2.
    for _ in range(2):
        third.refresh_from_db()
        assert third.due_at is not None
        sweep(now=third.due_at)
    assert second.due_at is not None
    sweep()
    done = _raise(demo, "HLX-101", "Stability chamber excursion follow-up", days_ago=3)
    escalation_assign(actor=leader, escalation=done, assignee=people[QA])
    escalation_resolve(
        actor=leader,
        escalation=done,
        resolution="Chamber requalified; no samples affected (QA report attached to DEV-2026).",
    )
    concern = concern_raise(
        actor=people[HELIX_LEAD],
        program=demo.programs["HLX-101"],
        title="We keep hearing about resin delays second-hand",
        detail="Please brief our VP directly on the resin supply plan before the next call.",
    )
    escalation_acknowledge(actor=leader, escalation=concern)
