"""Demo deviations, through the services: every class and state.

HLX-101: a critical one still inside its 24-hour window and not yet acknowledged; a major one
logged after its 72-hour window (missed), acknowledged and under investigation; a minor one
closed with a done CAPA and QA's signature. HLX-204: a major one pending CAPA, told in time.
BOR-017: a minor one cancelled as a duplicate, and a minor one open.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from deviations.models import Deviation
from deviations.services import agreements, investigation, lifecycle, reporting
from deviations.services import capa as capa_services
from portal import clock

if TYPE_CHECKING:
    from programs.demo import Demo

PM = "pm@northbridge.example"
QA = "qa@northbridge.example"
HELIX_LEAD = "sponsor@helix.example"
PASSWORD = "portal-demo"

Status = Deviation.Status


def _log(
    demo: Demo,
    code: str,
    classification: str,
    hours_ago: float,
    title: str,
    body: str,
    batches: tuple[str, ...] = (),
) -> Deviation:
    aware = timezone.now() - datetime.timedelta(hours=hours_ago)
    return reporting.deviation_log(
        actor=demo.people[PM],
        program=demo.programs[code],
        title=title,
        description=body,
        classification=classification,
        occurred_at=aware - datetime.timedelta(hours=1),
        aware_at=aware,
        batches=batches,
    )


def _move(demo: Demo, deviation: Deviation, to: str, reason: str = "") -> Deviation:
    deviation.refresh_from_db()
    return lifecycle.deviation_transition(
        actor=demo.people[QA],
        deviation=deviation,
        to=to,
        expected_version=deviation.version,
        reason=reason,
        password=PASSWORD if lifecycle.needs_signature(deviation, to) else None,
    )


def seed(demo: Demo) -> None:
    qa, pm = demo.people[QA], demo.people[PM]
    today = clock.site_today()
    # Helix's quality agreement as signed (v1, in force before any demo deviation) and the
    # amendment that shortened the major window (v2): the agreement page shows the history.
    helix = demo.programs["HLX-101"].sponsor
    signed = timezone.now() - datetime.timedelta(days=365)
    agreements.agreement_version_add(
        actor=qa, sponsor=helix, effective_from=signed, reason="Quality agreement signed"
    )
    agreements.agreement_version_add(
        actor=qa,
        sponsor=helix,
        effective_from=signed + datetime.timedelta(days=30),
        reason="Amendment 1: major deviations within 48 hours",
        major_notify=48,
    )

    minor = _log(
        demo,
        "HLX-101",
        "minor",
        24 * 6,
        "Label printer ribbon ran out during buffer preparation",
        "Buffer labels for two carboys were handwritten and verified by a second operator.",
        ("HLX-ENG-01",),
    )
    investigation.root_cause_add(
        actor=qa, deviation=minor, category="equipment", description="No ribbon level alarm."
    )
    capa = capa_services.capa_add(
        actor=qa,
        deviation=minor,
        kind="preventive",
        description="Add ribbon checks to the daily line clearance.",
        owner=pm,
        due_date=today - datetime.timedelta(days=5),
    )
    capa_services.capa_complete(
        actor=pm, capa=capa, effectiveness_check="No recurrence in 10 line clearances."
    )
    _move(demo, minor, Status.INVESTIGATING)
    _move(demo, minor, Status.PENDING_CAPA)
    _move(demo, minor, Status.CLOSED, reason="CAPA done and effective.")

    major = _log(
        demo,
        "HLX-101",
        "major",
        96,
        "Bioreactor pH excursion during the engineering run",
        "pH reached 7.35 for 40 minutes on day 6 after a CO2 controller fault.",
        ("HLX-ENG-02",),
    )
    reporting.deviation_acknowledge(actor=demo.people[HELIX_LEAD], deviation=major)
    _move(demo, major, Status.INVESTIGATING)
    major.refresh_from_db()
    investigation.deviation_update(
        actor=qa,
        deviation=major,
        expected_version=major.version,
        reason="Initial impact assessment",
        impact_product_quality="Titre within range; glycan profile testing ongoing.",
        impact_other_batches="None: the controller was replaced before the next run.",
        impact_timeline="GMP batch 1 may start one week later.",
    )

    _log(
        demo,
        "HLX-101",
        "critical",
        3,
        "Sterility failure on the GMP batch 1 bulk drug substance",
        "The in-process bioburden sample exceeded the action limit. Batch on hold.",
        ("HLX-GMP-01",),
    )

    pending = _log(
        demo,
        "HLX-204",
        "major",
        40,
        "Visible particles in three filled vials",
        "Found at 100% visual inspection; the lot is quarantined.",
        ("HLX204-C-119",),
    )
    _move(demo, pending, Status.INVESTIGATING)
    investigation.root_cause_add(
        actor=qa, deviation=pending, category="material", description="Stopper supplier lot."
    )
    capa_services.capa_add(
        actor=qa,
        deviation=pending,
        kind="corrective",
        description="Switch to the qualified alternate stopper lot.",
        owner=qa,
        due_date=today + datetime.timedelta(days=14),
    )
    _move(demo, pending, Status.PENDING_CAPA)

    duplicate = _log(
        demo, "BOR-017", "minor", 30, "Freezer alarm", "Logged twice from the alarm system."
    )
    _move(demo, duplicate, Status.CANCELLED, reason="Duplicate of the alarm logged earlier.")
    _log(
        demo,
        "BOR-017",
        "minor",
        28,
        "Freezer alarm on the LN2 storage tank",
        "Level sensor alarm for 10 minutes; temperature stayed below -150 °C.",
    )
