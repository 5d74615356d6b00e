"""Logging a deviation (numbering, the notification clock, the announcement to the sponsor) and
the sponsor's acknowledgement."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from deviations.models import Deviation, QualityAgreement
from deviations.services import reporting
from portal.access import NOT_ALLOWED
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry
from programs.models import Event
from tests.deviations.conftest import log_deviation

NOW = datetime.datetime(2025, 11, 7, 12, 0, tzinfo=datetime.UTC)


def test_logging_numbers_the_deviation_by_year(world):
    with time_machine.travel(NOW, tick=False):
        first = log_deviation(world)
        second = log_deviation(world, classification="minor")
    assert (first.reference, second.reference) == ("DEV-2025-0001", "DEV-2025-0002")


@override_settings(SITE_TIME_ZONE="America/New_York")
def test_the_year_of_the_reference_is_the_sites_year(world):
    # 02:00 UTC on 1 January 2026 is still 21:00 on 31 December 2025 in New York.
    new_year_in_utc = datetime.datetime(2026, 1, 1, 2, 0, tzinfo=datetime.UTC)
    with time_machine.travel(new_year_in_utc, tick=False):
        deviation = log_deviation(world)
    assert deviation.reference == "DEV-2025-0001"


def test_logging_tells_the_sponsor_at_once_and_starts_the_clock_at_awareness(world):
    aware = NOW - datetime.timedelta(hours=3)
    with time_machine.travel(NOW, tick=False):
        deviation = log_deviation(
            world, classification="critical", occurred_at=aware, aware_at=aware
        )
    assert deviation.notification_due == aware + datetime.timedelta(hours=24)
    assert deviation.sponsor_notified_at == NOW
    assert deviation.time_to_notify == datetime.timedelta(hours=3)
    assert deviation.investigation_due.date() == datetime.date(2025, 12, 7)
    event = Event.objects.get(verb="deviation.logged")
    assert (event.significance, event.audience, event.announce) == ("critical", "sponsor", True)
    assert (event.subject_type, event.subject_id) == ("deviations.deviation", str(deviation.pk))
    assert event.url == f"/deviations/{deviation.reference}/"
    assert AuditEntry.objects.filter(model="deviations.deviation", action="create").exists()


def test_logging_bumps_the_programs_version_once(world):
    before = world.program.version
    log_deviation(world)
    world.program.refresh_from_db()
    assert world.program.version == before + 1


def test_a_program_agreement_overrides_the_sponsors(world):
    QualityAgreement.objects.create(sponsor=world.sponsor_a, major_notify=48)
    QualityAgreement.objects.create(
        sponsor=world.sponsor_a,
        program=world.program,
        major_notify=2,
        major_notify_unit="business_days",
    )
    with time_machine.travel(NOW, tick=False):  # a Friday
        deviation = log_deviation(world, aware_at=NOW)
    assert deviation.notification_due == datetime.datetime(2025, 11, 12, 0, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("classification", "window"),
    [("critical", datetime.timedelta(hours=24)), ("major", datetime.timedelta(hours=72))],
)
def test_the_default_windows(world, classification, window):
    with time_machine.travel(NOW, tick=False):
        deviation = log_deviation(world, classification=classification, aware_at=NOW)
    assert deviation.notification_due - NOW == window


def test_awareness_before_occurrence_is_invalid_input_and_nothing_is_saved(world):
    with pytest.raises(Invalid) as refused:
        log_deviation(
            world, occurred_at=timezone.now(), aware_at=timezone.now() - datetime.timedelta(hours=1)
        )
    assert refused.value.message == reporting.AWARE_BEFORE_OCCURRED
    assert (refused.value.field, refused.value.status_code) == ("aware_at", 400)
    assert not Deviation.objects.exists()


def test_awareness_in_the_future_is_invalid_input(world):
    with pytest.raises(Invalid) as refused:
        log_deviation(world, aware_at=timezone.now() + datetime.timedelta(hours=1))
    assert refused.value.message == reporting.AWARE_IN_FUTURE
    assert refused.value.field == "aware_at"


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "lead_b"])
def test_sponsors_cannot_log(world, persona):
    with pytest.raises(NotAllowed) as refused:
        reporting.deviation_log(
            actor=getattr(world, persona),
            program=world.program,
            title="x",
            description="x",
            classification="minor",
            occurred_at=timezone.now(),
            aware_at=timezone.now(),
        )
    assert refused.value.message == NOT_ALLOWED
    assert not Deviation.objects.exists()


def test_the_sponsor_acknowledges_once_with_who_and_when(world, deviation):
    later = timezone.now() + datetime.timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        acknowledged = reporting.deviation_acknowledge(actor=world.viewer_a, deviation=deviation)
    assert acknowledged.sponsor_acknowledged_by == world.viewer_a
    assert acknowledged.time_to_acknowledge.total_seconds() == pytest.approx(1800, abs=2)
    event = Event.objects.get(verb="deviation.acknowledged")
    assert (event.subject_type, event.subject_id) == ("deviations.deviation", str(deviation.pk))
    with pytest.raises(Conflict) as refused:
        reporting.deviation_acknowledge(actor=world.lead_a, deviation=deviation)
    assert refused.value.message == reporting.ALREADY_ACKNOWLEDGED


@pytest.mark.parametrize("persona", ["lead_b", "pm", "staff"])
def test_only_the_programs_sponsor_acknowledges(world, deviation, persona):
    with pytest.raises(NotAllowed):
        reporting.deviation_acknowledge(actor=getattr(world, persona), deviation=deviation)
    deviation.refresh_from_db()
    assert deviation.sponsor_acknowledged_at is None


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_references_stay_unique_when_logged_at_once(world):
    """Eight threads log at the same moment on PostgreSQL: eight different numbers."""
    references: list[str] = []
    errors: list[Exception] = []
    barrier = threading.Barrier(8)

    def log() -> None:
        try:
            barrier.wait()
            references.append(log_deviation(world).reference)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=log) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(references)) == 8
