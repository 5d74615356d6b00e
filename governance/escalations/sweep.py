"""The sweep (Celery beat, every minute): every unacknowledged escalation whose level's window
has closed moves to the next level, is audited, and its new level hears of it.

Set-based: one indexed read finds the programs with something due (the partial index
`escalation_due` holds only unacknowledged open rows, ordered by `due_at`), so the cost grows
with what is due, not with all open escalations. Per program, in one transaction per batch:
the program's row lock first (the lock order of every writer), then the due rows with
`FOR UPDATE SKIP LOCKED` on PostgreSQL, re-read under the lock, so two sweeps at once move each
row once. The `EscalationStep` rows, unique per (escalation, level), are the last guard: a
second move to a level already reached breaks the constraint and the batch changes nothing.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.utils import timezone

from governance.escalations.models import Escalation, EscalationStep
from governance.escalations.selectors import due, effective_levels
from governance.escalations.services import escalation_url
from portal import clock
from portal.access import Audience
from portal.transactions import atomic_service
from programs import changes

BATCH_SIZE = 200


def sweep(*, now: datetime.datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Move what is due by `now`; returns how many escalations moved up a level."""
    now = now or timezone.now()
    program_ids = list(
        Escalation.objects.filter(due(now))
        .order_by()
        .values_list("program_id", flat=True)
        .distinct()
    )
    moved = 0
    for program_id in sorted(program_ids):
        while True:
            count = _sweep_batch(program_id=program_id, now=now, batch_size=batch_size)
            moved += count
            if count < batch_size:
                break
    return moved


@atomic_service
def _sweep_batch(*, program_id: int, now: datetime.datetime, batch_size: int) -> int:
    program = changes.lock_program(program_id)
    skip = connection.features.has_select_for_update_skip_locked
    rows = list(
        Escalation.objects.filter(due(now), program_id=program_id)
        .select_for_update(skip_locked=skip, of=("self",))
        .order_by("due_at", "id")[:batch_size]
    )
    if not rows:
        return 0
    levels = effective_levels(program)
    last = len(levels)
    steps = []
    moves: list[tuple[Escalation, int, datetime.datetime | None]] = []
    for row in rows:
        if row.level >= last:
            moves.append((row, row.level, None))  # at the top already: the clock stops
            continue
        level = levels[row.level]  # the next one (positions start at 1)
        due_at = (
            None if level.position >= last else clock.due_at(now, level.window, level.window_unit)
        )
        steps.append(
            EscalationStep(
                escalation=row, level=level.position, at=now, due_at=due_at, who=level.who
            )
        )
        moves.append((row, level.position, due_at))
    EscalationStep.objects.bulk_create(steps)
    for row, position, due_at in moves:
        row.program = program
        moved = position != row.level
        changes.update(
            row,
            actor=None,
            program=program,
            values={"level": position, "level_started_at": now, "due_at": due_at},
            validate=False,
            note=changes.Note(
                verb="escalation.escalated",
                summary=f"{row.reference} escalated to level {position} "
                f"({levels[position - 1].who}): {row.title}",
                audience=Audience.INTERNAL,
                significance="critical" if position >= last else "notable",
                url=escalation_url(row),
            )
            if moved
            else None,
        )
    return len(rows)
