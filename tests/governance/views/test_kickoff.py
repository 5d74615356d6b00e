"""The kick-off page: the checklist, its fragments, the record form and completing it."""

import datetime

from django.utils import timezone

from governance.models import Kickoff
from programs.models import Program
from tests.governance.builders import ready_for_kickoff
from tests.support.world import client_for

HX = {"HTTP_HX_REQUEST": "true"}


def _body(response) -> str:
    return response.content.decode()


def test_the_kickoff_page_shows_the_checklist_to_the_sponsor(world):
    body = _body(client_for(world, "lead_a").get("/programs/HLX-101/kickoff/"))

    assert "Baseline timeline agreed" in body
    assert "0 of 5" in body
    assert "Complete the kick-off" not in body


def test_completing_an_incomplete_kickoff_answers_422_with_what_is_missing(world):
    response = client_for(world, "pm").post("/programs/HLX-101/kickoff/complete/", {}, **HX)

    assert response.status_code == 422
    assert "Still missing" in _body(response)
    assert not Kickoff.objects.filter(completed_at__isnull=False).exists()


def test_the_pm_completes_a_ready_kickoff_with_htmx(world):
    ready_for_kickoff(world)

    response = client_for(world, "pm").post("/programs/HLX-101/kickoff/complete/", {}, **HX)

    assert response.status_code == 200
    assert "kickoff-changed" in response["HX-Trigger"]
    assert "The baseline timeline is frozen" in _body(response)
    assert Program.objects.get(code="HLX-101").baseline_frozen_at is not None


def test_the_kickoff_record_form_answers_422_on_a_future_date(world):
    future = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()

    response = client_for(world, "pm").post(
        "/programs/HLX-101/kickoff/record/", {"held_on": future}, **HX
    )

    assert response.status_code == 422
    assert "cannot be in the future" in _body(response)
    assert not Kickoff.objects.exists()


def test_the_progress_fragment_is_small_and_standalone(world):
    response = client_for(world, "viewer_a").get(
        "/programs/HLX-101/kickoff/?fragment=progress", **HX
    )

    body = _body(response)
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="kickoff-progress"')
    assert "<html" not in body
    assert "sse:program-HLX-101" in body
