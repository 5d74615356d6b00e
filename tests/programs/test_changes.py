"""The change primitive: validate, save, audit, event with a typed subject, one version bump and
one reaction per program per transaction."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.access import Audience
from portal.models import AuditEntry
from programs import changes
from programs.changes import Note
from programs.models import Event, Milestone, Program
from tests.deviations.conftest import log_deviation
from tests.programs.builders import day, milestone


def _version(program: Program) -> int:
    return Program.objects.values_list("version", flat=True).get(pk=program.pk)


def _reactions() -> list[changes._Reaction]:
    connection = transaction.get_connection()
    return [
        entry[1] for entry in connection.run_on_commit if isinstance(entry[1], changes._Reaction)
    ]


def test_create_audits_and_tells_the_stream_about_its_subject(world):
    before = _version(world.program)
    with transaction.atomic():
        created = changes.create(
            Milestone(
                program=world.program,
                name="PPQ batch 1",
                baseline_date=day(10),
                forecast_date=day(10),
            ),
            actor=world.pm,
            program=world.program,
            note=Note(verb="milestone.added", summary="PPQ batch 1 added"),
        )

    event = Event.objects.get(verb="milestone.added")
    assert (event.subject_type, event.subject_id) == ("programs.milestone", str(created.pk))
    assert event.kind == Event.Kind.MILESTONE
    assert event.audience == Audience.INTERNAL  # no audience given, none on the row: internal
    entry = AuditEntry.objects.get(model="programs.milestone", object_pk=str(created.pk))
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == world.pm
    assert _version(world.program) == before + 1


def test_invalid_rows_are_refused_before_anything_is_written(world):
    before = (_version(world.program), AuditEntry.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError), transaction.atomic():
        changes.create(
            Milestone(program=world.program, name="", baseline_date=day(1), forecast_date=day(1)),
            actor=world.pm,
            program=world.program,
        )
    assert (_version(world.program), AuditEntry.objects.count(), Event.objects.count()) == before


def test_an_update_validates_the_fields_it_writes(world):
    row = milestone(world.program)
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        changes.update(
            row,
            actor=world.pm,
            program=world.program,
            values={"forecast_date": datetime.date(9999, 12, 31)},
        )
    assert set(refused.value.message_dict) == {"forecast_date"}


def test_a_value_stored_before_its_bound_does_not_block_a_change_to_another_field(world):
    row = milestone(world.program)
    Milestone.objects.filter(pk=row.pk).update(name="Legacy\nname", baseline_date=day(-20000))
    row.refresh_from_db()

    with transaction.atomic():
        changes.update(
            row, actor=world.pm, program=world.program, values={"forecast_date": day(40)}
        )

    row.refresh_from_db()
    assert (row.name, row.baseline_date, row.forecast_date) == (
        "Legacy\nname",
        day(-20000),
        day(40),
    )


def test_an_update_that_changes_nothing_writes_nothing(world):
    row = milestone(world.program)
    before = (_version(world.program), AuditEntry.objects.count())
    with transaction.atomic():
        entry = changes.update(
            row, actor=world.pm, program=world.program, values={"name": row.name}
        )
    assert entry is None
    assert (_version(world.program), AuditEntry.objects.count()) == before


def test_several_changes_in_one_transaction_bump_and_react_once(world):
    first, second = milestone(world.program, "A"), milestone(world.program, "B")
    before = _version(world.program)
    with transaction.atomic():
        for row in (first, second):
            changes.update(
                row,
                actor=world.pm,
                program=world.program,
                values={"forecast_date": day(45)},
                reason="Resin late",
                note=Note(verb="milestone.rescheduled", summary=f"{row.name} moved"),
            )
        reactions = [r for r in _reactions() if r.program_id == world.program.pk]

    assert _version(world.program) == before + 1
    assert len(reactions) == 1
    assert [event.summary for event in reactions[0].events] == ["A moved", "B moved"]
    assert reactions[0].refresh_health


def test_link_audits_a_many_to_many_change_as_an_update_of_the_row(world):
    deviation = log_deviation(world)
    row = milestone(world.program)
    before = _version(world.program)

    with transaction.atomic():
        changed = changes.link(
            deviation,
            actor=world.pm,
            program=world.program,
            field="affected_milestones",
            related=[row],
            reason="Delays release",
        )
        again = changes.link(
            deviation,
            actor=world.pm,
            program=world.program,
            field="affected_milestones",
            related=[row],
        )

    assert (changed, again) == (True, False)
    entry = AuditEntry.objects.filter(
        model="deviations.deviation", object_pk=str(deviation.pk)
    ).latest("id")
    assert entry.changes == {"affected_milestones": [[], [row.pk]]}
    assert entry.reason == "Delays release"
    assert _version(world.program) == before + 1


@pytest.mark.django_db(transaction=True)
def test_the_primitive_refuses_to_run_outside_a_transaction(world):
    with pytest.raises(RuntimeError):
        changes.log(program=world.program, actor=None, note=Note(verb="program.noted", summary="x"))
