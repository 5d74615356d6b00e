"""A program's month for the report tests: sponsor-visible records and internal ones (every
internal one carries INTERNAL), all in November 2026 on the site's calendar."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from governance.models import Meeting
from portal.access import Audience
from programs.models import Batch, ChangeOrder, KpiTarget
from tests.deviations.conftest import log_deviation
from tests.governance.builders import action_item, past_meeting
from tests.programs.builders import budget, change_order, milestone, workstream

MONTH = "2026-11"
NOW = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)
INTERNAL = "Quillon"


@dataclass
class ReportData:
    deviation_reference: str


def fill_month(world) -> ReportData:
    """November 2026 of sponsor A's program (call with the clock at NOW)."""
    program = world.program
    ws = workstream(program, "Fill-finish")
    milestone(program, "Engineering run", baseline=5, forecast=9, workstream=ws)
    milestone(program, "Tech transfer complete", baseline=-12, forecast=-10, actual=-10)
    deviation = log_deviation(world, title="Filter integrity test failed")
    Batch.objects.create(
        program=program,
        lot_number="24-017",
        product="Helix mAb DS",
        planned_start=datetime.date(2026, 10, 20),
        actual_start=datetime.date(2026, 10, 21),
        planned_release=datetime.date(2026, 11, 10),
        actual_release=datetime.date(2026, 11, 12),
        quantity_committed=Decimal("500"),
        quantity_delivered=Decimal("480"),
        disposition=Batch.Disposition.RELEASED,
        disposition_at=timezone.now(),
        disposition_by=world.qa,
    )
    action_item(program, world.lead_a, title="Send the batch record")
    action_item(
        program, world.pm, title=f"{INTERNAL} chase the resin vendor", audience=Audience.INTERNAL
    )
    past_meeting(
        program,
        days_ago=3,
        title="Weekly call",
        status=Meeting.Status.HELD,
        decisions="Agreed to move the PPQ run to January.",
        decisions_audience=Audience.SPONSOR,
    )
    past_meeting(
        program,
        days_ago=5,
        title="Internal review",
        status=Meeting.Status.HELD,
        decisions=f"{INTERNAL} margin decision.",
        decisions_audience=Audience.INTERNAL,
    )
    budget(program)
    change_order(program, world.pm, reference="CO-001", status=ChangeOrder.Status.APPROVED)
    KpiTarget.objects.create(
        program=program,
        kpi="on_time_release",
        target=Decimal("90"),
        agreed_at=timezone.now(),
        agreed_by=world.pm,
    )
    return ReportData(deviation_reference=deviation.reference)
