"""The timeline page, the milestone page and the workstream editor: what each persona sees,
the team's HTMX forms, and the answers without JavaScript."""

import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from programs.models import Milestone, Workstream
from programs.services import common, timeline
from tests.programs.builders import day, milestone, workstream
from tests.support.world import client_for

HTMX = {"HX-Request": "true"}


TIMELINE = "/programs/HLX-101/timeline/"


@pytest.fixture
def plan(world):
    ws = workstream(world.program, "Tech transfer", cdmo_owner=world.pm)
    return {
        "ws": ws,
        "done": milestone(
            world.program, "Package complete", baseline=-20, actual=-18, workstream=ws
        ),
        "late": milestone(
            world.program, "Engineering run", baseline=20, forecast=44, workstream=ws
        ),
        "open": milestone(world.program, "IND section", baseline=60),
    }


def _svg(html: str) -> ET.Element:
    start = html.index("<svg")
    end = html.index("</svg>", start) + len("</svg>")
    return ET.fromstring(html[start:end])


def _reschedule(client, m: Milestone, **data):
    return client.post(f"/programs/HLX-101/milestones/{m.pk}/reschedule/", data, headers=HTMX)


def test_the_sponsor_sees_the_chart_and_the_same_data_as_a_table(world, plan):
    response = client_for(world, "viewer_a").get(TIMELINE)

    assert response.status_code == 200
    html = response.content.decode()
    chart = _svg(html)
    assert chart.get("role") == "group"  # its milestones are links (see programs/svg.py)
    assert f'id="ms-{plan["late"].pk}" class="is-beyond"' in html
    assert "+24 d" in html
    assert "Beyond threshold" in html
    assert "Add a milestone" not in html
    assert "hx-post" not in html


def test_the_program_team_gets_the_forms(world, plan):
    html = client_for(world, "pm").get(TIMELINE).content.decode()

    assert "Add a milestone" in html
    assert "Add a workstream" in html
    assert f"/programs/HLX-101/milestones/{plan['late'].pk}/?fragment=editor" in html


def test_an_empty_timeline_says_what_will_appear(world):
    html = client_for(world, "lead_a").get(TIMELINE).content.decode()

    assert "No milestones yet." in html
    assert "<svg" not in html


