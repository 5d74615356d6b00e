"""What the investigation learns: edits with a reason (audited with it), the affected
milestones, stale and closed refusals, and root causes."""

import datetime

import pytest

from deviations.services import common, investigation
from portal.access import NOT_ALLOWED
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry
from programs.models import Event, Milestone, Program
from tests.deviations.conftest import move


def _milestone(program: Program) -> Milestone:
    return Milestone.objects.create(
        program=program,
        name="PPQ batch 1",
        baseline_date=datetime.date(2026, 1, 1),
        forecast_date=datetime.date(2026, 1, 1),
    )


def test_an_edit_needs_a_reason(world, deviation):
    with pytest.raises(Invalid) as refused:
        investigation.deviation_update(
            actor=world.pm, deviation=deviation, expected_version=1, reason=" ", title="New"
        )
    assert (refused.value.message, refused.value.field) == (common.REASON_REQUIRED, "reason")


def test_an_edit_is_audited_with_its_reason_and_the_affected_milestones(world, deviation):
    milestone = _milestone(world.program)
    updated = investigation.deviation_update(
        actor=world.staff,
        deviation=deviation,
        expected_version=1,
        reason="Assessment after the batch review",
        classification="critical",
        impact_other_batches="None: the filter lot was used once",
        affected_milestones=[milestone],
    )
    assert updated.version == 2
    assert list(updated.affected_milestones.all()) == [milestone]
    fields, links = AuditEntry.objects.filter(model="deviations.deviation", action="update")
    assert fields.changes["classification"] == ["major", "critical"]
    assert fields.changes["version"] == [1, 2]
    assert links.changes == {"affected_milestones": [[], [milestone.pk]]}
    assert {fields.reason, links.reason} == {"Assessment after the batch review"}
    event = Event.objects.get(verb="deviation.updated")
    assert (event.subject_type, event.subject_id) == ("deviations.deviation", str(deviation.pk))


def test_unchanged_milestones_write_no_audit_entry_of_their_own(world, deviation):
    investigation.deviation_update(
        actor=world.pm, deviation=deviation, expected_version=1, reason="r", affected_milestones=[]
    )
    assert not AuditEntry.objects.filter(changes__has_key="affected_milestones").exists()


def test_a_milestone_of_another_program_is_invalid(world, deviation):
    other = Program.objects.create(
        sponsor=world.sponsor_a, code="HLX-999", name="Other", phase="phase_1"
    )
    with pytest.raises(Invalid) as refused:
        investigation.deviation_update(
            actor=world.pm,
            deviation=deviation,
            expected_version=1,
            reason="r",
            affected_milestones=[_milestone(other)],
        )
    assert refused.value.field == "affected_milestones"


def test_a_field_that_is_not_editable_is_invalid(world, deviation):
    with pytest.raises(Invalid) as refused:
        investigation.deviation_update(
            actor=world.pm, deviation=deviation, expected_version=1, reason="r", status="closed"
        )
    assert (refused.value.message, refused.value.field) == (investigation.NOT_EDITABLE, "status")


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a"])
def test_the_sponsor_cannot_edit(world, deviation, persona):
    with pytest.raises(NotAllowed) as refused:
        investigation.deviation_update(
            actor=getattr(world, persona),
            deviation=deviation,
            expected_version=1,
            reason="r",
            title="Mine",
        )
    assert refused.value.message == NOT_ALLOWED


def test_a_stale_edit_is_a_conflict(world, deviation):
    investigation.deviation_update(
        actor=world.pm, deviation=deviation, expected_version=1, reason="r", title="One"
    )
    with pytest.raises(Conflict) as refused:
        investigation.deviation_update(
            actor=world.staff, deviation=deviation, expected_version=1, reason="r", title="Two"
        )
    assert refused.value.message == common.STALE
    deviation.refresh_from_db()
    assert deviation.title == "One"


def test_a_closed_deviation_cannot_change(world, deviation):
    closed = move(world, deviation, "investigating", "pending_capa", "closed")
    with pytest.raises(Conflict) as refused:
        investigation.deviation_update(
            actor=world.staff,
            deviation=closed,
            expected_version=closed.version,
            reason="r",
            title="Changed",
        )
    assert refused.value.message == common.LOCKED.format(
        reference=closed.reference, status="closed"
    )
    with pytest.raises(Conflict):
        investigation.root_cause_add(
            actor=world.staff, deviation=closed, category="method", description="Late"
        )


def test_root_causes_are_categorised_and_several_and_tied_to_their_events(world, deviation):
    first = investigation.root_cause_add(
        actor=world.staff, deviation=deviation, category="equipment", description="Worn gasket"
    )
    investigation.root_cause_add(
        actor=world.pm, deviation=deviation, category="method", description="SOP unclear"
    )
    assert deviation.root_causes.count() == 2
    event = Event.objects.filter(verb="deviation.root_cause").order_by("id").first()
    assert (event.subject_type, event.subject_id) == ("deviations.rootcause", str(first.pk))
    assert event.audience == "sponsor"
    with pytest.raises(NotAllowed):
        investigation.root_cause_add(
            actor=world.lead_a, deviation=deviation, category="method", description="x"
        )
