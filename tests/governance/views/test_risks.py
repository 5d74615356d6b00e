"""The risk register page: the heat map, adding and editing a risk."""

from django.utils import timezone

from governance.models import Risk
from tests.governance.builders import risk
from tests.support.world import client_for

HX = {"HTTP_HX_REQUEST": "true"}


def _body(response) -> str:
    return response.content.decode()


def test_the_risk_page_has_an_accessible_heat_map_and_a_table_alternative(world):
    risk(world.program, world.pm, title="Resin", likelihood=5, impact=4)

    body = _body(client_for(world, "viewer_a").get("/programs/HLX-101/risks/"))

    assert '<svg viewBox="0 0 380 372" role="img"' in body
    assert '<title id="heat-title">' in body
    assert "Likelihood 5, impact 4: 1 risk." in body
    assert "The heat map as a table" in body
    assert "Resin" in body
    assert "Add a risk" not in body


def test_adding_a_risk_out_of_range_answers_422(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/risks/new/",
        {
            "title": "Too likely",
            "likelihood": "9",
            "impact": "2",
            "owner": world.pm.pk,
            "status": "open",
            "review_date": timezone.localdate().isoformat(),
        },
        **HX,
    )

    assert response.status_code == 422
    assert not Risk.objects.exists()


def test_the_pm_edits_a_risk(world):
    entry = risk(world.program, world.pm, title="Resin")

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/risks/{entry.pk}/",
        {
            "title": "Resin supply",
            "likelihood": "2",
            "impact": "2",
            "owner": world.pm.pk,
            "status": "mitigated",
            "review_date": timezone.localdate().isoformat(),
        },
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.title, entry.status) == ("Resin supply", "mitigated")
