import pytest

from comms.services.conversations import comment_post
from integrations.services import deliveries, endpoints
from tests.comms.conversation_data import shared_update


@pytest.fixture
def local_hooks(settings):
    """The receiver runs on loopback over http: allowed for these tests only."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    return settings


def register(world, url: str, kinds=("comment", "update")):
    endpoint, secret = endpoints.webhook_endpoint_create(
        actor=world.lead_a, url=url, event_kinds=list(kinds), description="QMS bridge"
    )
    return endpoint, secret


def sponsor_comment(world, body: str = "Thanks, noted."):
    """A comment by sponsor A's lead on a shared update: one sponsor-audience event."""
    update = shared_update(world, title="Fill line qualified", audience="sponsor")
    comment = comment_post(actor=world.lead_a, target=update, body=body)
    return comment, world.program.events.get(subject_id=str(comment.pk), verb="comment.posted")


def queue_and_get(event):
    ids = deliveries.webhook_deliveries_queue(event_ids=[event.pk])
    assert len(ids) == 1
    return ids[0]
