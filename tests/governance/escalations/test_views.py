"""Leadership's room and a program's escalations page, as people use them."""

from governance.escalations.models import Escalation
from governance.escalations.services import RESOLUTION_REQUIRED, escalation_acknowledge
from tests.governance.escalations.builders import concern, issue
from tests.support.queries import HTMX
from tests.support.world import client_for


def test_the_sponsor_program_page_offers_a_concern_to_leadership(world):
    page = client_for(world, "lead_a").get("/programs/HLX-101/").content.decode()

    assert "Raise a concern to leadership" in page
    assert "Raise a concern to leadership" not in (
        client_for(world, "pm").get("/programs/HLX-101/").content.decode()
    )


def test_a_sponsor_raises_a_concern_from_the_form_and_sees_it(world):
    client = client_for(world, "viewer_a")
    response = client.post(
        "/programs/HLX-101/escalations/raise/",
        {"title": "Batch record reviews are late", "detail": "Third week running."},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "escalations-changed" in response["HX-Trigger"]
    page = client.get("/programs/HLX-101/escalations/").content.decode()
    assert "Batch record reviews are late" in page


def test_an_empty_concern_is_shown_inline_and_raises_nothing(world):
    response = client_for(world, "lead_a").post(
        "/programs/HLX-101/escalations/raise/", {"title": ""}, headers=HTMX
    )

    assert response.status_code == 422
    assert 'id="id_title_error"' in response.content.decode()
    assert not Escalation.objects.exists()


def test_the_queue_shows_every_sponsors_escalations_with_level_and_time_left(world):
    concern(world)
    issue(world, title="Resin supply at risk")

    page = client_for(world, "leader").get("/leadership/escalations/").content.decode()

    assert "Release date keeps moving" in page
    assert "Resin supply at risk" in page
    assert "Helix" in page
    assert "top level" in page  # the concern sits at the last level


def test_the_due_in_24_hours_filter_shows_the_look_ahead(world):
    issue(world, title="Due soon")  # one business day: not within 24 h on most days
    page = client_for(world, "leader").get("/leadership/escalations/?due=24h").content.decode()

    assert "due in the next 24 hours" in page


def test_leadership_acknowledges_and_resolves_from_the_queue(world):
    escalation = concern(world)
    client = client_for(world, "leader")

    ack = client.post(f"/leadership/escalations/{escalation.pk}/acknowledge/", headers=HTMX)
    assert ack.status_code == 200
    again = client.post(f"/leadership/escalations/{escalation.pk}/acknowledge/", headers=HTMX)
    assert again.status_code == 422

    empty = client.post(
        f"/leadership/escalations/{escalation.pk}/resolve/", {"resolution": ""}, headers=HTMX
    )
    assert empty.status_code == 422
    assert RESOLUTION_REQUIRED in empty.content.decode()

    done = client.post(
        f"/leadership/escalations/{escalation.pk}/resolve/",
        {"resolution": "Slot booked."},
        headers=HTMX,
    )
    assert done.status_code == 200
    escalation.refresh_from_db()
    assert escalation.resolution == "Slot booked."


def test_the_sponsor_sees_the_acknowledgement_of_their_concern(world):
    escalation = concern(world)
    escalation_acknowledge(actor=world.leader, escalation=escalation)

    page = client_for(world, "lead_a").get("/programs/HLX-101/escalations/").content.decode()

    assert "Acknowledged by" in page


def test_the_portfolio_shows_open_escalations_and_filters_by_sponsor(world):
    issue(world)
    client = client_for(world, "leader")

    page = client.get("/leadership/portfolio/").content.decode()
    assert "HLX-101" in page
    assert "BOR-017" in page
    only_b = client.get(f"/leadership/portfolio/?sponsor={world.sponsor_b.pk}").content.decode()
    assert "BOR-017" in only_b
    assert "HLX-101" not in only_b
