"""Reads of the timeline and the costs, always from what the user may see."""

import datetime
from decimal import Decimal

import time_machine
from django.utils import timezone

from programs import selectors
from programs.models import CostLine, Milestone, Program, ProgramMember
from programs.selectors import cost_by_driver, cost_summary
from tests.programs.builders import milestone, workstream


def test_next_milestones_are_the_unfinished_ones_soonest_forecast_first(world):
    milestone(world.program, "Done", baseline=-5, actual=-5)
    later = milestone(world.program, "Later", baseline=40)
    sooner = milestone(world.program, "Sooner", baseline=50, forecast=10)
    for n in range(5):
        milestone(world.program, f"Far {n}", baseline=100 + n)

    names = [m.name for m in selectors.next_milestones(world.lead_a, world.program, limit=3)]

    assert names == [sooner.name, later.name, "Far 0"]


def test_slipped_milestones_are_unfinished_with_a_forecast_after_baseline(world):
    milestone(world.program, "On time", baseline=10)
    milestone(world.program, "Early", baseline=10, forecast=8)
    milestone(world.program, "Done late", baseline=-10, actual=-2)
    late = milestone(world.program, "Late", baseline=10, forecast=12)

    assert list(selectors.slipped_milestones(world.viewer_a, world.program)) == [late]


def test_another_sponsor_reads_none_of_the_programs_milestones(world):
    milestone(world.program, "Late", baseline=10, forecast=12)

    assert not selectors.slipped_milestones(world.lead_b, world.program).exists()
    assert not selectors.next_milestones(world.lead_b, world.program).exists()


def test_stale_forecasts_are_old_or_past_on_my_own_programs(world):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=45)):
        untouched = milestone(world.program, "Untouched for 45 days", baseline=80)
        moved = milestone(world.program, "Moved last week", baseline=80)
    Milestone.objects.filter(pk=moved.pk).update(
        forecast_changed_at=timezone.now() - datetime.timedelta(days=7)
    )
    overdue = milestone(world.program, "Overdue", baseline=-2)
    milestone(world.program, "Fresh", baseline=20)
    milestone(world.program, "Done", baseline=-20, actual=-20)
    milestone(world.program_b, "Not on my desk", baseline=-2)
    ProgramMember.objects.filter(program=world.program_b, user=world.pm).update(
        ended_at=timezone.now()
    )

    stale = list(selectors.stale_forecasts(world.pm))

    assert stale == [overdue, untouched]
    assert stale[0].program.code == "HLX-101"


def test_stale_forecasts_skip_finished_programs(world):
    milestone(world.program, "Overdue", baseline=-2)
    Program.objects.filter(pk=world.program.pk).update(status=Program.Status.COMPLETED)

    assert not selectors.stale_forecasts(world.pm).exists()


def test_someone_on_no_program_has_no_stale_forecasts(world):
    milestone(world.program, "Overdue", baseline=-2)

    assert not selectors.stale_forecasts(world.staff).exists()


def test_workstreams_come_in_their_order_with_owners(world):
    workstream(world.program, "Second", position=2, cdmo_owner=world.pm)
    workstream(world.program, "First", position=1, sponsor_owner=world.lead_a)
    workstream(world.program_b, "Elsewhere")

    rows = list(selectors.workstream_list(world.viewer_a, world.program))

    assert [w.name for w in rows] == ["First", "Second"]
    assert rows[0].sponsor_owner == world.lead_a


def test_the_budget_is_the_contract_value_plus_approved_change_orders_only(world, ledger):
    summary = cost_summary(world.viewer_a, world.program)

    assert summary.contract_value == Decimal("4850000.00")
    assert summary.approved_change_orders == Decimal("86500.00")
    assert summary.effective_budget == Decimal("4936500.00")
    assert summary.committed == Decimal("1270000.00")
    assert summary.invoiced == Decimal("420000.00")
    assert summary.remaining == Decimal("3666500.00")
    assert (summary.pending_change_orders, summary.pending_change_orders_value) == (
        1,
        Decimal("142000.00"),
    )
    assert not summary.over_budget


def test_costs_by_driver_list_every_driver(world, ledger):
    rows = {
        row.driver: (row.committed, row.invoiced) for row in cost_by_driver(world.pm, world.program)
    }

    assert rows == {
        "materials": (Decimal("310000"), Decimal("0")),
        "labour": (Decimal("960000"), Decimal("420000")),
        "testing": (Decimal("0"), Decimal("0")),
        "pass_through": (Decimal("0"), Decimal("0")),
    }


def test_another_sponsor_sees_none_of_it(world, ledger):
    summary = cost_summary(world.lead_b, world.program)

    assert (summary.contract_value, summary.committed, summary.pending_change_orders) == (
        None,
        Decimal("0"),
        0,
    )


def test_a_program_without_a_budget_says_so(world):
    summary = cost_summary(world.lead_a, world.program)

    assert not summary.has_budget
    assert summary.effective_budget == Decimal("0")


def test_the_sponsors_totals_count_internal_lines_but_list_only_shared_ones(world, ledger):
    CostLine.objects.create(
        program=world.program,
        driver="materials",
        description="Supplier quote, not yet agreed",
        amount=Decimal("50000"),
    )

    for persona in ("viewer_a", "pm"):
        user = getattr(world, persona)
        assert cost_summary(user, world.program).committed == Decimal("1320000")
        by_driver = {d.driver: d.committed for d in cost_by_driver(user, world.program)}
        assert by_driver["materials"] == Decimal("360000")
    sponsor_lines = selectors.cost_line_list(world.viewer_a, world.program)
    cdmo_lines = selectors.cost_line_list(world.pm, world.program)
    assert {line.description for line in sponsor_lines} == {"Resin", "Team"}
    assert len(cdmo_lines) == 3


def test_another_sponsor_counts_no_line_of_the_program(world, ledger):
    assert cost_summary(world.lead_b, world.program).committed == Decimal("0.00")
