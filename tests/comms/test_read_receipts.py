"""Read receipts: a sponsor user's view of an update is recorded, in one query for the page;
the program team sees who of the sponsor has read each notable or critical update; sponsors
never see anyone's receipts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from comms import selectors
from comms.models import Notification, UpdateRead
from comms.services import notifications, updates
from portal.models import Membership
from tests.comms.conversation_data import ask, draft_update, shared_update
from tests.factories import member
from tests.support.queries import count_queries, htmx_if_fragment
from tests.support.world import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def readers(update) -> set[str]:
    return set(UpdateRead.objects.filter(update=update).values_list("user__email", flat=True))


def test_a_sponsor_user_viewing_the_program_page_has_read_its_updates(world):
    first = shared_update(world)
    second = shared_update(world, significance="critical")

    client_for(world, "viewer_a").get("/programs/HLX-101/")

    assert readers(first) == readers(second) == {world.viewer_a.email}


def test_reads_are_recorded_once_and_a_second_visit_writes_nothing(world):
    update = shared_update(world)
    client = client_for(world, "lead_a")
    client.get("/programs/HLX-101/")
    first_read = UpdateRead.objects.get(update=update).read_at

    with CaptureQueriesContext(connection) as ctx:
        client.get("/programs/HLX-101/")

    assert UpdateRead.objects.get(update=update).read_at == first_read
    assert not [q for q in ctx.captured_queries if "INSERT" in q["sql"].upper()]


def test_the_live_updates_fragment_records_what_it_shows(world):
    update = shared_update(world)

    client_for(world, "lead_a").get("/programs/HLX-101/?fragment=updates", **HTMX)

    assert readers(update) == {world.lead_a.email}


@pytest.mark.parametrize("persona", ["staff", "pm", "leader"])
def test_cdmo_users_reading_an_update_do_not_count(world, persona):
    update = shared_update(world)

    client_for(world, persona).get("/programs/HLX-101/")

    assert readers(update) == set()


def test_following_the_notification_of_an_update_reads_it(world):
    update = updates.update_post(
        actor=world.pm, program=world.program, title="Shipped", body="On its way."
    )
    notifications.events_fan_out(event_ids=update.program.events.values_list("pk", flat=True))
    notification = Notification.objects.get(recipient=world.viewer_a, channel="in_app")

    response = client_for(world, "viewer_a").get(f"/notifications/{notification.pk}/")

    assert response.status_code == 302
    assert response["Location"] == notification.url
    assert readers(update) == {world.viewer_a.email}


def test_the_pm_sees_who_of_the_sponsor_has_read_a_critical_update(world):
    update = shared_update(world, significance="critical", title="Resin lead time")
    client_for(world, "viewer_a").get("/programs/HLX-101/")

    body = client_for(world, "pm").get("/programs/HLX-101/").content.decode()

    assert "Read by 1 of 2" in body
    assert f"Not read yet: </span>{world.lead_a.display_name}" in body
    assert f"Read: </span>{world.viewer_a.display_name}" in body
    receipt = selectors.read_receipts(world.pm, [update.pk])[update.pk]
    assert [r.user for r in receipt.read] == [world.viewer_a]
    assert receipt.unread == [world.lead_a]


def test_an_info_update_has_no_read_receipt(world):
    update = shared_update(world, significance="info")

    assert selectors.read_receipts(world.pm, [update.pk]) == {}
    assert "Read by" not in client_for(world, "pm").get("/programs/HLX-101/").content.decode()


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "lead_b", "staff"])
def test_only_the_program_team_sees_read_receipts(world, persona):
    update = shared_update(world, significance="notable")
    client_for(world, "viewer_a").get("/programs/HLX-101/")
    user = getattr(world, persona)

    assert selectors.read_receipts(user, [update.pk]) == {}
    if persona != "lead_b":
        body = client_for(world, persona).get("/programs/HLX-101/").content.decode()
        assert "Read by" not in body


def test_leadership_sees_read_receipts_on_every_program(world):
    update = shared_update(world, program=world.program_b, significance="critical")

    receipt = selectors.read_receipts(world.leader, [update.pk])[update.pk]

    assert receipt.total == 1
    assert receipt.unread == [world.lead_b]


def test_receipts_count_only_the_updates_sponsors_active_people(world):
    update = shared_update(world, significance="critical")
    leaver = member(world.sponsor_a, Membership.Role.SPONSOR_VIEWER, is_active=False)
    UpdateRead.objects.create(update=update, user=leaver)
    UpdateRead.objects.create(update=update, user=world.lead_a)

    receipt = selectors.read_receipts(world.pm, [update.pk])[update.pk]

    assert receipt.total == 2
    assert [r.user for r in receipt.read] == [world.lead_a]


def test_an_internal_draft_is_never_read_by_a_sponsor(world):
    draft = draft_update(world, significance="critical")

    updates.update_reads_record(user=world.lead_a, updates=[draft])
    client_for(world, "lead_a").get("/programs/HLX-101/")

    assert readers(draft) == set()
    assert selectors.read_receipts(world.pm, [draft.pk]) == {}


def _grow(world, updates: int) -> None:
    """More updates, most of them read by several sponsor users, with threads."""
    people = [member(world.sponsor_a, Membership.Role.SPONSOR_VIEWER) for _ in range(3)]
    for n in range(updates):
        update = shared_update(world, significance=["info", "notable", "critical"][n % 3])
        UpdateRead.objects.bulk_create([UpdateRead(update=update, user=p) for p in people])
        ask(world, update, asker=people[0])


@pytest.mark.parametrize("url", ["/programs/HLX-101/", "/programs/HLX-101/?fragment=updates"])
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_the_program_page_costs_the_same_with_read_receipts_recorded(world, persona, url):
    client = client_for(world, persona)
    _grow(world, updates=2)
    first_small = count_queries(client, url, headers=htmx_if_fragment(url))
    small = count_queries(client, url, headers=htmx_if_fragment(url))
    _grow(world, updates=15)
    first_large = count_queries(client, url, headers=htmx_if_fragment(url))
    large = count_queries(client, url, headers=htmx_if_fragment(url))

    assert first_large == first_small
    assert large == small
    # Recording the reads of a first visit is one INSERT for the page and the program's
    # version bump under its lock: the same few queries however many updates. A repeat visit,
    # and a CDMO visit, record nothing.
    recording = first_small - small
    assert recording == first_large - large
    assert (recording > 0) == (persona == "lead_a")
