"""The agenda composed from what is open on the program, and the sections other apps add."""

import datetime

from django.utils import timezone

from governance import agenda
from programs.models import Milestone
from tests.governance.builders import action_item, meeting, risk


def test_the_agenda_lists_overdue_actions_due_or_slipping_milestones_and_top_risks(world):
    held = meeting(world.program)
    action_item(world.program, world.lead_a, title="Overdue thing", due_in_days=-3)
    action_item(world.program, world.lead_a, title="Not yet due", due_in_days=10)
    today = timezone.localdate()
    Milestone.objects.create(
        program=world.program,
        name="Due soon",
        baseline_date=today,
        forecast_date=today + datetime.timedelta(days=5),
    )
    Milestone.objects.create(
        program=world.program,
        name="Far and on time",
        baseline_date=today + datetime.timedelta(days=90),
        forecast_date=today + datetime.timedelta(days=90),
    )
    risk(world.program, world.pm, title="Big", likelihood=5, impact=4)
    risk(world.program, world.pm, title="Closed", likelihood=5, impact=5, status="closed")

    sections = {s.key: s for s in agenda.compose_agenda(world.program, held)}

    assert [i.text for i in sections["overdue-action-items"].items] == ["Overdue thing"]
    assert [i.text for i in sections["milestones"].items] == ["Due soon"]
    assert "days behind the baseline" in sections["milestones"].items[0].detail
    assert [i.text for i in sections["top-risks"].items] == ["Big"]


def test_other_apps_add_agenda_sections_through_the_registry(world, monkeypatch):
    monkeypatch.setattr(agenda, "REGISTRY", {})
    agenda.register_section("open questions", lambda program, m: [f"Any news on {program.code}?"])
    agenda.register_section("broken", lambda program, m: 1 / 0)

    sections = agenda.compose_agenda(world.program, meeting(world.program))

    assert [s.key for s in sections][-1] == "open-questions"
    assert sections[-1].title == "Open questions"
    assert sections[-1].items[0].text == "Any news on HLX-101?"
