"""Demo workstreams, milestones, budgets, change orders, cost lines and invoices.

Dates are relative to the day the demo is seeded, so the timeline always shows a program in
mid-flight: HLX-101 mid tech-transfer with one slip beyond its threshold (rescheduled through
the service, so the sponsor gets the automatic notable update) and a change order awaiting
Helix; HLX-204 commercial and on time; BOR-017 before its kick-off, one workstream still
without a sponsor owner.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from portal import clock
from portal.access import Audience
from portal.models import Organisation, User
from programs.models import Batch, ChangeOrder, CostDriver, Milestone, Program, Workstream
from programs.services.batches import (
    batch_create,
    batch_decide,
    batch_record_delivery,
    batch_rework,
)
from programs.services.costs import (
    budget_set,
    change_order_decide,
    change_order_propose,
    cost_line_add,
    invoice_add,
)
from programs.services.timeline import (
    milestone_complete,
    milestone_create,
    milestone_reschedule,
    workstream_create,
)


@dataclass
class Demo:
    """What `manage.py seed_demo` (comms) made first, handed to each app's `demo.seed(demo)`
    to build on. It lives here, in the lowest app the seeds share, so that no seed imports
    upwards."""

    organisations: dict[str, Organisation]
    people: dict[str, User]
    programs: dict[str, Program]


PM = "pm@northbridge.example"
QA = "qa@northbridge.example"
DEMO_PASSWORD = "portal-demo"  # every demo login's (comms seed_demo); QA signs with it
HELIX_LEAD = "sponsor@helix.example"
HELIX_VIEWER = "viewer@helix.example"
BOREALIS_LEAD = "sponsor@borealis.example"
Kind = Workstream.Kind
Status = Workstream.Status

# code: [(workstream, kind, status, CDMO owner, sponsor owner, start, end (days from today))]
WORKSTREAMS: dict[str, list[tuple[str, str, str, str, str | None, int, int]]] = {
    "HLX-101": [
        ("Tech transfer", Kind.TECH_TRANSFER, Status.IN_PROGRESS, PM, HELIX_LEAD, -130, 60),
        (
            "Process development",
            Kind.PROCESS_DEVELOPMENT,
            Status.IN_PROGRESS,
            PM,
            HELIX_LEAD,
            -90,
            50,
        ),
        ("Analytical", Kind.ANALYTICAL, Status.IN_PROGRESS, QA, HELIX_VIEWER, -100, 40),
        ("GMP manufacturing", Kind.MANUFACTURING, Status.NOT_STARTED, PM, HELIX_LEAD, 60, 170),
        ("QA / regulatory", Kind.QA_REGULATORY, Status.IN_PROGRESS, QA, HELIX_VIEWER, -130, 130),
    ],
    "HLX-204": [
        (
            "Commercial manufacturing",
            Kind.MANUFACTURING,
            Status.IN_PROGRESS,
            PM,
            HELIX_LEAD,
            -120,
            150,
        ),
        ("QA release", Kind.QA_REGULATORY, Status.IN_PROGRESS, QA, HELIX_VIEWER, -120, 150),
        ("Supply chain", Kind.SUPPLY_CHAIN, Status.IN_PROGRESS, PM, HELIX_LEAD, -120, 150),
    ],
    "BOR-017": [
        ("Tech transfer", Kind.TECH_TRANSFER, Status.NOT_STARTED, PM, BOREALIS_LEAD, 10, 120),
        ("Analytical", Kind.ANALYTICAL, Status.NOT_STARTED, QA, None, 20, 140),
        (
            "Process development",
            Kind.PROCESS_DEVELOPMENT,
            Status.NOT_STARTED,
            PM,
            BOREALIS_LEAD,
            30,
            180,
        ),
    ],
}

# code: [(workstream, milestone, baseline, actual or None (days from today))]
MILESTONES: dict[str, list[tuple[str, str, int, int | None]]] = {
    "HLX-101": [
        ("QA / regulatory", "Quality agreement signed", -118, -120),
        ("Tech transfer", "Process description v1.2 signed", -100, -98),
        ("Analytical", "Method transfer protocols approved", -75, -75),
        ("Process development", "Scale-down model qualified", -60, -61),
        ("Tech transfer", "Tech transfer package complete", -40, -35),
        ("Analytical", "Method transfer report approved", -4, None),
        ("Tech transfer", "Engineering run start", 20, None),
        ("Analytical", "Reference standard qualified", 25, None),
        ("Process development", "Process characterisation report", 35, None),
        ("GMP manufacturing", "GMP batch 1 start", 75, None),
        ("QA / regulatory", "IND CMC section to Helix", 100, None),
        ("GMP manufacturing", "GMP batch 1 released", 120, None),
    ],
    "HLX-204": [
        ("QA release", "Batch 24-117 released", -40, -40),
        ("QA release", "Batch 24-118 released", -10, -12),
        ("QA release", "Annual product review submitted", -6, -6),
        ("Commercial manufacturing", "Batch 24-119 manufactured", 12, None),
        ("QA release", "Batch 24-119 released", 20, None),
        ("Supply chain", "Rotterdam depot replenished", 30, None),
        ("QA release", "Batch 24-120 released", 50, None),
    ],
    "BOR-017": [
        ("Tech transfer", "Kick-off meeting", 7, None),
        ("Process development", "Viral vector supply agreement", 30, None),
        ("Tech transfer", "Engineering run", 90, None),
    ],
}

# code: [(milestone, days from baseline, reason)]: moves made through the service.
RESCHEDULES: dict[str, list[tuple[str, int, str]]] = {
    "HLX-101": [
        (
            "Process characterisation report",
            4,
            "Helix CMC asked for three additional DoE runs at the pH edges.",
        ),
        (
            "Engineering run start",
            24,
            "The Protein A resin supplier extended lead time from 9 to 13 weeks; the engineering "
            "run waits for the second resin lot, reserved with the alternate distributor.",
        ),
    ],
}

CONTRACT_VALUES = {
    "HLX-101": Decimal("4850000.00"),
    "HLX-204": Decimal("2400000.00"),
    "BOR-017": Decimal("6200000.00"),
}

# code: [(driver, description, amount, milestone or None, change order title or None)]
# Lines the CDMO keeps to itself for now: the sponsor's totals count them, the line is internal.
INTERNAL_COST_LINES = {"Cell bank shipment and storage"}
COST_LINES: dict[str, list[tuple[str, str, str, str | None, str | None]]] = {
    "HLX-101": [
        (CostDriver.MATERIALS, "Protein A resin, lot 1", "310000", "Engineering run start", None),
        (CostDriver.LABOUR, "Tech transfer team, months 1 to 9", "960000", None, None),
        (
            CostDriver.TESTING,
            "Method transfer testing",
            "185000",
            "Method transfer report approved",
            None,
        ),
        (CostDriver.PASS_THROUGH, "Cell bank shipment and storage", "24500", None, None),
        (
            CostDriver.TESTING,
            "Stability time points at 18 and 24 months",
            "86500",
            None,
            "Additional stability time points",
        ),
    ],
    "HLX-204": [
        (CostDriver.MATERIALS, "API and excipients, 2026 campaign", "520000", None, None),
        (CostDriver.LABOUR, "Manufacturing and packaging crews", "610000", None, None),
        (CostDriver.TESTING, "Release and stability testing", "240000", None, None),
        (CostDriver.PASS_THROUGH, "Freight to the Rotterdam depot", "38000", None, None),
    ],
    "BOR-017": [
        (CostDriver.LABOUR, "Program set-up and kick-off preparation", "95000", None, None),
    ],
}

# code: [(number, milestone, driver, amount, issued (days from today))]
INVOICES: dict[str, list[tuple[str, str, str, str, int]]] = {
    "HLX-101": [
        ("NB-INV-0141", "Process description v1.2 signed", CostDriver.LABOUR, "420000", -95),
        ("NB-INV-0178", "Method transfer protocols approved", CostDriver.TESTING, "120000", -70),
        ("NB-INV-0233", "Tech transfer package complete", CostDriver.LABOUR, "380000", -30),
    ],
    "HLX-204": [
        ("NB-INV-0190", "Batch 24-117 released", CostDriver.MATERIALS, "260000", -38),
        ("NB-INV-0251", "Batch 24-118 released", CostDriver.LABOUR, "305000", -9),
    ],
}


def _on(today: datetime.date, days: int) -> datetime.date:
    return today + datetime.timedelta(days=days)


def _workstreams(
    program: Program, people: dict[str, User], pm: User, today: datetime.date
) -> dict[str, Workstream]:
    made = {}
    for name, kind, status, cdmo, sponsor, start, end in WORKSTREAMS[program.code]:
        made[name] = workstream_create(
            actor=pm,
            program=program,
            name=name,
            kind=kind,
            status=status,
            cdmo_owner=people[cdmo],
            sponsor_owner=people[sponsor] if sponsor else None,
            start_date=_on(today, start),
            end_date=_on(today, end),
        )
    return made


def _milestones(
    program: Program, workstreams: dict[str, Workstream], pm: User, today: datetime.date
) -> dict[str, Milestone]:
    made = {}
    for workstream, name, baseline, actual in MILESTONES[program.code]:
        milestone = milestone_create(
            actor=pm,
            program=program,
            name=name,
            baseline_date=_on(today, baseline),
            workstream=workstreams[workstream],
        )
        if actual is not None:
            milestone = milestone_complete(
                actor=pm, milestone=milestone, actual_date=_on(today, actual)
            )
        made[name] = milestone
    for name, slip, reason in RESCHEDULES.get(program.code, []):
        milestone = made[name]
        made[name] = milestone_reschedule(
            actor=pm,
            milestone=milestone,
            forecast_date=milestone.baseline_date + datetime.timedelta(days=slip),
            reason=reason,
        )
    return made


def _costs(
    program: Program,
    milestones: dict[str, Milestone],
    change_orders: dict[str, ChangeOrder],
    pm: User,
    today: datetime.date,
) -> None:
    budget_set(actor=pm, program=program, contract_value=CONTRACT_VALUES[program.code])
    for driver, description, amount, milestone, change_order in COST_LINES.get(program.code, []):
        cost_line_add(
            actor=pm,
            program=program,
            driver=driver,
            description=description,
            amount=Decimal(amount),
            milestone=milestones[milestone] if milestone else None,
            change_order=change_orders[change_order] if change_order else None,
            audience=Audience.INTERNAL if description in INTERNAL_COST_LINES else Audience.SPONSOR,
        )
    for number, milestone, driver, amount, issued in INVOICES.get(program.code, []):
        invoice_add(
            actor=pm,
            program=program,
            number=number,
            driver=driver,
            amount=Decimal(amount),
            issued_on=_on(today, issued),
            milestone=milestones[milestone],
        )


def _helix_change_orders(program: Program, pm: User, lead: User) -> dict[str, ChangeOrder]:
    stability = change_order_propose(
        actor=pm,
        program=program,
        title="Additional stability time points",
        rationale="Helix regulatory asked for 18- and 24-month stability pulls on the "
        "engineering-run material to support the phase III bridging strategy.",
        amount=Decimal("86500.00"),
    )
    stability = change_order_decide(
        actor=lead,
        change_order=stability,
        decision=ChangeOrder.Status.APPROVED,
        comment="Approved: needed for the phase III bridging package. PO to follow.",
    )
    resin = change_order_propose(
        actor=pm,
        program=program,
        title="Second Protein A resin lot from the alternate distributor",
        rationale="The primary supplier's lead time went from 9 to 13 weeks. A second lot "
        "from the alternate distributor protects the GMP batch 1 start; the unused resin is "
        "credited back if the primary lot arrives on time.",
        amount=Decimal("142000.00"),
    )
    return {stability.title: stability, resin.title: resin}


def _batch(
    program: Program,
    people: dict[str, User],
    lot: str,
    *,
    planned_start: datetime.date,
    days: int = 21,
    late: int = 0,
    committed: str = "120",
    delivered: str | None = None,
    decision: str = Batch.Disposition.RELEASED,
    rework: str = "",
    started: bool = True,
) -> Batch:
    """One lot through its life: planned, started, reworked if asked, decided by QA under
    signature `late` days after the planned release, then delivered."""
    pm, qa = people[PM], people[QA]
    planned_release = planned_start + datetime.timedelta(days=days)
    batch = batch_create(
        actor=pm,
        program=program,
        lot_number=lot,
        planned_start=planned_start,
        planned_release=planned_release,
        quantity_committed=Decimal(committed),
        quantity_unit="kg",
        actual_start=planned_start if started else None,
    )
    if rework:
        batch_rework(actor=qa, batch=batch, reason=rework)
    decided_on = planned_release + datetime.timedelta(days=late)
    if not started or decided_on > clock.site_today():
        return batch
    batch_decide(
        actor=qa,
        batch=batch,
        decision=decision,
        decided_on=decided_on,
        reason="" if decision == Batch.Disposition.RELEASED else "Assay out of specification.",
        password=DEMO_PASSWORD,
    )
    if decision == Batch.Disposition.RELEASED:
        batch_record_delivery(
            actor=pm, batch=batch, quantity_delivered=Decimal(delivered or committed)
        )
    return batch


def _batches(programs: dict[str, Program], people: dict[str, User], today: datetime.date) -> None:
    """Two years of commercial supply for HLX-204 (two lots a month: most on time, some late,
    one rejected, one reworked, two short deliveries) and the current lots of the others."""
    commercial = programs["HLX-204"]
    first = today - datetime.timedelta(days=730)
    for index in range(49):
        number = 71 + index
        start = first + datetime.timedelta(days=15 * index)
        _batch(
            commercial,
            people,
            f"HLX204-C-{number:03d}",
            planned_start=start,
            late=3 if number % 7 == 0 else 0,
            decision=Batch.Disposition.REJECTED if number == 91 else Batch.Disposition.RELEASED,
            rework="Filtration repeated after a filter integrity failure." if number == 101 else "",
            delivered="108" if number in (83, 112) else None,
            started=start <= today,
        )
    _batch(
        commercial,
        people,
        "HLX204-C-120",
        planned_start=today + datetime.timedelta(days=20),
        started=False,
    )
    for lot, started_days_ago in (("HLX-ENG-01", 12), ("HLX-ENG-02", 8)):
        _batch(
            programs["HLX-101"],
            people,
            lot,
            planned_start=today - datetime.timedelta(days=started_days_ago),
            days=30,
            committed="2.5",
        )
    _batch(
        programs["HLX-101"],
        people,
        "HLX-GMP-01",
        planned_start=today - datetime.timedelta(days=3),
        days=45,
        committed="2.5",
    )
    _batch(
        programs["BOR-017"],
        people,
        "BOR-ENG-01",
        planned_start=today - datetime.timedelta(days=60),
        days=30,
        committed="0.4",
    )


def seed(demo: Demo) -> None:
    people, pm = demo.people, demo.people[PM]
    today = clock.site_today()
    for code in ("HLX-101", "HLX-204", "BOR-017"):
        program = demo.programs[code]
        workstreams = _workstreams(program, people, pm, today)
        milestones = _milestones(program, workstreams, pm, today)
        change_orders = (
            _helix_change_orders(program, pm, people[HELIX_LEAD]) if code == "HLX-101" else {}
        )
        _costs(program, milestones, change_orders, pm, today)
    _batches(demo.programs, people, today)
