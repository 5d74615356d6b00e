"""The action items page: filters, marking one done, adding one."""

from django.utils import timezone

from governance.models import ActionItem
from tests.governance.builders import action_item
from tests.support.world import client_for

HX = {"HTTP_HX_REQUEST": "true"}


def _body(response) -> str:
    return response.content.decode()


def test_the_action_items_page_filters_open_overdue_and_done(world):
    action_item(world.program, world.lead_a, title="Late one", due_in_days=-2)
    action_item(world.program, world.lead_a, title="Future one", due_in_days=5)
    action_item(world.program, world.lead_a, title="Finished", status="done")
    client = client_for(world, "viewer_a")

    overdue = _body(client.get("/programs/HLX-101/actions/?state=overdue"))
    done = _body(client.get("/programs/HLX-101/actions/?state=done"))

    assert "Late one" in overdue
    assert "Future one" not in overdue
    assert "Finished" in done
    assert "Late one" not in done


def test_the_owner_marks_an_action_done_from_the_list(world):
    item = action_item(world.program, world.viewer_a, title="Mine")

    response = client_for(world, "viewer_a").post(
        f"/programs/HLX-101/actions/{item.pk}/done/", {"state": "open"}, **HX
    )

    assert response.status_code == 200
    assert "actions-changed" in response["HX-Trigger"]
    item.refresh_from_db()
    assert item.status == "done"


def test_adding_an_action_without_a_title_answers_422(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/actions/new/",
        {"title": "", "owner": world.pm.pk, "due_date": timezone.localdate().isoformat()},
        **HX,
    )

    assert response.status_code == 422
    assert not ActionItem.objects.exists()
