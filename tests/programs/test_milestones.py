"""Milestone services: create, reschedule with a reason, rebaseline (frozen after the kick-off)
and complete; every change audited, every change an event, nothing half-written."""

import pytest
from django.utils import timezone

from portal.errors import ServiceError
from portal.models import AuditEntry
from programs import services
from programs.models import Event, Milestone
from tests.programs.builders import day, milestone, workstream


def _audit(m: Milestone):
    return AuditEntry.objects.filter(model="programs.milestone", object_pk=str(m.pk))


def _events(verb: str):
    return Event.objects.filter(verb=verb)


def test_a_new_milestone_starts_with_its_forecast_on_the_baseline(world):
    ws = workstream(world.program)

    m = services.milestone_create(
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
        services.milestone_create(
            actor=world.pm, program=world.program, name="X", baseline_date=day(5), workstream=other
        )

    assert exc.value.message == services.WORKSTREAM_OTHER_PROGRAM
    assert not Milestone.objects.exists()


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_moves_a_forecast(world, persona):
    m = milestone(world.program)

    with pytest.raises(ServiceError) as exc:
        services.milestone_reschedule(
            actor=getattr(world, persona), milestone=m, forecast_date=day(35), reason="Why not"
        )

    assert exc.value.message == services.NOT_ALLOWED
    m.refresh_from_db()
    assert m.forecast_date == day(30)


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_forecast_move_needs_a_reason(world, reason):
    m = milestone(world.program)

    with pytest.raises(ServiceError) as exc:
        services.milestone_reschedule(
            actor=world.pm, milestone=m, forecast_date=day(35), reason=reason
        )

    assert (exc.value.message, exc.value.field) == (services.REASON_REQUIRED, "reason")
    m.refresh_from_db()
    assert m.forecast_date == day(30)
    assert not _audit(m).exists()
    assert not _events("milestone.rescheduled").exists()


def test_the_forecast_of_an_unfinished_milestone_cannot_be_in_the_past(world):
    m = milestone(world.program, baseline=-10)

    with pytest.raises(ServiceError) as exc:
        services.milestone_reschedule(
            actor=world.pm, milestone=m, forecast_date=day(-1), reason="Catching up"
        )

    assert (exc.value.message, exc.value.field) == (services.FORECAST_IN_PAST, "forecast_date")
    m.refresh_from_db()
    assert m.forecast_date == day(-10)


def test_a_forecast_can_move_to_today(world):
    m = milestone(world.program, baseline=-10)

    services.milestone_reschedule(actor=world.pm, milestone=m, forecast_date=day(0), reason="Now")

    m.refresh_from_db()
    assert m.forecast_date == day(0)


def test_a_complete_milestone_does_not_move(world):
    m = milestone(world.program, baseline=-10, actual=-9)

    with pytest.raises(ServiceError) as exc:
        services.milestone_reschedule(
            actor=world.pm, milestone=m, forecast_date=day(3), reason="Oops"
        )

    assert exc.value.message == services.MILESTONE_COMPLETE


def test_a_forecast_move_to_the_same_date_is_refused(world):
    m = milestone(world.program)

    with pytest.raises(ServiceError) as exc:
        services.milestone_reschedule(
            actor=world.pm, milestone=m, forecast_date=day(30), reason="Same"
        )

    assert exc.value.message == services.FORECAST_UNCHANGED


def test_every_forecast_move_is_audited_with_its_reason_and_told_to_the_stream(world):
    m = milestone(world.program)

    services.milestone_reschedule(
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

    services.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(38), reason="Equipment down"
    )

    event = _events("milestone.rescheduled").get()
    assert (event.significance, event.announce, event.audience) == ("notable", True, "sponsor")
    assert "8 days behind baseline" in event.summary


def test_a_slip_exactly_at_the_threshold_is_not_announced(world):
    m = milestone(world.program)

    services.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(37), reason="A week"
    )

    assert _events("milestone.rescheduled").get().announce is False


def test_a_slip_beyond_the_threshold_that_got_better_is_not_announced_again(world):
    m = milestone(world.program, forecast=50)

    services.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(45), reason="Recovered some time"
    )

    event = _events("milestone.rescheduled").get()
    assert (event.significance, event.announce) == ("info", False)


def test_a_slip_beyond_the_threshold_that_gets_worse_is_announced_again(world):
    m = milestone(world.program, forecast=45)

    services.milestone_reschedule(
        actor=world.pm, milestone=m, forecast_date=day(52), reason="Second delay"
    )

    assert _events("milestone.rescheduled").get().announce is True


def test_before_the_kickoff_a_baseline_moves_without_a_reason_and_the_forecast_follows(world):
    m = milestone(world.program)

    services.milestone_rebaseline(actor=world.pm, milestone=m, baseline_date=day(44))

    m.refresh_from_db()
    assert (m.baseline_date, m.forecast_date) == (day(44), day(44))
    assert _audit(m).get().changes["baseline_date"] == [day(30).isoformat(), day(44).isoformat()]
    assert _events("milestone.rebaselined").get().significance == "info"


def test_a_slipped_forecast_stays_put_when_the_baseline_moves(world):
    m = milestone(world.program, forecast=40)

    services.milestone_rebaseline(actor=world.pm, milestone=m, baseline_date=day(35))

    m.refresh_from_db()
    assert (m.baseline_date, m.forecast_date) == (day(35), day(40))


def test_after_the_kickoff_the_baseline_is_frozen_and_a_change_needs_a_reason(world):
    world.program.baseline_frozen_at = timezone.now()
    world.program.save(update_fields=["baseline_frozen_at"])
    m = milestone(world.program)

    with pytest.raises(ServiceError) as exc:
        services.milestone_rebaseline(actor=world.pm, milestone=m, baseline_date=day(44))

    assert (exc.value.message, exc.value.field) == (services.BASELINE_FROZEN, "reason")
    m.refresh_from_db()
    assert m.baseline_date == day(30)
    assert not _audit(m).exists()


def test_a_frozen_baseline_changes_with_a_reason_audited_and_notable(world):
    world.program.baseline_frozen_at = timezone.now()
    world.program.save(update_fields=["baseline_frozen_at"])
    m = milestone(world.program)

    services.milestone_rebaseline(
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
        services.milestone_rebaseline(actor=world.pm, milestone=m, baseline_date=day(44))

    assert exc.value.message == services.BASELINE_FROZEN


def test_a_milestone_is_completed_with_its_actual_date(world):
    m = milestone(world.program, baseline=-3)

    services.milestone_complete(
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
        services.milestone_complete(actor=world.pm, milestone=m, actual_date=day(1))

    assert (exc.value.message, exc.value.field) == (services.ACTUAL_IN_FUTURE, "actual_date")
    m.refresh_from_db()
    assert m.actual_date is None


def test_a_milestone_is_completed_once(world):
    m = milestone(world.program, baseline=-3, actual=-2)

    with pytest.raises(ServiceError) as exc:
        services.milestone_complete(actor=world.pm, milestone=m, actual_date=day(0))

    assert exc.value.message == services.MILESTONE_ALREADY_COMPLETE
    m.refresh_from_db()
    assert m.actual_date == day(-2)
