"""Workstreams and milestones through their services: owners, dates, baseline and forecast,
every move audited with its reason and told to the stream."""

import datetime

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone

from portal.errors import ServiceError
from portal.models import AuditEntry, Membership
from programs import changes
from programs.models import Event, Milestone, Program, ProgramMember, Workstream
from programs.services import common, timeline
from tests.factories import member
from tests.programs.builders import day, milestone, workstream


def _create(world, **fields):
    values = {"name": "Tech transfer", "kind": Workstream.Kind.TECH_TRANSFER} | fields
    return timeline.workstream_create(actor=world.pm, program=world.program, **values)


def _audit(m: Milestone):
    return AuditEntry.objects.filter(model="programs.milestone", object_pk=str(m.pk))


def _events(verb: str):
    return Event.objects.filter(verb=verb)


def test_a_workstream_gets_an_owner_on_each_side_audited_and_in_the_stream(world):
    ws = _create(
        world,
        cdmo_owner=world.staff,
        sponsor_owner=world.viewer_a,
        start_date=day(-10),
        end_date=day(90),
    )

    assert ws.has_both_owners
    assert AuditEntry.objects.filter(model="programs.workstream", object_pk=str(ws.pk)).exists()
    assert Event.objects.filter(verb="workstream.created", summary__contains="Tech transfer")
    owners = ProgramMember.objects.active().filter(role=ProgramMember.Role.WORKSTREAM_OWNER)
    assert set(owners.values_list("user", flat=True)) == {world.staff.pk, world.viewer_a.pk}


def test_the_sponsor_owner_must_belong_to_this_programs_sponsor(world):
    with pytest.raises(ServiceError) as exc:
        _create(world, sponsor_owner=world.lead_b)

    assert (exc.value.message, exc.value.field) == (
        timeline.SPONSOR_OWNER_INVALID,
        "sponsor_owner",
    )
    assert not Workstream.objects.exists()


def test_a_cdmo_user_cannot_be_the_sponsor_owner(world):
    with pytest.raises(ServiceError) as exc:
        _create(world, sponsor_owner=world.staff)

    assert exc.value.message == timeline.SPONSOR_OWNER_INVALID


def test_the_cdmo_owner_must_be_at_the_cdmo(world):
    with pytest.raises(ServiceError) as exc:
        _create(world, cdmo_owner=world.lead_a)

    assert (exc.value.message, exc.value.field) == (timeline.CDMO_OWNER_INVALID, "cdmo_owner")
    assert not Workstream.objects.exists()


def test_an_inactive_person_cannot_own_a_workstream(world):
    gone = member(world.cdmo, Membership.Role.STAFF, is_active=False)

    with pytest.raises(ServiceError) as exc:
        _create(world, cdmo_owner=gone)

    assert exc.value.message == timeline.CDMO_OWNER_INVALID


def test_a_workstream_cannot_end_before_it_starts(world):
    with pytest.raises(ServiceError) as exc:
        _create(world, start_date=day(10), end_date=day(9))

    assert (exc.value.message, exc.value.field) == (timeline.WORKSTREAM_DATES_ORDER, "end_date")
    assert not Workstream.objects.exists()
    assert not Event.objects.filter(kind=Event.Kind.WORKSTREAM).exists()


def test_two_workstreams_of_a_program_cannot_share_a_name(world):
    workstream(world.program, "Analytical")

    with pytest.raises(ServiceError) as exc:
        _create(world, name="analytical")

    assert exc.value.message == timeline.WORKSTREAM_NAME_TAKEN


def test_another_program_may_use_the_same_name(world):
    workstream(world.program_b, "Tech transfer")

    assert _create(world).program == world.program


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_adds_workstreams(world, persona):
    with pytest.raises(ServiceError) as exc:
        timeline.workstream_create(
            actor=getattr(world, persona), program=world.program, name="Sneaky"
        )

    assert exc.value.message == common.NOT_ALLOWED
    assert not Workstream.objects.exists()


