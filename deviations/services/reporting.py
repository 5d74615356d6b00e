"""Telling the sponsor: logging a deviation (which announces it at once and starts the
notification clock at awareness) and the sponsor's acknowledgement."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils import timezone

from deviations.models import Deviation, DeviationYear
from deviations.services.common import (
    SIGNIFICANCE,
    agreement_for,
    batches_named,
    lock_deviation,
    note,
)
from portal import access, bounds, clock
from portal.access import Action
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

AWARE_BEFORE_OCCURRED = "Awareness cannot be before the deviation occurred."
AWARE_IN_FUTURE = "Awareness cannot be in the future."
UNKNOWN_CLASSIFICATION = "A deviation is minor, major or critical."
ALREADY_ACKNOWLEDGED = "This deviation has already been acknowledged."


def _next_reference(year: int) -> str:
    """DEV-YYYY-NNNN from the year's counter row, locked until the caller commits, so that two
    deviations logged at once never share a number."""
    DeviationYear.objects.bulk_create([DeviationYear(year=year)], ignore_conflicts=True)
    counter = DeviationYear.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"DEV-{year}-{counter.last_number:04d}"


@atomic_service
def deviation_log(
    *,
    actor: User,
    program: Program,
    title: str,
    description: str,
    classification: str,
    occurred_at: datetime.datetime,
    aware_at: datetime.datetime,
    batches: Sequence[str] = (),
) -> Deviation:
    """Record a deviation and tell the sponsor: the event is announced (comms posts it as an
    update and notifies the sponsor's people), so the sponsor counts as notified now.
    Awareness before occurrence or in the future is invalid input (400 naming `aware_at`)."""
    access.require(actor, Action.LOG_DEVIATION, program)
    bounds.check(occurred_at=occurred_at, aware_at=aware_at)
    if aware_at < occurred_at:
        raise Invalid(AWARE_BEFORE_OCCURRED, field="aware_at")
    now = timezone.now()
    if aware_at > now:
        raise Invalid(AWARE_IN_FUTURE, field="aware_at")
    if classification not in SIGNIFICANCE:
        raise Invalid(UNKNOWN_CLASSIFICATION, field="classification")
    locked = changes.lock_program(program.pk)
    affected = batches_named(locked, batches)
    agreement = agreement_for(program, at=aware_at)
    amount, unit = agreement.notify_window(classification)
    deviation = Deviation(
        reference=_next_reference(clock.site_now().year),
        program=locked,
        title=title,
        description=description,
        classification=classification,
        occurred_at=occurred_at,
        aware_at=aware_at,
        notification_due=clock.due_at(aware_at, amount, unit),
        investigation_due=clock.due_at(
            aware_at, agreement.investigation, agreement.investigation_unit
        ),
        sponsor_notified_at=now,
        seconds_to_notify=int((now - aware_at).total_seconds()),
        logged_by=actor,
    )
    changes.create(
        deviation,
        actor=actor,
        program=locked,
        note=note(
            deviation,
            "deviation.logged",
            f"{deviation.get_classification_display()} deviation {deviation.reference}: "
            f"{deviation.title}",
            detail=description,
            significance=SIGNIFICANCE[classification],
            announce=True,
        ),
    )
    if affected:
        changes.link(deviation, actor=actor, program=locked, field="batches", related=affected)
    return deviation


@atomic_service
def deviation_acknowledge(*, actor: User, deviation: Deviation) -> Deviation:
    """The sponsor confirms it was told: once, with who and when. Also after closure: the
    acknowledgement is recorded beside the signed content (deviations.signed_content), so it
    leaves every signature current."""
    access.require(actor, Action.ACKNOWLEDGE_DEVIATION, deviation.program)
    program = changes.lock_program(deviation.program_id)
    locked = lock_deviation(deviation)
    if locked.sponsor_acknowledged_at is not None:
        raise Conflict(ALREADY_ACKNOWLEDGED)
    now = timezone.now()
    told = locked.sponsor_notified_at or locked.aware_at
    changes.update(
        locked,
        actor=actor,
        program=program,
        values={
            "sponsor_acknowledged_at": now,
            "sponsor_acknowledged_by": actor,
            "seconds_to_acknowledge": max(0, int((now - told).total_seconds())),
        },
        note=note(
            locked,
            "deviation.acknowledged",
            f"{actor.display_name} acknowledged {locked.reference}",
        ),
    )
    return locked
