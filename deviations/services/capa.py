"""Corrective and preventive actions. A CAPA is due within the quality agreement's CAPA window,
counted on the site clock from when it is planned: that is its default due date, and a later
one needs a justification that stays on the record (docs/deviations.md)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from deviations.models import CAPA, Deviation
from deviations.services.common import (
    agreement_for,
    last_site_day,
    lock_deviation,
    note,
    require_open,
)
from portal import access, bounds, clock
from portal.access import Action
from portal.errors import Conflict, Invalid
from portal.models import User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

CAPA_ALREADY_DONE = "This CAPA action is already done."
CAPA_BEYOND_WINDOW = (
    "The quality agreement's CAPA window ends on {last_day:%d %b %Y}: a later due date needs a "
    "justification."
)


def capa_window_end(program: Program, planned_at: datetime.datetime) -> datetime.date:
    """The last site day of the agreement's CAPA window for a CAPA planned at `planned_at`."""
    agreement = agreement_for(program, at=planned_at)
    return last_site_day(clock.due_at(planned_at, agreement.capa, agreement.capa_unit))


@atomic_service
def capa_add(
    *,
    actor: User,
    deviation: Deviation,
    kind: str,
    description: str,
    owner: User,
    due_date: datetime.date | None = None,
    due_justification: str = "",
) -> CAPA:
    """Plan a CAPA action. Without a due date it is due at the end of the agreement's CAPA
    window; a due date after that needs `due_justification` (400 naming `due_date` without)."""
    access.require(actor, Action.EDIT_DEVIATION, deviation.program)
    bounds.check(due_date=due_date)
    program = changes.lock_program(deviation.program_id)
    locked = lock_deviation(deviation)
    require_open(locked)
    last_day = capa_window_end(program, timezone.now())
    due_justification = due_justification.strip()
    if due_date is None:
        due_date = last_day
    elif due_date > last_day and not due_justification:
        raise Invalid(CAPA_BEYOND_WINDOW.format(last_day=last_day), field="due_date")
    capa = CAPA(
        deviation=locked,
        number=locked.capas.count() + 1,
        program=program,
        kind=kind,
        description=description,
        owner=owner,
        due_date=due_date,
        due_justification=due_justification if due_date > last_day else "",
    )
    return changes.create(
        capa,
        actor=actor,
        program=program,
        reason=capa.due_justification,
        note=note(
            locked,
            "deviation.capa_added",
            f"{capa.get_kind_display()} action added to {locked.reference}",
        ),
    )


@atomic_service
def capa_complete(*, actor: User, capa: CAPA, effectiveness_check: str = "") -> CAPA:
    """The owner, QA or the program team marks the action done, with how its effectiveness
    was checked (on the site's date). A CAPA of a closed (signed) deviation is part of what was
    signed: it is done before closure, or after QA reopens the deviation."""
    access.require(actor, Action.COMPLETE_CAPA, capa.deviation.program, capa)
    program = changes.lock_program(capa.deviation.program_id)
    deviation = lock_deviation(capa.deviation)
    require_open(deviation)
    locked = CAPA.objects.select_for_update().get(pk=capa.pk)
    if locked.status == CAPA.Status.DONE:
        raise Conflict(CAPA_ALREADY_DONE)
    values: dict[str, object] = {"status": CAPA.Status.DONE, "completed_at": timezone.now()}
    if effectiveness_check:
        values |= {
            "effectiveness_check": effectiveness_check,
            "effectiveness_checked_on": clock.site_today(),
        }
    changes.update(
        locked,
        actor=actor,
        program=program,
        values=values,
        note=note(
            deviation,
            "deviation.capa_done",
            f"{locked.get_kind_display()} action on {deviation.reference} done",
        ),
    )
    return locked
