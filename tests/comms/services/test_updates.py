"""Posting and publishing updates: who may, what is written, what happens after commit."""

import pytest

from comms.models import Update
from comms.services.updates import (
    ALREADY_PUBLISHED,
    NOT_PROGRAM_TEAM,
    update_post,
    update_publish,
)
from portal.errors import Conflict, NotAllowed
from portal.models import AuditEntry
from programs.changes import FAN_OUT_TASK
from programs.models import Event
from tests.comms.conversation_data import draft_update


def _post(world, actor=None, **fields):
    fields = {"title": "Engineering run complete", "body": "Titre within range.", **fields}
    return update_post(actor=actor or world.pm, program=world.program, **fields)


@pytest.fixture
def after_commit(monkeypatch, django_capture_on_commit_callbacks):
    """Run a service and what it schedules after commit; record what leaves the process: live
    messages (Redis) and task names (the broker)."""
    sent: dict[str, list] = {"live": [], "tasks": []}
    monkeypatch.setattr("portal.live.publish", sent["live"].extend)
    monkeypatch.setattr("portal.queue._send", lambda name, args: sent["tasks"].append(name))

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = service(**kwargs)
        return result, sent

    return run


def test_the_program_pm_posts_an_update_with_event_and_audit(world, after_commit):
    version = world.program.version

    update, sent = after_commit(
        update_post,
        actor=world.pm,
        program=world.program,
        title="Engineering run complete",
        body="Titre within range.",
        significance="critical",
    )

    assert update.published_at is not None
    event = Event.objects.get(program=world.program, verb="update.posted")
    assert event.summary == "Critical update: Engineering run complete"
    assert event.audience == "sponsor"
    assert (event.subject_type, event.subject_id) == ("comms.update", str(update.pk))
    assert AuditEntry.objects.filter(model="comms.update", object_pk=str(update.pk)).exists()
    # After commit: one live message and the fan-out; an update is no input of health.
    assert [message.id for message in sent["live"]] == [event.id]
    assert sent["tasks"] == [FAN_OUT_TASK]
    world.program.refresh_from_db()
    assert world.program.version == version + 1


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "lead_b", "staff"])
def test_people_outside_the_program_team_cannot_post(world, persona):
    with pytest.raises(NotAllowed, match=NOT_PROGRAM_TEAM):
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


def test_an_internal_draft_is_not_published_until_shared(world, after_commit):
    draft = draft_update(world, program=world.program, author=world.pm)
    assert not Event.objects.filter(audience="sponsor").exists()

    published, sent = after_commit(update_publish, actor=world.pm, update=draft)

    assert published.audience == "sponsor"
    assert published.published_at is not None
    event = Event.objects.get(verb="update.published", audience="sponsor")
    assert [message.id for message in sent["live"]] == [event.id]
    assert sent["tasks"] == [FAN_OUT_TASK]
    audit = AuditEntry.objects.get(model="comms.update", action="update")
    assert audit.changes["audience"] == ["internal", "sponsor"]


def test_a_draft_posted_through_the_service_waits_unnotified(world):
    draft = _post(world, audience="internal")

    assert draft.published_at is None
    assert not Event.objects.filter(verb="update.posted", audience="sponsor").exists()
    assert not Event.objects.visible_to(world.lead_a).exists()


def test_only_the_program_team_shares_a_draft(world):
    draft = draft_update(world, program=world.program, author=world.pm)

    with pytest.raises(NotAllowed, match=NOT_PROGRAM_TEAM):
        update_publish(actor=world.staff, update=draft)
    draft.refresh_from_db()
    assert draft.audience == "internal"


def test_publishing_twice_is_refused(world):
    update = _post(world)
    with pytest.raises(Conflict, match=ALREADY_PUBLISHED):
        update_publish(actor=world.pm, update=update)
