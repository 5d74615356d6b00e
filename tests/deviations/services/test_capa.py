"""CAPA actions: due within the quality agreement's CAPA window on the site clock (by default
at its end; later only with a justification), numbered per deviation, overdue by the site's
date, and completed once by their owner, QA or the program team."""

import datetime
import zoneinfo

import pytest
import time_machine

from deviations.models import QualityAgreement
from deviations.services import capa as capa_services
from deviations.services import common
from portal.access import NOT_ALLOWED
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry
from programs.models import Event
from tests.deviations.conftest import log_deviation, move

LONDON = zoneinfo.ZoneInfo("Europe/London")
# Friday 7 November 2025, 12:00 in London (GMT).
NOW = datetime.datetime(2025, 11, 7, 12, 0, tzinfo=datetime.UTC)


def _add(world, deviation, **fields):
    values = {
        "actor": world.staff,
        "deviation": deviation,
        "kind": "corrective",
        "description": "Replace the gasket",
        "owner": world.pm,
    }
    values.update(fields)
    return capa_services.capa_add(**values)


def test_without_a_due_date_it_is_due_at_the_end_of_the_agreements_window(world):
    with time_machine.travel(NOW, tick=False):
        capa = _add(world, log_deviation(world))
    assert capa.due_date == datetime.date(2026, 2, 5)  # 90 calendar days, the default window
    assert capa.due_justification == ""


def test_a_business_day_window_ends_on_its_last_working_day(world):
    QualityAgreement.objects.create(sponsor=world.sponsor_a, capa=10, capa_unit="business_days")
    with time_machine.travel(NOW, tick=False):
        capa = _add(world, log_deviation(world))
    # Ten working days after Friday 7 November: Monday 10 … Friday 21 November.
    assert capa.due_date == datetime.date(2025, 11, 21)


def test_the_window_counts_from_the_sites_day_when_utc_is_still_on_the_previous_one(world):
    QualityAgreement.objects.create(sponsor=world.sponsor_a, capa=1, capa_unit="business_days")
    # 23:30 UTC on Thursday 10 July 2025 is already 00:30 on Friday in London (BST): one
    # working day after Friday is Monday 14; counted from the UTC date it would be Friday 11.
    thursday_late_in_utc = datetime.datetime(2025, 7, 10, 23, 30, tzinfo=datetime.UTC)
    with time_machine.travel(thursday_late_in_utc, tick=False):
        capa = _add(world, log_deviation(world))
    assert capa.due_date == datetime.date(2025, 7, 14)


def test_an_earlier_due_date_is_kept(world):
    with time_machine.travel(NOW, tick=False):
        capa = _add(world, log_deviation(world), due_date=datetime.date(2025, 12, 1))
    assert capa.due_date == datetime.date(2025, 12, 1)


def test_a_due_date_after_the_window_needs_a_justification(world):
    with time_machine.travel(NOW, tick=False):
        deviation = log_deviation(world)
        with pytest.raises(Invalid) as refused:
            _add(world, deviation, due_date=datetime.date(2026, 2, 6))
        assert refused.value.field == "due_date"
        assert refused.value.message == capa_services.CAPA_BEYOND_WINDOW.format(
            last_day=datetime.date(2026, 2, 5)
        )
        assert not deviation.capas.exists()
        capa = _add(
            world,
            deviation,
            due_date=datetime.date(2026, 3, 31),
            due_justification="The new filter housing has a 16-week lead time.",
        )
    assert capa.due_justification == "The new filter housing has a 16-week lead time."
    entry = AuditEntry.objects.get(model="deviations.capa", action="create")
    assert entry.reason == "The new filter housing has a 16-week lead time."


def test_capa_actions_are_numbered_per_deviation_and_tied_to_their_events(world, deviation):
    first, second = _add(world, deviation), _add(world, deviation)
    assert (first.number, second.number) == (1, 2)
    event = Event.objects.filter(verb="deviation.capa_added").order_by("id").first()
    assert (event.subject_type, event.subject_id) == ("deviations.capa", str(first.pk))


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a"])
def test_the_sponsor_cannot_add_one(world, deviation, persona):
    with pytest.raises(NotAllowed) as refused:
        _add(world, deviation, actor=getattr(world, persona))
    assert refused.value.message == NOT_ALLOWED


def test_a_closed_deviation_gets_no_new_capa(world, deviation):
    closed = move(world, deviation, "investigating", "pending_capa", "closed")
    with pytest.raises(Conflict) as refused:
        _add(world, closed)
    assert refused.value.message == common.LOCKED.format(
        reference=closed.reference, status="closed"
    )


def test_an_open_capa_is_overdue_once_the_sites_day_after_its_due_date_begins(world):
    with time_machine.travel(datetime.datetime(2030, 6, 1, 12, 0, tzinfo=datetime.UTC)):
        capa = _add(world, log_deviation(world), due_date=datetime.date(2030, 7, 1))
    with time_machine.travel(datetime.datetime(2030, 7, 1, 23, 59, tzinfo=LONDON), tick=False):
        assert not capa.is_overdue
    # 23:30 UTC on 1 July is 00:30 on 2 July on the site (BST): overdue, by the site's date.
    with time_machine.travel(
        datetime.datetime(2030, 7, 1, 23, 30, tzinfo=datetime.UTC), tick=False
    ):
        assert capa.is_overdue
        capa_services.capa_complete(actor=world.pm, capa=capa)
        capa.refresh_from_db()
        assert not capa.is_overdue


def test_the_owner_completes_it_once_with_the_sites_date_of_the_check(world, deviation):
    capa = _add(world, deviation)
    # 23:30 UTC on 30 June 2030 is already 1 July on the site (BST).
    with time_machine.travel(datetime.datetime(2030, 6, 30, 23, 30, tzinfo=datetime.UTC)):
        done = capa_services.capa_complete(
            actor=world.pm, capa=capa, effectiveness_check="No recurrence"
        )
    assert done.status == "done"
    assert done.effectiveness_checked_on == datetime.date(2030, 7, 1)
    with pytest.raises(Conflict) as refused:
        capa_services.capa_complete(actor=world.staff, capa=capa)
    assert refused.value.message == capa_services.CAPA_ALREADY_DONE


def test_the_sponsor_cannot_complete_one(world, deviation):
    capa = _add(world, deviation)
    with pytest.raises(NotAllowed):
        capa_services.capa_complete(actor=world.lead_a, capa=capa)
    capa.refresh_from_db()
    assert capa.status == "open"
