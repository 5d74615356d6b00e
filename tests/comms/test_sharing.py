"""Audience: an internal note stays with the CDMO in every channel until the team shares it,
and sharing is an audited step that the sponsor's live pages receive."""

import csv
import io

import pytest

from comms import selectors
from comms.models import Comment, Notification
from comms.services import conversations, notifications
from portal import access
from portal.errors import Conflict, NotAllowed
from portal.live import LiveEvent
from portal.models import AuditEntry
from programs.models import Event
from tests.comms.conversation_data import draft_update, note, shared_update
from tests.support.api import api_client
from tests.support.world import client_for

THREAD = "/programs/HLX-101/comments/"
HISTORY = "/programs/HLX-101/history/"
API_COMMENTS = "/api/v1/programs/HLX-101/comments/"


def _csv(response) -> str:
    body = b"".join(response.streaming_content).decode()
    return "\n".join(",".join(row) for row in csv.reader(io.StringIO(body)))


def _sponsor_channels(world, update) -> dict[str, str]:
    """What a sponsor user reads of the program, channel by channel."""
    client = client_for(world, "lead_a")
    return {
        "thread": client.get(f"{THREAD}?update={update.pk}").content.decode(),
        "history": client.get(HISTORY).content.decode(),
        "export": _csv(client.get(HISTORY, {"export": "csv"})),
        "api": api_client(world, "lead_a").get(API_COMMENTS).content.decode(),
    }


def test_an_internal_note_reaches_no_sponsor_channel(world):
    update = shared_update(world)
    note(world, update, body="Resin lot 2 is not confirmed yet.")

    for channel, body in _sponsor_channels(world, update).items():
        assert "Resin lot 2" not in body, channel
    assert "Resin lot 2" in _csv(client_for(world, "pm").get(HISTORY, {"export": "csv"}))


def test_a_shared_note_reaches_every_sponsor_channel_and_is_audited(world):
    update = shared_update(world)
    internal = note(world, update, body="Resin lot 2 is not confirmed yet.")

    shared = conversations.comment_share(actor=world.pm, comment=internal)

    assert shared.audience == "sponsor"
    for channel, body in _sponsor_channels(world, update).items():
        assert "Resin lot 2" in body, channel
    entry = AuditEntry.objects.get(model="comms.comment", action="update")
    assert entry.changes["audience"] == ["internal", "sponsor"]
    event = Event.objects.get(verb="note.shared")
    assert (event.audience, event.subject_type) == ("sponsor", "comms.comment")


def test_sharing_is_announced_live_to_the_sponsor(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    internal = Comment.objects.create(
        program=world.program, update=shared_update(world), author=world.pm, body="Lot 2 late"
    )
    published: list[LiveEvent] = []
    monkeypatch.setattr("portal.live.publish", published.extend)

    with django_capture_on_commit_callbacks(execute=True):
        conversations.comment_share(actor=world.pm, comment=internal)

    (message,) = published
    sponsor = access.viewer(world.viewer_a)
    assert access.may_see(sponsor, sponsor_id=message.sponsor, audience=message.audience)


def test_a_comment_is_internal_unless_someone_decides_otherwise(world):
    comment = Comment.objects.create(
        program=world.program, update=shared_update(world), author=world.pm, body="Default"
    )
    assert comment.audience == "internal"
    assert not selectors.comment_list(user=world.lead_a, program=world.program).exists()


@pytest.mark.parametrize("persona", ["staff", "lead_a"])
def test_only_the_program_team_shares_a_note(world, persona):
    internal = note(world, shared_update(world))

    with pytest.raises(NotAllowed, match=conversations.ONLY_TEAM_SHARES):
        conversations.comment_share(actor=getattr(world, persona), comment=internal)
    internal.refresh_from_db()
    assert internal.audience == "internal"


def test_a_note_on_a_draft_waits_for_the_draft(world):
    internal = note(world, draft_update(world))

    with pytest.raises(Conflict, match=conversations.DRAFT_NOTE_CANNOT_BE_SHARED):
        conversations.comment_share(actor=world.pm, comment=internal)


def test_sharing_twice_is_a_conflict(world):
    internal = note(world, shared_update(world))
    conversations.comment_share(actor=world.pm, comment=internal)

    with pytest.raises(Conflict, match=conversations.ALREADY_SHARED):
        conversations.comment_share(actor=world.pm, comment=internal)


def test_the_pm_shares_a_note_from_the_thread_page(world):
    update = shared_update(world)
    internal = note(world, update)
    pm = client_for(world, "pm")
    assert "Share with sponsor" in pm.get(f"{THREAD}?update={update.pk}").content.decode()

    response = pm.post(f"{THREAD}{internal.pk}/share/")

    assert response.status_code == 302
    assert response["Location"].endswith(f"?update={update.pk}#comment-{internal.pk}")
    internal.refresh_from_db()
    assert internal.audience == "sponsor"


@pytest.mark.parametrize(("persona", "status"), [("staff", 403), ("lead_a", 404), ("lead_b", 404)])
def test_the_share_page_refuses_everyone_else(world, persona, status):
    internal = note(world, shared_update(world))

    response = client_for(world, persona).post(f"{THREAD}{internal.pk}/share/")

    assert response.status_code == status
    internal.refresh_from_db()
    assert internal.audience == "internal"


def test_notifications_about_what_a_user_may_no_longer_see_drop_out(world):
    update = shared_update(world)
    Notification.objects.create(
        recipient=world.lead_a, channel="in_app", update=update, subject="S", url="/programs/"
    )
    assert selectors.unread_notification_count(user=world.lead_a) == 1

    type(update).objects.filter(pk=update.pk).update(audience="internal", published_at=None)

    assert selectors.unread_notification_count(user=world.lead_a) == 0
    assert list(selectors.notification_list(user=world.lead_a)) == []


def test_an_internal_draft_is_never_delivered(world):
    draft_update(world)

    notifications.events_fan_out(event_ids=Event.objects.values_list("pk", flat=True))
    assert not Notification.objects.filter(recipient__membership__organisation=world.sponsor_a)
