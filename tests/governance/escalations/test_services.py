"""Raising, acknowledging, assigning and resolving escalations, and setting paths."""

import pytest

from governance.escalations import services
from governance.escalations.models import Escalation, EscalationPath
from governance.escalations.selectors import effective_levels, level_recipients
from portal.access import Audience
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry
from programs.models import Event
from tests.governance.escalations.builders import concern, issue


def test_a_sponsor_concern_goes_straight_to_leadership_and_the_sponsor_sees_it(world):
    escalation = concern(world)

    assert escalation.level == 3  # the built-in path's leadership level
    assert escalation.audience == Audience.SPONSOR
    assert escalation.due_at is None  # the last level: nothing above it
    assert level_recipients(escalation) == [world.leader]
    event = Event.objects.get(verb="escalation.raised")
    assert event.kind == "escalation"
    assert event.audience == Audience.SPONSOR
    assert Escalation.objects.visible_to(world.lead_a).count() == 1
    assert Escalation.objects.visible_to(world.lead_b).count() == 0


def test_a_pm_issue_starts_at_the_first_level_and_stays_internal(world):
    escalation = issue(world)

    assert escalation.level == 1
    assert escalation.audience == Audience.INTERNAL
    assert escalation.due_at is not None
    assert level_recipients(escalation) == [world.pm]
    assert Escalation.objects.visible_to(world.lead_a).count() == 0
    assert AuditEntry.objects.filter(model="governance.escalation").exists()


def test_a_sponsor_cannot_raise_an_issue_nor_the_cdmo_a_concern(world):
    with pytest.raises(NotAllowed):
        services.issue_raise(actor=world.lead_a, program=world.program, title="x")
    with pytest.raises(NotAllowed):
        services.concern_raise(actor=world.pm, program=world.program, title="x")
    with pytest.raises(NotAllowed):
        services.concern_raise(actor=world.lead_b, program=world.program, title="x")


def test_an_empty_title_is_refused_naming_the_field(world):
    with pytest.raises(Invalid) as caught:
        services.concern_raise(actor=world.lead_a, program=world.program, title="  ")

    assert caught.value.field == "title"
    assert not Escalation.objects.exists()


def test_leadership_acknowledges_once(world):
    escalation = concern(world)
    services.escalation_acknowledge(actor=world.leader, escalation=escalation)

    with pytest.raises(Conflict) as caught:
        services.escalation_acknowledge(actor=world.leader, escalation=escalation)

    assert caught.value.message == services.ALREADY_ACKNOWLEDGED
    escalation.refresh_from_db()
    assert escalation.acknowledged_by == world.leader
    ack = Event.objects.get(verb="escalation.acknowledged")
    assert ack.audience == Audience.SPONSOR  # the sponsor sees their concern acknowledged


def test_only_leadership_acts_on_escalations(world):
    escalation = issue(world)
    for user in (world.pm, world.staff, world.lead_a):
        with pytest.raises(NotAllowed):
            services.escalation_acknowledge(actor=user, escalation=escalation)


def test_resolving_needs_a_note_and_happens_once(world):
    escalation = concern(world)
    with pytest.raises(Invalid) as caught:
        services.escalation_resolve(actor=world.leader, escalation=escalation, resolution=" ")
    assert caught.value.field == "resolution"

    services.escalation_resolve(
        actor=world.leader, escalation=escalation, resolution="Moved the fill slot forward."
    )
    with pytest.raises(Conflict):
        services.escalation_resolve(actor=world.leader, escalation=escalation, resolution="x")
    escalation.refresh_from_db()
    assert escalation.status == "resolved"
    assert escalation.acknowledged_at is not None
    assert Event.objects.get(verb="escalation.resolved").audience == Audience.SPONSOR


def test_assigning_is_internal_and_only_to_cdmo_people(world):
    escalation = concern(world)
    with pytest.raises(Invalid) as caught:
        services.escalation_assign(actor=world.leader, escalation=escalation, assignee=world.lead_a)
    assert caught.value.field == "assignee"

    services.escalation_assign(actor=world.leader, escalation=escalation, assignee=world.pm)

    assert Event.objects.get(verb="escalation.assigned").audience == Audience.INTERNAL


def test_a_program_path_replaces_the_default_for_that_program(world):
    services.escalation_path_set(
        actor=world.pm,
        program=world.program,
        levels=[
            {"person": world.staff, "window": 4, "window_unit": "hours"},
            {"role": "leadership", "window": 2, "window_unit": "business_days"},
        ],
    )

    levels = effective_levels(world.program)
    assert [(lv.position, lv.person_id, lv.role) for lv in levels] == [
        (1, world.staff.pk, ""),
        (2, None, "leadership"),
    ]
    assert len(effective_levels(world.program_b)) == 3  # still the built-in path
    assert level_recipients(issue(world)) == [world.staff]


@pytest.mark.parametrize(
    ("levels", "field"),
    [
        ([], "levels"),
        ([{"role": "pm", "window": 0, "window_unit": "hours"}], "levels[0].window"),
        ([{"role": "pm", "window": -3, "window_unit": "hours"}], "levels[0].window"),
        (
            [{"role": "pm", "window": 1}, {"role": "pm", "window": 1, "window_unit": "weeks"}],
            "levels[1].window_unit",
        ),
        ([{"role": "", "window": 1}], "levels[0].role"),
    ],
)
def test_a_bad_path_is_refused_naming_the_field_and_changes_nothing(world, levels, field):
    with pytest.raises(Invalid) as caught:
        services.escalation_path_set(actor=world.leader, program=world.program, levels=levels)

    assert caught.value.field == field
    assert not EscalationPath.objects.exists()


def test_only_leadership_sets_the_default_path_and_only_the_pm_or_leadership_a_programs(world):
    level = [{"role": "leadership", "window": 1, "window_unit": "hours"}]
    with pytest.raises(NotAllowed):
        services.escalation_path_set(actor=world.pm, program=None, levels=level)
    with pytest.raises(NotAllowed):
        services.escalation_path_set(actor=world.staff, program=world.program, levels=level)

    services.escalation_path_set(actor=world.leader, program=None, levels=level)

    assert len(effective_levels(world.program_b)) == 1


def test_a_qa_level_reaches_the_programs_qa_not_operations_staff(world):
    services.escalation_path_set(
        actor=world.leader,
        program=world.program,
        levels=[{"role": "qa", "window": 4, "window_unit": "hours"}],
    )

    assert level_recipients(issue(world)) == [world.qa]
