"""Logging, the notification clock, acknowledgement, edits with a reason, investigation,
CAPA and extensions."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from deviations import services
from deviations.models import Deviation, QualityAgreement
from portal.errors import ServiceError
from portal.models import AuditEntry
from programs.models import Event, Milestone
from tests.deviations.conftest import log_deviation, move

NOW = datetime.datetime(2025, 11, 7, 12, 0, tzinfo=datetime.UTC)


def test_logging_numbers_the_deviation_by_year(world):
    with time_machine.travel(NOW, tick=False):
        first = log_deviation(world)
        second = log_deviation(world, classification="minor")
    assert (first.reference, second.reference) == ("DEV-2025-0001", "DEV-2025-0002")


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
    assert event.url == f"/deviations/{deviation.reference}/"
    assert AuditEntry.objects.filter(model="deviations.deviation", action="create").exists()


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


def test_awareness_before_occurrence_is_refused_and_nothing_is_saved(world):
    with pytest.raises(ServiceError) as refused:
        log_deviation(
            world, occurred_at=timezone.now(), aware_at=timezone.now() - datetime.timedelta(hours=1)
        )
    assert refused.value.message == services.AWARE_BEFORE_OCCURRED
    assert refused.value.field == "aware_at"
    assert not Deviation.objects.exists()


def test_awareness_in_the_future_is_refused(world):
    with pytest.raises(ServiceError) as refused:
        log_deviation(world, aware_at=timezone.now() + datetime.timedelta(hours=1))
    assert refused.value.message == services.AWARE_IN_FUTURE


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "lead_b"])
def test_sponsors_cannot_log(world, persona):
    with pytest.raises(ServiceError) as refused:
        services.deviation_log(
            actor=getattr(world, persona),
            program=world.program,
            title="x",
            description="x",
            classification="minor",
            occurred_at=timezone.now(),
            aware_at=timezone.now(),
        )
    assert refused.value.message == services.NOT_ALLOWED


def test_the_sponsor_acknowledges_once_with_who_and_when(world, deviation):
    later = timezone.now() + datetime.timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        acknowledged = services.deviation_acknowledge(actor=world.viewer_a, deviation=deviation)
    assert acknowledged.sponsor_acknowledged_by == world.viewer_a
    assert acknowledged.time_to_acknowledge.total_seconds() == pytest.approx(1800, abs=2)
    with pytest.raises(ServiceError) as refused:
        services.deviation_acknowledge(actor=world.lead_a, deviation=deviation)
    assert refused.value.message == services.ALREADY_ACKNOWLEDGED


@pytest.mark.parametrize("persona", ["lead_b", "pm", "staff"])
def test_only_the_programs_sponsor_acknowledges(world, deviation, persona):
    with pytest.raises(ServiceError):
        services.deviation_acknowledge(actor=getattr(world, persona), deviation=deviation)


def test_an_edit_needs_a_reason_and_is_audited_with_it(world, deviation):
    with pytest.raises(ServiceError) as refused:
        services.deviation_update(
            actor=world.pm, deviation=deviation, expected_version=1, reason=" ", title="New"
        )
    assert refused.value.message == services.REASON_REQUIRED
    milestone = Milestone.objects.create(
        program=world.program,
        name="PPQ batch 1",
        baseline_date=datetime.date(2026, 1, 1),
        forecast_date=datetime.date(2026, 1, 1),
    )
    updated = services.deviation_update(
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
    entry = AuditEntry.objects.filter(model="deviations.deviation").last()
    assert entry.reason == "Assessment after the batch review"
    assert entry.changes["classification"] == ["major", "critical"]
    assert entry.changes["affected_milestones"] == [[], [milestone.pk]]


def test_a_stale_edit_is_refused(world, deviation):
    services.deviation_update(
        actor=world.pm, deviation=deviation, expected_version=1, reason="r", title="One"
    )
    with pytest.raises(ServiceError) as refused:
        services.deviation_update(
            actor=world.staff, deviation=deviation, expected_version=1, reason="r", title="Two"
        )
    assert refused.value.message == services.STALE
    deviation.refresh_from_db()
    assert deviation.title == "One"


def test_a_closed_deviation_cannot_change(world, deviation):
    closed = move(world, deviation, "investigating", "pending_capa", "closed")
    with pytest.raises(ServiceError) as refused:
        services.deviation_update(
            actor=world.staff,
            deviation=closed,
            expected_version=closed.version,
            reason="r",
            title="Changed",
        )
    assert refused.value.message == services.NOT_OPEN


def test_a_signed_open_deviation_changes_only_with_a_new_signature(world, deviation, password):
    extension = services.extension_request(
        actor=world.pm,
        deviation=deviation,
        new_due=deviation.investigation_due + datetime.timedelta(days=14),
        reason="Waiting for the supplier's report",
    )
    services.extension_approve(
        actor=world.staff, extension=extension, expected_version=1, password=password
    )
    deviation.refresh_from_db()
    with pytest.raises(ServiceError):
        services.deviation_update(
            actor=world.staff, deviation=deviation, expected_version=2, reason="r", title="X"
        )
    updated = services.deviation_update(
        actor=world.staff,
        deviation=deviation,
        expected_version=2,
        reason="Corrected title",
        title="X",
        password=password,
    )
    assert updated.title == "X"


def test_an_approved_extension_moves_the_investigation_due_date(world, deviation, password):
    new_due = deviation.investigation_due + datetime.timedelta(days=14)
    extension = services.extension_request(
        actor=world.pm, deviation=deviation, new_due=new_due, reason="Supplier report"
    )
    with pytest.raises(ServiceError):
        services.extension_approve(
            actor=world.pm, extension=extension, expected_version=1, password=password
        )
    with pytest.raises(ServiceError) as wrong:
        services.extension_approve(
            actor=world.staff, extension=extension, expected_version=1, password="wrong"
        )
    assert wrong.value.field == "password"
    approved = services.extension_approve(
        actor=world.staff, extension=extension, expected_version=1, password=password
    )
    deviation.refresh_from_db()
    assert approved.status == "approved"
    assert deviation.investigation_due == new_due
    with pytest.raises(ServiceError) as again:
        services.extension_approve(
            actor=world.staff, extension=extension, expected_version=2, password=password
        )
    assert again.value.message == services.EXTENSION_ALREADY_DECIDED


def test_root_causes_are_categorised_and_several(world, deviation):
    services.root_cause_add(
        actor=world.staff, deviation=deviation, category="equipment", description="Worn gasket"
    )
    services.root_cause_add(
        actor=world.pm, deviation=deviation, category="method", description="SOP unclear"
    )
    assert deviation.root_causes.count() == 2
    with pytest.raises(ServiceError):
        services.root_cause_add(
            actor=world.lead_a, deviation=deviation, category="method", description="x"
        )


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
