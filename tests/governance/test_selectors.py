"""Reads for the dashboard and pages: action items, meetings, top risks, the heat map."""

import datetime

import time_machine
from django.utils import timezone

from governance import selectors
from governance.models import ActionItem
from tests.governance.builders import action_item, meeting, past_meeting, risk
from tests.support.world import client_for


def test_open_and_overdue_selectors_for_the_dashboard(world):
    overdue = action_item(world.program, world.pm, title="Late", due_in_days=-1)
    upcoming = action_item(world.program, world.pm, title="Soon", due_in_days=2)
    action_item(world.program, world.pm, title="Done", due_in_days=-5, status="done")
    action_item(world.program_b, world.pm, title="Other sponsor", due_in_days=-1)

    assert list(selectors.open_action_items(world.lead_a, world.program)) == [overdue, upcoming]
    assert list(selectors.overdue_action_items(world.lead_a, world.program)) == [overdue]
    assert list(selectors.overdue_action_items(world.lead_b, world.program)) == []


def test_next_meeting_is_the_next_scheduled_one(world):
    now = timezone.now()
    meeting(world.program, starts_at=now + datetime.timedelta(days=9), title="Later")
    soon = meeting(world.program, starts_at=now + datetime.timedelta(days=2), title="Soon")
    meeting(world.program, starts_at=now + datetime.timedelta(days=1), status="cancelled")
    past_meeting(world.program)

    assert selectors.next_meeting(world.lead_a, world.program) == soon
    assert selectors.next_meeting(world.lead_b, world.program) is None


def test_meetings_to_write_up_are_past_meetings_of_my_programs_without_minutes(world):
    waiting = past_meeting(world.program, title="Waiting")
    past_meeting(world.program, title="Cancelled", status="cancelled")
    meeting(world.program, title="Future")
    done = past_meeting(world.program, title="Done")
    done.written_up_at = timezone.now()
    done.save()

    assert list(selectors.meetings_to_write_up(world.pm)) == [waiting]
    assert list(selectors.meetings_to_write_up(world.staff)) == []
    assert list(selectors.meetings_to_write_up(world.lead_a)) == []


def test_top_risks_are_the_highest_open_scores(world):
    risk(world.program, world.pm, title="Low", likelihood=1, impact=2)
    risk(world.program, world.pm, title="High", likelihood=5, impact=4)
    risk(world.program, world.pm, title="Medium", likelihood=3, impact=3)
    risk(world.program, world.pm, title="Closed", likelihood=5, impact=5, status="closed")
    risk(world.program, world.pm, title="Next", likelihood=2, impact=3)

    top = selectors.top_risks(world.viewer_a, world.program)

    assert [r.title for r in top] == ["High", "Medium", "Next"]
    assert selectors.top_risks(world.lead_b, world.program) == []


def test_the_heat_map_counts_open_risks_per_cell(world):
    risk(world.program, world.pm, likelihood=5, impact=4)
    risk(world.program, world.pm, likelihood=5, impact=4)
    risk(world.program, world.pm, likelihood=1, impact=1)
    risk(world.program, world.pm, likelihood=1, impact=1, status="closed")

    grid = selectors.risk_heat_map(user=world.pm, program=world.program)

    assert grid[0][3].count == 2  # likelihood 5 is the top row, impact 4 the fourth column
    assert grid[0][3].band == "critical"
    assert grid[4][0].count == 1
    assert sum(cell.count for row in grid for cell in row) == 3


SITE_NEXT_DAY = datetime.datetime(2027, 1, 11, 23, 30, tzinfo=datetime.UTC)  # Berlin: 12 Jan


def test_an_action_item_is_overdue_once_the_sites_day_has_turned_whatever_utc_says(
    world, settings, api_as
):
    settings.SITE_TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(SITE_NEXT_DAY, tick=False):
        item = action_item(world.program, world.lead_a)
        ActionItem.objects.filter(pk=item.pk).update(due_date=datetime.date(2027, 1, 11))
        item.refresh_from_db()

        flagged = item.is_overdue
        listed = list(selectors.overdue_action_items(world.pm, world.program))
        api = api_as(world.lead_a).get("/api/v1/action-items/?overdue=true").json()["results"]
        page = client_for(world, "lead_a").get("/programs/HLX-101/actions/?state=overdue")

    assert flagged
    assert listed == [item]
    assert [row["id"] for row in api] == [item.pk]
    assert api[0]["overdue"] is True
    assert "Overdue" in page.content.decode()