def test_an_update_is_audited_and_names_what_changed(world):
    ws = workstream(world.program, "Analytical", cdmo_owner=world.pm)

    timeline.workstream_update(
        actor=world.pm,
        workstream=ws,
        name="Analytical",
        kind=Workstream.Kind.ANALYTICAL,
        cdmo_owner=world.pm,
        sponsor_owner=world.lead_a,
        status=Workstream.Status.IN_PROGRESS,
        start_date=None,
        end_date=None,
    )

    ws.refresh_from_db()
    assert ws.sponsor_owner == world.lead_a
    entry = AuditEntry.objects.get(model="programs.workstream", object_pk=str(ws.pk))
    assert set(entry.changes) == {"kind", "sponsor_owner_id", "status"}
    event = Event.objects.get(verb="workstream.updated")
    assert event.summary == "Workstream Analytical updated: kind, sponsor owner, status"


def test_an_update_with_dates_in_the_wrong_order_changes_nothing(world):
    ws = workstream(world.program, "Analytical", start_date=day(1), end_date=day(20))

    with pytest.raises(ServiceError):
        timeline.workstream_update(
            actor=world.pm,
            workstream=ws,
            name="Renamed",
            kind=ws.kind,
            cdmo_owner=None,
            sponsor_owner=None,
            status=ws.status,
            start_date=day(30),
            end_date=day(20),
        )

    ws.refresh_from_db()
    assert (ws.name, ws.start_date) == ("Analytical", day(1))
    assert not AuditEntry.objects.filter(model="programs.workstream").exists()


def test_a_new_milestone_starts_with_its_forecast_on_the_baseline(world):
    ws = workstream(world.program)

    m = timeline.milestone_create(
        actor=world.pm,
        program=world.program,
        name="Engineering run",
        baseline_date=day(40),
        workstream=ws,
    )

    assert (m.baseline_date, m.forecast_date, m.actual_date) == (day(40), day(40), None)
    assert _audit(m).get().action == "create"
    assert _events("milestone.created").get().audience == "sponsor"


def test_a_milestone_cannot_go_into_another_programs_workstream(world):
    other = workstream(world.program_b)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_create(
            actor=world.pm, program=world.program, name="X", baseline_date=day(5), workstream=other
        )

    assert exc.value.message == timeline.WORKSTREAM_OTHER_PROGRAM
    assert not Milestone.objects.exists()


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_moves_a_forecast(world, persona):
    m = milestone(world.program)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_reschedule(
            actor=getattr(world, persona), milestone=m, forecast_date=day(35), reason="Why not"
        )

    assert exc.value.message == common.NOT_ALLOWED
    m.refresh_from_db()
    assert m.forecast_date == day(30)


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_forecast_move_needs_a_reason(world, reason):
    m = milestone(world.program)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_reschedule(
            actor=world.pm, milestone=m, forecast_date=day(35), reason=reason
        )

    assert (exc.value.message, exc.value.field) == (common.REASON_REQUIRED, "reason")
    m.refresh_from_db()
    assert m.forecast_date == day(30)
    assert not _audit(m).exists()
    assert not _events("milestone.rescheduled").exists()


def test_the_forecast_of_an_unfinished_milestone_cannot_be_in_the_past(world):
    m = milestone(world.program, baseline=-10)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_reschedule(
            actor=world.pm, milestone=m, forecast_date=day(-1), reason="Catching up"
        )

    assert (exc.value.message, exc.value.field) == (timeline.FORECAST_IN_PAST, "forecast_date")
    m.refresh_from_db()
    assert m.forecast_date == day(-10)


def test_a_forecast_can_move_to_today(world):
    m = milestone(world.program, baseline=-10)

    timeline.milestone_reschedule(actor=world.pm, milestone=m, forecast_date=day(0), reason="Now")

    m.refresh_from_db()
    assert m.forecast_date == day(0)


def test_a_complete_milestone_does_not_move(world):
    m = milestone(world.program, baseline=-10, actual=-9)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_reschedule(
            actor=world.pm, milestone=m, forecast_date=day(3), reason="Oops"
        )

    assert exc.value.message == timeline.MILESTONE_COMPLETE


def test_a_forecast_move_to_the_same_date_is_refused(world):
    m = milestone(world.program)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_reschedule(
            actor=world.pm, milestone=m, forecast_date=day(30), reason="Same"
        )

    assert exc.value.message == timeline.FORECAST_UNCHANGED


