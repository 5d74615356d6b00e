"""Extensions of the investigation: requested with a reason, approved by QA with a signature;
the due date moves, in one change to the program (one version bump, one health reaction)."""

import datetime

import pytest

from deviations.services import common, extensions
from portal.errors import Conflict, Invalid, NotAllowed
from programs import changes
from programs.models import Event
from tests.deviations.conftest import log_deviation


def _request(world, deviation, days: int = 14):
    return extensions.extension_request(
        actor=world.pm,
        deviation=deviation,
        new_due=deviation.investigation_due + datetime.timedelta(days=days),
        reason="Supplier report",
    )


def test_a_request_needs_a_reason_and_a_later_date(world, deviation):
    with pytest.raises(Invalid) as no_reason:
        extensions.extension_request(
            actor=world.pm, deviation=deviation, new_due=deviation.investigation_due, reason=" "
        )
    assert (no_reason.value.message, no_reason.value.field) == (common.REASON_REQUIRED, "reason")
    with pytest.raises(Invalid) as not_later:
        _request(world, deviation, days=0)
    assert (not_later.value.message, not_later.value.field) == (
        extensions.EXTENSION_NOT_LATER,
        "new_due",
    )
    assert not deviation.extensions.exists()


def test_an_approved_extension_moves_the_investigation_due_date(world, deviation, password):
    extension = _request(world, deviation)
    with pytest.raises(NotAllowed):
        extensions.extension_approve(
            actor=world.pm, extension=extension, expected_version=1, password=password
        )
    with pytest.raises(Invalid) as wrong:
        extensions.extension_approve(
            actor=world.qa, extension=extension, expected_version=1, password="wrong"
        )
    assert wrong.value.field == "password"
    approved = extensions.extension_approve(
        actor=world.qa, extension=extension, expected_version=1, password=password
    )
    deviation.refresh_from_db()
    assert approved.status == "approved"
    assert deviation.investigation_due == extension.new_due
    event = Event.objects.get(verb="deviation.extended")
    assert (event.subject_type, event.subject_id) == ("deviations.deviation", str(deviation.pk))
    with pytest.raises(Conflict) as again:
        extensions.extension_approve(
            actor=world.qa, extension=extension, expected_version=2, password=password
        )
    assert again.value.message == extensions.EXTENSION_ALREADY_DECIDED


def test_a_stale_approval_is_a_conflict(world, deviation, password):
    extension = _request(world, deviation)
    with pytest.raises(Conflict) as refused:
        extensions.extension_approve(
            actor=world.qa, extension=extension, expected_version=7, password=password
        )
    assert refused.value.message == common.STALE


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_approval_changes_two_rows_in_one_program_change(world, password, monkeypatch):
    """The extension and the deviation change in one transaction: the program's version moves
    once and, after commit, the program's health is refreshed once (committed for real, since
    a test's own transaction would merge every step into one)."""
    sent: list[tuple[str, tuple]] = []
    monkeypatch.setattr("portal.queue._send", lambda name, args: sent.append((name, args)))
    extension = _request(world, log_deviation(world))
    world.program.refresh_from_db()
    version = world.program.version
    sent.clear()
    extensions.extension_approve(
        actor=world.qa, extension=extension, expected_version=1, password=password
    )
    world.program.refresh_from_db()
    assert world.program.version == version + 1
    assert sent.count((changes.HEALTH_TASK, (world.program.pk,))) == 1
