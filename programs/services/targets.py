"""The KPI targets agreed at the kick-off (`programs.KpiTarget`).

Targets are baseline data, like a milestone's baseline date: before the kick-off completes the
PM records and adjusts them freely; once it has (the program's baseline is frozen) any change
needs a reason, which the audit entry keeps.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from portal import access
from portal.access import Action, Audience
from portal.errors import Invalid, NotAllowed
from portal.models import User
from portal.transactions import atomic_service
from programs import changes, kpi_catalogue
from programs.models import KpiTarget, Program

NOT_TARGET_OWNER = "Only the program's dedicated PM or CDMO leadership can set KPI targets."
UNKNOWN_KPI = "Unknown KPI: {key}."
TARGETS_FROZEN = "The KPI targets were agreed at the kick-off: give a reason for changing them."
TARGETS_UNCHANGED = "The targets are already as given."


def _label(target: Decimal, unit: str) -> str:
    shown = f"{target.normalize():f}"
    return (
        f"{shown} %" if unit == kpi_catalogue.Unit.PERCENT else f"{shown} {unit.replace('_', ' ')}"
    )


@atomic_service
def kpi_targets_set(
    *,
    actor: User,
    program: Program,
    targets: Mapping[str, Decimal | None],
    reason: str = "",
) -> list[KpiTarget]:
    """Record the targets in `targets` (KPI key → target, None to remove one); KPIs not named
    keep theirs. Every value is checked against its KPI's range before anything is written,
    so a bad one changes nothing."""
    if not access.may(actor, Action.CONFIRM_KICKOFF, program):
        raise NotAllowed(NOT_TARGET_OWNER)
    for key, target in targets.items():
        if key not in kpi_catalogue.Kpi.values:
            raise Invalid(UNKNOWN_KPI.format(key=key), field=key)
        if target is not None:
            problem = kpi_catalogue.definition(key).target_problem(target)
            if problem:
                raise Invalid(problem, field=key)
    reason = reason.strip()
    locked = changes.lock_program(program.pk)
    current = {t.kpi: t for t in KpiTarget.objects.select_for_update().filter(program=locked)}
    wanted = {
        key: target
        for key, target in targets.items()
        if (current[key].target if key in current else None) != target
    }
    if not wanted:
        raise Invalid(TARGETS_UNCHANGED)
    if locked.baseline_frozen_at is not None and not reason:
        raise Invalid(TARGETS_FROZEN, field="reason")
    now = timezone.now()
    url = reverse("program-kpis", args=[program.code])
    for key, target in sorted(wanted.items()):
        definition = kpi_catalogue.definition(key)
        existing = current.get(key)
        if target is None:
            assert existing is not None  # only a change reaches here
            changes.delete(
                existing,
                actor=actor,
                program=locked,
                reason=reason,
                note=changes.Note(
                    verb="kpi.target_removed",
                    summary=f"Target for {definition.name} removed",
                    audience=Audience.SPONSOR,
                    url=url,
                ),
            )
            del current[key]
            continue
        note = changes.Note(
            verb="kpi.target_set",
            summary=f"Target for {definition.name}: {_label(target, definition.unit)}",
            audience=Audience.SPONSOR,
            url=url,
        )
        if existing is None:
            current[key] = changes.create(
                KpiTarget(program=locked, kpi=key, target=target, agreed_at=now, agreed_by=actor),
                actor=actor,
                program=locked,
                note=note,
                reason=reason,
            )
        else:
            changes.update(
                existing,
                actor=actor,
                program=locked,
                values={"target": target, "agreed_at": now, "agreed_by": actor},
                note=note,
                reason=reason,
            )
    return sorted(current.values(), key=lambda t: t.kpi)
