"""Action items: added, marked done by their owner or the team, and shared."""

import datetime

import pytest
from django.utils import timezone

from governance.models import ActionItem
from governance.services.actions import (
    ACTION_NOT_OPEN,
    ALREADY_SHARED,
    MEETING_CANCELLED,
    NOT_OWNER_OR_TEAM,
    action_item_complete,
    action_item_create,
    action_item_share,
)
from governance.services.common import NOT_PROGRAM_TEAM
from portal.access import Audience
from portal.errors import Conflict, Invalid, NotAllowed, ServiceError
from portal.models import AuditEntry
from programs.models import Event, Program
from tests.governance.builders import action_item, past_meeting


def test_the_program_team_adds_an_action_item_for_a_sponsor_user(world):
    item = action_item_create(
        actor=world.pm,
        program=world.program,
        title="Confirm the shipping address",
        owner=world.viewer_a,
        due_date=timezone.localdate() + datetime.timedelta(days=3),
        audience=Audience.SPONSOR,
    )

    assert item.owner == world.viewer_a
    assert Event.objects.filter(verb="action.created", kind="action").exists()


def test_a_sponsor_cannot_add_action_items(world):
    with pytest.raises(ServiceError) as exc:
        action_item_create(
            actor=world.lead_a,
            program=world.program,
            title="Nope",
            owner=world.lead_a,
            due_date=timezone.localdate(),
        )

    assert exc.value.message == NOT_PROGRAM_TEAM
    assert not ActionItem.objects.exists()


def test_its_owner_marks_an_action_item_done(world):
    item = action_item(world.program, world.viewer_a)

    done = action_item_complete(actor=world.viewer_a, item=item)

    assert done.status == ActionItem.Status.DONE
    assert done.completed_at is not None
    assert Event.objects.filter(verb="action.done").exists()
    assert AuditEntry.objects.filter(model="governance.actionitem", actor=world.viewer_a).exists()


def test_someone_else_on_the_sponsor_side_cannot_mark_it_done(world):
    item = action_item(world.program, world.viewer_a)

    with pytest.raises(ServiceError) as exc:
        action_item_complete(actor=world.lead_a, item=item)

    assert exc.value.message == NOT_OWNER_OR_TEAM
    item.refresh_from_db()
    assert item.status == ActionItem.Status.OPEN


def test_an_action_item_is_done_only_once(world):
    item = action_item(world.program, world.pm)
    action_item_complete(actor=world.pm, item=item)

    with pytest.raises(ServiceError) as exc:
        action_item_complete(actor=world.pm, item=item)

    assert exc.value.message == ACTION_NOT_OPEN


def test_an_action_item_of_a_cancelled_meeting_is_refused(world):
    cancelled = past_meeting(world.program, status="cancelled")

    with pytest.raises(ServiceError) as exc:
        action_item_create(
            actor=world.pm,
            program=world.program,
            title="Too late",
            owner=world.pm,
            due_date=timezone.localdate(),
            meeting=cancelled,
        )

    assert exc.value.message == MEETING_CANCELLED


def test_an_action_item_is_internal_unless_the_pm_shares_it(world):
    item = action_item_create(
        actor=world.pm,
        program=world.program,
        title="Check the QP's availability",
        owner=world.leader,
        due_date=timezone.localdate() + datetime.timedelta(days=3),
    )

    assert item.audience == Audience.INTERNAL
    assert Event.objects.get(verb="action.created").audience == Audience.INTERNAL


def test_an_internal_action_item_cannot_belong_to_someone_at_the_sponsor(world):
    with pytest.raises(Invalid) as exc:
        action_item_create(
            actor=world.pm,
            program=world.program,
            title="Internal only",
            owner=world.viewer_a,
            due_date=timezone.localdate(),
            audience=Audience.INTERNAL,
        )

    assert exc.value.field == "audience"
    assert not ActionItem.objects.exists()


def test_sharing_an_action_item_is_audited_and_told_to_the_sponsor(world):
    item = action_item(world.program, world.staff, audience=Audience.INTERNAL)

    shared = action_item_share(actor=world.pm, item=item)

    assert shared.audience == Audience.SPONSOR
    entry = AuditEntry.objects.filter(model="governance.actionitem").latest("id")
    assert entry.changes == {"audience": ["internal", "sponsor"]}
    event = Event.objects.get(verb="action.shared")
    assert event.audience == Audience.SPONSOR
    assert (event.subject_type, event.subject_id) == ("governance.actionitem", str(item.pk))


def test_an_action_item_is_shared_only_once(world):
    item = action_item(world.program, world.staff, audience=Audience.SPONSOR)

    with pytest.raises(Conflict) as exc:
        action_item_share(actor=world.pm, item=item)

    assert exc.value.message == ALREADY_SHARED


def test_a_sponsor_cannot_share_an_action_item(world):
    item = action_item(world.program, world.staff, audience=Audience.INTERNAL)

    with pytest.raises(NotAllowed):
        action_item_share(actor=world.lead_a, item=item)

    item.refresh_from_db()
    assert item.audience == Audience.INTERNAL


def test_completing_an_action_item_bumps_the_program_version_once(
    world, django_capture_on_commit_callbacks
):
    item = action_item(world.program, world.pm)
    before = Program.objects.get(pk=world.program.pk).version

    with django_capture_on_commit_callbacks() as callbacks:
        action_item_complete(actor=world.pm, item=item)

    assert Program.objects.get(pk=world.program.pk).version == before + 1
    assert len(callbacks) == 1