@pytest.mark.parametrize("fragment", ["chart", "milestones", "workstreams"])
def test_a_live_fragment_is_served_alone_to_htmx(world, plan, fragment):
    response = client_for(world, "lead_a").get(f"{TIMELINE}?fragment={fragment}", headers=HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(("<section", "<div"))
    assert f'id="{fragment}"' in html
    assert "<html" not in html
    assert "sse:program-HLX-101" in html
    assert "HX-Request" in response["Vary"]


def test_a_fragment_request_without_htmx_gets_the_whole_page(world, plan):
    response = client_for(world, "lead_a").get(f"{TIMELINE}?fragment=chart")

    assert "<html" in response.content.decode()


def test_a_code_that_cannot_exist_is_a_404(world):
    assert client_for(world, "pm").get("/programs/hlx%00/timeline/").status_code == 404


def test_the_pm_moves_a_forecast_with_a_reason_through_htmx(world, plan):
    m = plan["open"]

    response = _reschedule(
        client_for(world, "pm"), m, forecast_date=day(64).isoformat(), reason="Fill line booked"
    )

    assert response.status_code == 200
    assert "timeline-changed" in response["HX-Trigger"]
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="milestone-editor"')
    assert "Forecast moved; the reason is in the history." in html
    assert "Fill line booked" in html
    m.refresh_from_db()
    assert m.forecast_date == day(64)


def test_a_move_without_a_reason_answers_422_inline_and_saves_nothing(world, plan):
    m = plan["open"]

    response = _reschedule(client_for(world, "pm"), m, forecast_date=day(64).isoformat())

    assert response.status_code == 422
    assert common.REASON_REQUIRED in response.content.decode()
    m.refresh_from_db()
    assert m.forecast_date == day(60)


def test_a_forecast_in_the_past_answers_422_with_the_rule(world, plan):
    m = plan["open"]

    response = _reschedule(
        client_for(world, "pm"), m, forecast_date=day(-2).isoformat(), reason="Typo"
    )

    assert response.status_code == 422
    assert timeline.FORECAST_IN_PAST in response.content.decode()
    m.refresh_from_db()
    assert m.forecast_date == day(60)


def test_without_javascript_a_move_redirects_with_a_message(world, plan):
    client = client_for(world, "pm")

    response = client.post(
        f"/programs/HLX-101/milestones/{plan['open'].pk}/reschedule/",
        {"forecast_date": day(70).isoformat(), "reason": "Later"},
        follow=True,
    )

    assert response.redirect_chain == [(TIMELINE, 302)]
    assert "Forecast moved" in response.content.decode()


def test_without_javascript_an_invalid_move_shows_the_whole_page_with_422(world, plan):
    response = client_for(world, "pm").post(
        f"/programs/HLX-101/milestones/{plan['open'].pk}/reschedule/",
        {"forecast_date": "", "reason": ""},
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" in html
    assert common.REASON_REQUIRED in html


def test_after_the_kickoff_a_baseline_change_without_reason_is_refused_inline(world, plan):
    world.program.baseline_frozen_at = timezone.now()
    world.program.save(update_fields=["baseline_frozen_at"])
    m = plan["open"]

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/milestones/{m.pk}/rebaseline/",
        {"baseline_date": day(70).isoformat(), "reason": ""},
        headers=HTMX,
    )

    assert response.status_code == 422
    assert timeline.BASELINE_FROZEN in response.content.decode()
    m.refresh_from_db()
    assert m.baseline_date == day(60)


def test_the_pm_marks_a_milestone_complete(world, plan):
    m = plan["open"]

    response = client_for(world, "pm").post(
        f"/programs/HLX-101/milestones/{m.pk}/complete/",
        {"actual_date": day(0).isoformat(), "reason": ""},
        headers=HTMX,
    )

    assert response.status_code == 200
    m.refresh_from_db()
    assert m.actual_date == day(0)


def test_the_sponsor_reads_a_milestones_history_with_its_reasons(world, plan):
    timeline.milestone_reschedule(
        actor=world.pm, milestone=plan["late"], forecast_date=day(50), reason="Resin delayed"
    )

    response = client_for(world, "lead_a").get(f"/programs/HLX-101/milestones/{plan['late'].pk}/")

    html = response.content.decode()
    assert "Forecast moved" in html
    assert "Reason: Resin delayed" in html
    assert "Move the forecast" not in html


def test_the_pm_adds_a_milestone_through_htmx(world, plan):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/milestones/",
        {"name": "Batch 1 release", "workstream": plan["ws"].pk, "baseline_date": day(90)},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "timeline-changed" in response["HX-Trigger"]
    assert "Milestone added." in response.content.decode()
    created = Milestone.objects.get(name="Batch 1 release")
    assert created.forecast_date == created.baseline_date == day(90)


def test_a_milestone_without_a_name_or_date_answers_422(world, plan):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/milestones/", {"name": "", "baseline_date": ""}, headers=HTMX
    )

    assert response.status_code == 422
    assert response.content.decode().count('class="field-error"') == 2
    assert Milestone.objects.count() == 3


def test_a_workstream_ending_before_it_starts_answers_422_and_saves_nothing(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/workstreams/",
        {
            "name": "Fill-finish",
            "kind": "fill_finish",
            "status": "not_started",
            "start_date": day(30).isoformat(),
            "end_date": day(10).isoformat(),
        },
        headers=HTMX,
    )

    assert response.status_code == 422
    assert timeline.WORKSTREAM_DATES_ORDER in response.content.decode()
    assert not Workstream.objects.filter(name="Fill-finish").exists()


def test_the_sponsor_owner_is_chosen_among_this_sponsors_people(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/workstreams/",
        {
            "name": "Analytical",
            "kind": "analytical",
            "status": "not_started",
            "sponsor_owner": world.lead_b.pk,
        },
        headers=HTMX,
    )

    assert response.status_code == 422
    assert not Workstream.objects.filter(name="Analytical").exists()


def test_the_pm_edits_a_workstream_in_the_side_panel(world, plan):
    client = client_for(world, "pm")
    url = f"/programs/HLX-101/workstreams/{plan['ws'].pk}/edit/"
    panel = client.get(f"{url}?fragment=editor", headers=HTMX).content.decode()
    assert panel.lstrip().startswith('<section id="workstream-editor"')

    response = client.post(
        url,
        {
            "name": "Tech transfer",
            "kind": "tech_transfer",
            "status": "in_progress",
            "cdmo_owner": world.pm.pk,
            "sponsor_owner": world.lead_a.pk,
        },
        headers=HTMX,
    )

    assert response.status_code == 200
    assert "timeline-changed" in response["HX-Trigger"]
    plan["ws"].refresh_from_db()
    assert plan["ws"].sponsor_owner == world.lead_a


def test_the_date_pickers_open_on_the_current_dates_in_iso_form(world, plan):
    html = (
        client_for(world, "pm")
        .get(f"/programs/HLX-101/milestones/{plan['open'].pk}/?fragment=editor", headers=HTMX)
        .content.decode()
    )

    assert f'name="forecast_date" value="{day(60).isoformat()}"' in html
    assert f'name="actual_date" value="{day(0).isoformat()}"' in html
