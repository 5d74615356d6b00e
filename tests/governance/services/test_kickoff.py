"""The kick-off: its checklist, and completing it (which freezes the baselines)."""

import pytest
from django.utils import timezone

from governance import selectors
from governance.models import Kickoff
from governance.services.kickoff import (
    KICKOFF_ALREADY_COMPLETE,
    KICKOFF_INCOMPLETE,
    KICKOFF_LOCKED,
    KICKOFF_RECORD_MISSING,
    NOT_KICKOFF_OWNER,
    kickoff_complete,
    kickoff_confirm,
    kickoff_record,
)
from portal.errors import ServiceError
from portal.models import AuditEntry
from programs.models import Event, ProgramMember
from tests.governance.builders import (
    escalation_contacts,
    ready_for_kickoff,
    weekly_cadence,
    workstream,
)


def _items(program):
    return {item.key: item for item in selectors.kickoff_checklist(program)}


def test_a_new_program_has_nothing_on_its_checklist_done(world):
    items = selectors.kickoff_checklist(world.program)

    assert [i.key for i in items] == ["baseline", "owners", "cadence", "escalation", "kpi_targets"]
    assert not any(i.done for i in items)
    assert _items(world.program)["owners"].detail == "No workstreams yet"


def test_every_workstream_needs_both_owners(world):
    workstream(world.program, cdmo=world.pm, sponsor=world.lead_a, name="Analytical")
    workstream(world.program, cdmo=world.pm, name="Fill-finish")

    owners = _items(world.program)["owners"]

    assert not owners.done
    assert owners.detail == "Missing an owner: Fill-finish"


def test_an_active_cadence_establishes_the_cadence(world):
    weekly_cadence(world)

    cadence = _items(world.program)["cadence"]

    assert cadence.done
    assert cadence.detail == "Weekly on Tuesdays at 15:00 Europe/London"


def test_escalation_contacts_need_a_cdmo_executive_and_a_sponsor_executive(world):
    ProgramMember.objects.create(
        program=world.program, user=world.leader, role=ProgramMember.Role.CDMO_EXECUTIVE
    )
    world.program.forget_members()
    assert not _items(world.program)["escalation"].done

    ProgramMember.objects.create(
        program=world.program, user=world.lead_a, role=ProgramMember.Role.SPONSOR_EXECUTIVE
    )
    world.program.forget_members()
    assert _items(world.program)["escalation"].done


def test_a_primary_sponsor_contact_stands_in_for_a_sponsor_executive(world):
    escalation_contacts(world, sponsor_role=ProgramMember.Role.SPONSOR_CONTACT)

    assert _items(world.program)["escalation"].done


def test_the_pm_confirms_the_baseline_and_who_and_when_are_kept(world):
    kickoff_confirm(actor=world.pm, program=world.program, item="baseline")

    kickoff = Kickoff.objects.get(program=world.program)
    assert kickoff.baseline_agreed_by == world.pm
    assert kickoff.baseline_agreed_at is not None
    assert _items(world.program)["baseline"].detail.startswith("Confirmed by Pat Manager on ")
    assert AuditEntry.objects.filter(model="governance.kickoff").exists()


def test_staff_not_on_the_program_cannot_confirm(world):
    with pytest.raises(ServiceError) as exc:
        kickoff_confirm(actor=world.staff, program=world.program, item="baseline")

    assert exc.value.message == NOT_KICKOFF_OWNER
    assert not Kickoff.objects.exists()


def test_completing_an_incomplete_kickoff_is_refused_and_lists_what_is_missing(world):
    weekly_cadence(world)

    with pytest.raises(ServiceError) as exc:
        kickoff_complete(actor=world.pm, program=world.program)

    assert exc.value.message == KICKOFF_INCOMPLETE.format(
        missing="; ".join(
            [
                KICKOFF_RECORD_MISSING,
                "baseline timeline agreed",
                "every workstream has both owners",
                "escalation contacts named",
                "kpi targets agreed",
            ]
        )
    )
    world.program.refresh_from_db()
    assert world.program.baseline_frozen_at is None
    assert not Kickoff.objects.filter(completed_at__isnull=False).exists()


def test_a_kickoff_attended_by_one_side_only_cannot_complete(world):
    ready_for_kickoff(world)
    kickoff_record(
        actor=world.pm,
        program=world.program,
        held_on=timezone.localdate(),
        attendees=[world.pm],
    )

    with pytest.raises(ServiceError) as exc:
        kickoff_complete(actor=world.pm, program=world.program)

    assert KICKOFF_RECORD_MISSING in exc.value.message


def test_completing_the_kickoff_freezes_the_baselines_with_an_audit_entry(world):
    ready_for_kickoff(world)

    kickoff = kickoff_complete(actor=world.pm, program=world.program)

    world.program.refresh_from_db()
    assert kickoff.completed_by == world.pm
    assert world.program.baseline_frozen_at == kickoff.completed_at
    frozen = AuditEntry.objects.get(model="programs.program", changes__has_key="baseline_frozen_at")
    assert frozen.reason == "Kick-off complete: the baseline timeline is frozen."
    event = Event.objects.filter(verb="kickoff.completed").get()
    assert event.announce
    assert event.significance == "notable"


def test_a_completed_kickoff_cannot_be_completed_again_nor_its_record_changed(world):
    ready_for_kickoff(world)
    kickoff_complete(actor=world.pm, program=world.program)

    with pytest.raises(ServiceError) as again:
        kickoff_complete(actor=world.pm, program=world.program)
    with pytest.raises(ServiceError) as edit:
        kickoff_record(actor=world.pm, program=world.program, held_on=None, attendees=[])

    assert again.value.message == KICKOFF_ALREADY_COMPLETE
    assert edit.value.message == KICKOFF_LOCKED


def test_the_kickoff_date_cannot_be_in_the_future(world):
    with pytest.raises(ServiceError) as exc:
        kickoff_record(
            actor=world.pm,
            program=world.program,
            held_on=timezone.localdate() + timezone.timedelta(days=3),
            attendees=[],
        )

    assert exc.value.field == "held_on"
    assert not Kickoff.objects.exists()


def test_an_attendee_from_another_sponsor_is_refused(world):
    with pytest.raises(ServiceError) as exc:
        kickoff_record(
            actor=world.pm, program=world.program, held_on=None, attendees=[world.lead_b]
        )

    assert exc.value.field == "attendees"
    assert not Kickoff.objects.exists()


def test_progress_counts_what_is_done(world):
    weekly_cadence(world)

    progress = selectors.kickoff_progress(world.program)

    assert (progress.done, progress.total, progress.complete) == (1, 5, False)