def test_every_forecast_move_is_audited_with_its_reason_and_told_to_the_stream(world):
    m = milestone(world.program)

    timeline.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(33), reason="  Resin arrives late  "
    )

    m.refresh_from_db()
    assert m.forecast_date == day(33)
    assert m.forecast_changed_at is not None
    entry = _audit(m).get()
    assert entry.reason == "Resin arrives late"
    assert entry.changes["forecast_date"] == [day(30).isoformat(), day(33).isoformat()]
    event = _events("milestone.rescheduled").get()
    assert "3 days behind baseline" in event.summary
    assert "Reason: Resin arrives late" in event.detail
    assert (event.significance, event.announce) == ("info", False)


def test_a_slip_beyond_the_threshold_is_announced_as_notable(world):
    assert world.program.slip_threshold_days == 7
    m = milestone(world.program)

    timeline.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(38), reason="Equipment down"
    )

    event = _events("milestone.rescheduled").get()
    assert (event.significance, event.announce, event.audience) == ("notable", True, "sponsor")
    assert "8 days behind baseline" in event.summary


def test_a_slip_exactly_at_the_threshold_is_not_announced(world):
    m = milestone(world.program)

    timeline.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(37), reason="A week"
    )

    assert _events("milestone.rescheduled").get().announce is False


def test_a_slip_beyond_the_threshold_that_got_better_is_not_announced_again(world):
    m = milestone(world.program, forecast=50)

    timeline.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(45), reason="Recovered some time"
    )

    event = _events("milestone.rescheduled").get()
    assert (event.significance, event.announce) == ("info", False)


def test_a_slip_beyond_the_threshold_that_gets_worse_is_announced_again(world):
    m = milestone(world.program, forecast=45)

    timeline.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(52), reason="Second delay"
    )

    assert _events("milestone.rescheduled").get().announce is True


def test_before_the_kickoff_a_baseline_moves_without_a_reason_and_the_forecast_follows(world):
    m = milestone(world.program)

    timeline.milestone_rebaseline(actor=world.pm, milestone=m, baseline_date=day(44))

    m.refresh_from_db()
    assert (m.baseline_date, m.forecast_date) == (day(44), day(44))
    assert _audit(m).get().changes["baseline_date"] == [day(30).isoformat(), day(44).isoformat()]
    assert _events("milestone.rebaselined").get().significance == "info"


def test_a_slipped_forecast_stays_put_when_the_baseline_moves(world):
    m = milestone(world.program, forecast=40)

    timeline.milestone_rebaseline(actor=world.pm, milestone=m, baseline_date=day(35))

    m.refresh_from_db()
    assert (m.baseline_date, m.forecast_date) == (day(35), day(40))


def test_after_the_kickoff_the_baseline_is_frozen_and_a_change_needs_a_reason(world):
    world.program.baseline_frozen_at = timezone.now()
    world.program.save(update_fields=["baseline_frozen_at"])
    m = milestone(world.program)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_rebaseline(actor=world.pm, milestone=m, baseline_date=day(44))

    assert (exc.value.message, exc.value.field) == (timeline.BASELINE_FROZEN, "reason")
    m.refresh_from_db()
    assert m.baseline_date == day(30)
    assert not _audit(m).exists()


def test_a_frozen_baseline_changes_with_a_reason_audited_and_notable(world):
    world.program.baseline_frozen_at = timezone.now()
    world.program.save(update_fields=["baseline_frozen_at"])
    m = milestone(world.program)

    timeline.milestone_rebaseline(
        actor=world.pm, milestone=m, baseline_date=day(44), reason="Change order CO-002 agreed"
    )

    m.refresh_from_db()
    assert m.baseline_date == day(44)
    assert _audit(m).get().reason == "Change order CO-002 agreed"
    assert _events("milestone.rebaselined").get().significance == "notable"


def test_the_freeze_is_read_from_the_database_not_from_a_stale_program(world):
    m = milestone(world.program)
    stale = m.program
    type(stale).objects.filter(pk=stale.pk).update(baseline_frozen_at=timezone.now())

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_rebaseline(actor=world.pm, milestone=m, baseline_date=day(44))

    assert exc.value.message == timeline.BASELINE_FROZEN


