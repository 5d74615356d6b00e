"""Posting and publishing updates: who may, what is written, what happens after commit."""

import pytest

from comms.models import Update
from comms.services import (
    ALREADY_PUBLISHED,
    NOT_PROGRAM_TEAM,
    update_post,
    update_publish,
)
from portal.errors import ServiceError
from portal.models import AuditEntry
from programs.models import Event


def _post(world, actor=None, **fields):
    fields = {"title": "Engineering run complete", "body": "Titre within range.", **fields}
    return update_post(actor=actor or world.pm, program=world.program, **fields)


def test_the_program_pm_posts_an_update_with_event_and_audit(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        update = _post(world, significance="critical")

    assert update.published_at is not None
    event = Event.objects.get(program=world.program, verb="update.posted")
    assert event.summary == "Critical update: Engineering run complete"
    assert event.audience == "sponsor"
    assert AuditEntry.objects.filter(model="comms.update", object_pk=str(update.pk)).exists()
    # After commit: one live publish and one delivery enqueue.
    assert len(callbacks) == 3  # live publish, delivery, health refresh


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "lead_b", "staff"])
def test_people_outside_the_program_team_cannot_post(world, persona):
    with pytest.raises(ServiceError, match=NOT_PROGRAM_TEAM):
        _post(world, actor=getattr(world, persona))
    assert not Update.objects.exists()
    assert not AuditEntry.objects.filter(model="comms.update").exists()


def test_leadership_may_post_on_any_program(world):
    assert _post(world, actor=world.leader).author == world.leader


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "   "}, "title"),
        ({"body": ""}, "body"),
        ({"significance": "urgent"}, "significance"),
        ({"category": "gossip"}, "category"),
        ({"audience": "everyone"}, "audience"),
        ({"title": "x" * 201}, "title"),
    ],
)
def test_invalid_input_changes_nothing(world, fields, field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        _post(world, **fields)
    assert field in excinfo.value.message_dict
    assert not Update.objects.exists()
    assert not Event.objects.filter(verb="update.posted").exists()


def test_an_internal_draft_is_not_published_until_shared(world, django_capture_on_commit_callbacks):
    draft = _post(world, audience="internal")
    assert draft.published_at is None
    assert not Event.objects.filter(verb="update.posted", audience="sponsor").exists()

    with django_capture_on_commit_callbacks() as callbacks:
        published = update_publish(actor=world.pm, update=draft)
    assert published.audience == "sponsor"
    assert published.published_at is not None
    assert Event.objects.filter(verb="update.published", audience="sponsor").exists()
    assert len(callbacks) == 3  # live publish, delivery, health refresh
    audit = AuditEntry.objects.get(model="comms.update", action="update")
    assert audit.changes["audience"] == ["internal", "sponsor"]


def test_publishing_twice_is_refused(world):
    update = _post(world)
    with pytest.raises(ServiceError, match=ALREADY_PUBLISHED):
        update_publish(actor=world.pm, update=update)
