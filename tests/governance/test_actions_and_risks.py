"""Action items (created, marked done) and the risk register, with the dashboard's selectors."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance import selectors, services
from governance.models import ActionItem, Risk
from portal.errors import ServiceError
from portal.models import AuditEntry
from programs.models import Event
from tests.governance.builders import action_item, meeting, past_meeting, risk


def test_the_program_team_adds_an_action_item_for_a_sponsor_user(world):
    item = services.action_item_create(
        actor=world.pm,
        program=world.program,
        title="Confirm the shipping address",
        owner=world.viewer_a,
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )

    assert item.owner == world.viewer_a
    assert Event.objects.filter(verb="action.created", kind="action").exists()


def test_a_sponsor_cannot_add_action_items(world):
    with pytest.raises(ServiceError) as exc:
        services.action_item_create(
            actor=world.lead_a,
            program=world.program,
            title="Nope",
            owner=world.lead_a,
            due_date=timezone.localdate(),
        )

    assert exc.value.message == services.NOT_PROGRAM_TEAM
    assert not ActionItem.objects.exists()


def test_its_owner_marks_an_action_item_done(world):
    item = action_item(world.program, world.viewer_a)

    done = services.action_item_complete(actor=world.viewer_a, item=item)

    assert done.status == ActionItem.Status.DONE
    assert done.completed_at is not None
    assert Event.objects.filter(verb="action.done").exists()
    assert AuditEntry.objects.filter(model="governance.actionitem", actor=world.viewer_a).exists()


def test_someone_else_on_the_sponsor_side_cannot_mark_it_done(world):
    item = action_item(world.program, world.viewer_a)

    with pytest.raises(ServiceError) as exc:
        services.action_item_complete(actor=world.lead_a, item=item)

    assert exc.value.message == services.NOT_OWNER_OR_TEAM
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN


def test_an_action_item_is_done_only_once(world):
    item = action_item(world.program, world.pm)
    services.action_item_complete(actor=world.pm, item=item)

    with pytest.raises(ServiceError) as exc:
        services.action_item_complete(actor=world.pm, item=item)

    assert exc.value.message == services.ACTION_NOT_OPEN


def test_an_action_item_of_a_cancelled_meeting_is_refused(world):
    cancelled = past_meeting(world.program, status="cancelled")

    with pytest.raises(ServiceError) as exc:
        services.action_item_create(
            actor=world.pm,
            program=world.program,
            title="Too late",
            owner=world.pm,
            due_date=timezone.localdate(),
            meeting=cancelled,
        )

    assert exc.value.message == services.MEETING_CANCELLED


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


def test_the_program_team_adds_a_risk_and_a_high_one_is_notable(world):
    added = services.risk_create(
        actor=world.pm,
        program=world.program,
        title="Single-source resin",
        likelihood=4,
        impact=5,
        owner=world.pm,
        review_date=timezone.localdate() + datetime.timedelta(days=14),
        mitigation="Qualify a second supplier",
        contingency="Use the reserved lot",
    )

    assert added.score == 20
    assert Event.objects.get(verb="risk.added").significance == "notable"


def test_a_risk_score_must_be_between_1_and_5(world):
    with pytest.raises(ValidationError) as exc:
        services.risk_create(
            actor=world.pm,
            program=world.program,
            title="Off the scale",
            likelihood=6,
            impact=1,
            owner=world.pm,
            review_date=timezone.localdate(),
        )

    assert "likelihood" in exc.value.message_dict
    assert not Risk.objects.exists()


def test_updating_a_risk_is_audited_and_rising_to_high_is_notable(world):
    entry = risk(world.program, world.pm, likelihood=2, impact=3)

    services.risk_update(actor=world.pm, risk=entry, likelihood=5, mitigation="Dual source")

    entry.refresh_from_db()
    assert (entry.likelihood, entry.mitigation) == (5, "Dual source")
    assert AuditEntry.objects.get(model="governance.risk").changes["likelihood"] == [2, 5]
    assert Event.objects.get(verb="risk.updated").significance == "notable"


def test_a_sponsor_cannot_edit_the_register(world):
    entry = risk(world.program, world.pm)

    with pytest.raises(ServiceError):
        services.risk_update(actor=world.lead_a, risk=entry, likelihood=1)

    entry.refresh_from_db()
    assert entry.likelihood == 3


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