def test_a_milestone_is_completed_with_its_actual_date(world):
    m = milestone(world.program, baseline=-3)

    timeline.milestone_complete(
        actor=world.pm, milestone=m, actual_date=day(-1), reason="Report signed"
    )

    m.refresh_from_db()
    assert m.actual_date == day(-1)
    assert m.slip_days == 2
    assert _audit(m).get().reason == "Report signed"
    assert "2 days behind baseline" in _events("milestone.completed").get().summary


def test_an_actual_date_cannot_be_in_the_future(world):
    m = milestone(world.program, baseline=-3)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_complete(actor=world.pm, milestone=m, actual_date=day(1))

    assert (exc.value.message, exc.value.field) == (timeline.ACTUAL_IN_FUTURE, "actual_date")
    m.refresh_from_db()
    assert m.actual_date is None


def test_a_milestone_is_completed_once(world):
    m = milestone(world.program, baseline=-3, actual=-2)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_complete(actor=world.pm, milestone=m, actual_date=day(0))

    assert exc.value.message == timeline.MILESTONE_ALREADY_COMPLETE
    m.refresh_from_db()
    assert m.actual_date == day(-2)


def test_a_workstream_with_two_new_owners_bumps_the_version_once_and_reacts_once(
    world, django_capture_on_commit_callbacks
):
    owner = member(world.cdmo, Membership.Role.STAFF, display_name="Quinn QA")
    before = Program.objects.get(pk=world.program.pk).version

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        timeline.workstream_create(
            actor=world.pm,
            program=world.program,
            name="Analytical",
            cdmo_owner=owner,
            sponsor_owner=world.lead_a,
        )

    verbs = sorted(Event.objects.filter(program=world.program).values_list("verb", flat=True))
    assert verbs == ["member.assigned", "member.assigned", "workstream.created"]
    assert Program.objects.get(pk=world.program.pk).version == before + 1
    reactions = [c for c in callbacks if isinstance(c, changes._Reaction)]
    assert len(reactions) == 1
    assert reactions[0].refresh_health
    assert len(reactions[0].events) == 3


# 23:30 UTC on 10 March: already 00:30 on 11 March at a site in Zurich (UTC+1).
LATE_EVENING_UTC = datetime.datetime(2026, 3, 10, 23, 30, tzinfo=datetime.UTC)


@override_settings(SITE_TIME_ZONE="Europe/Zurich")
def test_at_2330_utc_the_site_is_already_on_the_next_day_for_a_forecast(world):
    late = milestone(world.program, "Release", baseline=400)
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        with pytest.raises(ServiceError) as exc:
            timeline.milestone_reschedule(
                actor=world.pm,
                milestone=late,
                forecast_date=datetime.date(2026, 3, 10),
                reason="Slot moved.",
            )
        moved = timeline.milestone_reschedule(
            actor=world.pm,
            milestone=late,
            forecast_date=datetime.date(2026, 3, 11),
            reason="Slot moved.",
        )

    assert exc.value.message == timeline.FORECAST_IN_PAST
    assert exc.value.status_code == 400
    assert moved.forecast_date == datetime.date(2026, 3, 11)


@override_settings(SITE_TIME_ZONE="Europe/Zurich")
def test_at_2330_utc_a_milestone_completes_on_the_sites_today(world):
    run = milestone(world.program, "Engineering run", baseline=400)
    with time_machine.travel(LATE_EVENING_UTC, tick=False):
        done = timeline.milestone_complete(
            actor=world.pm, milestone=run, actual_date=datetime.date(2026, 3, 11)
        )

    assert done.actual_date == datetime.date(2026, 3, 11)


def test_moving_a_completed_milestone_is_a_conflict_with_its_state(world):
    done = milestone(world.program, "Done", baseline=-3, actual=-3)

    with pytest.raises(ServiceError) as exc:
        timeline.milestone_reschedule(
            actor=world.pm, milestone=done, forecast_date=day(10), reason="Again."
        )

    assert exc.value.status_code == 409
    assert exc.value.message == timeline.MILESTONE_COMPLETE
