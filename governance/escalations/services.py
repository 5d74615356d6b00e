"""Writes for escalations: raise (by a rule, a PM's issue, a sponsor's concern), acknowledge,
assign, resolve, and set a path. Each is an `atomic_service` that locks the program first and
writes through `programs.changes` (audit entry, Event of kind `escalation`, live message)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from governance.escalations.models import (
    Escalation,
    EscalationLevel,
    EscalationPath,
    EscalationStep,
)
from governance.escalations.selectors import concern_level, effective_levels
from portal import access, audit, bounds, clock
from portal.access import Action, Audience
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, User
from portal.transactions import atomic_service
from programs import changes
from programs.models import Program

ALREADY_ACKNOWLEDGED = "This escalation is already acknowledged."
ALREADY_RESOLVED = "This escalation is already resolved."
RESOLUTION_REQUIRED = "Say how it was resolved: a resolution note is required."
TITLE_REQUIRED = "Say what the escalation is about: a title is required."
NOT_LEADERSHIP = "Only the CDMO's leadership can do that."
NOT_TEAM = "Only the program's CDMO team can raise an issue."
NOT_SPONSOR = "Only the program's sponsor can raise a concern."
NOT_PATH_EDITOR = "Only the program's PM or the CDMO's leadership can change its path."
ASSIGNEE_NOT_CDMO = "Assign it to someone at the CDMO."
NO_LEVELS = "A path needs at least one level."
WINDOW_NOT_POSITIVE = "Level {n}: the window must be a whole number of at least 1."
UNKNOWN_UNIT = "Level {n}: the window is counted in hours, calendar days or business days."
ROLE_OR_PERSON = "Level {n}: name a role or a person, not both."
UNKNOWN_ROLE = "Level {n}: choose one of {roles}."
PERSON_NOT_CDMO = "Level {n}: the person must work at the CDMO."
TOO_MANY_LEVELS = "A path has at most {n} levels."
MAX_LEVELS = 10


def escalation_url(escalation: Escalation) -> str:
    if escalation.audience == Audience.SPONSOR:
        return reverse("program-escalations", args=[escalation.program.code])
    return reverse("leadership-escalations") + f"#escalation-{escalation.pk}"


def _require(actor: User, action: Action, program: Program, message: str) -> None:
    if not access.may(actor, action, program):
        raise NotAllowed(message)


def _due(level: EscalationLevel, start: datetime.datetime, last: bool) -> datetime.datetime | None:
    return None if last else clock.due_at(start, level.window, level.window_unit)


def escalation_open(
    *,
    program: Program,
    actor: User | None,
    subject_kind: str,
    title: str,
    subject_id: str = "",
    detail: str = "",
    url: str = "",
    rule: str = "",
    audience: str = Audience.INTERNAL,
    level: int = 1,
    now: datetime.datetime | None = None,
) -> Escalation:
    """Insert an escalation at `level` of the program's path, with its first step. For callers
    that hold the program's lock; a rule's second raise for the same open subject breaks the
    unique constraint (refused by validation, or by the database)."""
    now = now or timezone.now()
    levels = effective_levels(program)
    current = levels[min(level, len(levels)) - 1]
    escalation = Escalation(
        program=program,
        subject_kind=subject_kind,
        subject_id=subject_id,
        title=title.strip()[:250],
        detail=detail,
        url=url,
        rule=rule,
        raised_by=actor,
        raised_at=now,
        audience=audience,
        level=current.position,
        level_started_at=now,
        due_at=_due(current, now, current.position >= len(levels)),
    )
    changes.create(escalation, actor=actor, program=program)
    EscalationStep.objects.create(
        escalation=escalation,
        level=escalation.level,
        at=now,
        due_at=escalation.due_at,
        who=current.who,
    )
    origin = f"rule “{rule}”" if rule else (actor.display_name if actor else "the portal")
    changes.log(
        program=program,
        actor=actor,
        subject=escalation,
        note=changes.Note(
            verb="escalation.raised",
            summary=f"{escalation.reference} raised by {origin} at level {escalation.level} "
            f"({current.who}): {escalation.title}",
            significance="notable",
            url=escalation_url(escalation),
        ),
    )
    return escalation


@atomic_service
def escalation_raise_by_rule(
    *,
    program_id: int,
    rule: str,
    subject_kind: str,
    subject_id: str,
    title: str,
    url: str = "",
    now: datetime.datetime | None = None,
) -> Escalation | None:
    """A rule's escalation, once per open (rule, subject): None when one is already open."""
    program = changes.lock_program(program_id)
    if Escalation.objects.filter(
        rule=rule, subject_kind=subject_kind, subject_id=subject_id, resolved_at__isnull=True
    ).exists():
        return None
    try:
        with transaction.atomic():
            return escalation_open(
                program=program,
                actor=None,
                subject_kind=subject_kind,
                subject_id=subject_id,
                title=title,
                url=url,
                rule=rule,
                now=now,
            )
    except (IntegrityError, ValidationError):
        return None  # raised meanwhile by another worker: the constraint kept it to one


def _checked_title(title: str, detail: str) -> tuple[str, str]:
    bounds.check_lines(title=title)
    if not title.strip():
        raise Invalid(TITLE_REQUIRED, field="title")
    return title.strip(), detail.strip()


@atomic_service
def issue_raise(*, actor: User, program: Program, title: str, detail: str = "") -> Escalation:
    """The program's CDMO team raises an issue: it starts at the first level, internal."""
    _require(actor, Action.RAISE_ISSUE, program, NOT_TEAM)
    title, detail = _checked_title(title, detail)
    locked = changes.lock_program(program.pk)
    return escalation_open(
        program=locked,
        actor=actor,
        subject_kind=Escalation.Subject.ISSUE,
        title=title,
        detail=detail,
    )


@atomic_service
def concern_raise(*, actor: User, program: Program, title: str, detail: str = "") -> Escalation:
    """A sponsor's user raises a concern straight to the CDMO's leadership: it starts at the
    path's leadership level, and the sponsor sees it, its acknowledgement and its resolution."""
    _require(actor, Action.RAISE_CONCERN, program, NOT_SPONSOR)
    title, detail = _checked_title(title, detail)
    locked = changes.lock_program(program.pk)
    return escalation_open(
        program=locked,
        actor=actor,
        subject_kind=Escalation.Subject.CONCERN,
        title=title,
        detail=detail,
        audience=Audience.SPONSOR,
        level=concern_level(effective_levels(locked)),
    )


def _lock(escalation: Escalation) -> tuple[Program, Escalation]:
    program = changes.lock_program(escalation.program_id)
    row = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("program")
        .get(pk=escalation.pk)
    )
    return program, row


@atomic_service
def escalation_acknowledge(*, actor: User, escalation: Escalation) -> Escalation:
    """Leadership takes it on: the sweep stops moving it. Twice is a conflict."""
    _require(actor, Action.ESCALATION_ACT, escalation.program, NOT_LEADERSHIP)
    program, row = _lock(escalation)
    if row.resolved_at is not None:
        raise Conflict(ALREADY_RESOLVED)
    if row.acknowledged_at is not None:
        raise Conflict(ALREADY_ACKNOWLEDGED)
    changes.update(
        row,
        actor=actor,
        program=program,
        values={"acknowledged_at": timezone.now(), "acknowledged_by": actor},
        note=changes.Note(
            verb="escalation.acknowledged",
            summary=f"{row.reference} acknowledged by {actor.display_name}: {row.title}",
            url=escalation_url(row),
        ),
    )
    return row


@atomic_service
def escalation_assign(*, actor: User, escalation: Escalation, assignee: User) -> Escalation:
    """Leadership names who at the CDMO works on it (internal)."""
    _require(actor, Action.ESCALATION_ACT, escalation.program, NOT_LEADERSHIP)
    if not access.is_cdmo(assignee):
        raise Invalid(ASSIGNEE_NOT_CDMO, field="assignee")
    program, row = _lock(escalation)
    if row.resolved_at is not None:
        raise Conflict(ALREADY_RESOLVED)
    changes.update(
        row,
        actor=actor,
        program=program,
        values={"assigned_to": assignee},
        note=changes.Note(
            verb="escalation.assigned",
            summary=f"{row.reference} assigned to {assignee.display_name}: {row.title}",
            audience=Audience.INTERNAL,
            url=escalation_url(row),
        ),
    )
    return row


@atomic_service
def escalation_resolve(*, actor: User, escalation: Escalation, resolution: str) -> Escalation:
    """Close it with a note saying how (required); an unacknowledged one is acknowledged too."""
    _require(actor, Action.ESCALATION_ACT, escalation.program, NOT_LEADERSHIP)
    if not resolution.strip():
        raise Invalid(RESOLUTION_REQUIRED, field="resolution")
    program, row = _lock(escalation)
    if row.resolved_at is not None:
        raise Conflict(ALREADY_RESOLVED)
    now = timezone.now()
    values: dict[str, Any] = {
        "resolved_at": now,
        "resolved_by": actor,
        "resolution": resolution.strip(),
    }
    if row.acknowledged_at is None:
        values |= {"acknowledged_at": now, "acknowledged_by": actor}
    changes.update(
        row,
        actor=actor,
        program=program,
        values=values,
        note=changes.Note(
            verb="escalation.resolved",
            summary=f"{row.reference} resolved by {actor.display_name}: {row.title}",
            detail=resolution.strip(),
            url=escalation_url(row),
        ),
    )
    return row


def _checked_levels(levels: Sequence[Mapping[str, Any]]) -> list[EscalationLevel]:
    if not levels:
        raise Invalid(NO_LEVELS, field="levels")
    if len(levels) > MAX_LEVELS:
        raise Invalid(TOO_MANY_LEVELS.format(n=MAX_LEVELS), field="levels")
    checked = []
    for n, level in enumerate(levels, start=1):
        window, unit = level.get("window"), level.get("window_unit", clock.Unit.HOURS)
        role, person = level.get("role") or "", level.get("person")
        if not isinstance(window, int) or isinstance(window, bool) or window < 1:
            raise Invalid(WINDOW_NOT_POSITIVE.format(n=n), field=f"levels[{n - 1}].window")
        if window > bounds.MAX_WINDOW:
            raise Invalid(WINDOW_NOT_POSITIVE.format(n=n), field=f"levels[{n - 1}].window")
        if unit not in clock.Unit.values:
            raise Invalid(UNKNOWN_UNIT.format(n=n), field=f"levels[{n - 1}].window_unit")
        if bool(role) == (person is not None):
            raise Invalid(ROLE_OR_PERSON.format(n=n), field=f"levels[{n - 1}].role")
        if role and role not in EscalationLevel.Role.values:
            roles = ", ".join(EscalationLevel.Role.values)
            raise Invalid(UNKNOWN_ROLE.format(n=n, roles=roles), field=f"levels[{n - 1}].role")
        if person is not None and not access.is_cdmo(person):
            raise Invalid(PERSON_NOT_CDMO.format(n=n), field=f"levels[{n - 1}].person")
        checked.append(
            EscalationLevel(position=n, role=role, person=person, window=window, window_unit=unit)
        )
    return checked


@atomic_service
def escalation_path_set(
    *, actor: User, program: Program | None, levels: Sequence[Mapping[str, Any]]
) -> EscalationPath:
    """Replace a path's levels: a program's (its PM or leadership) or, with no program, the
    CDMO's default (leadership). Audited old → new as one change of the path."""
    if program is None:
        if not access.is_leadership(actor):
            raise NotAllowed(NOT_LEADERSHIP)
    else:
        _require(actor, Action.EDIT_ESCALATION_PATH, program, NOT_PATH_EDITOR)
    checked = _checked_levels(levels)
    if program is not None:
        program = changes.lock_program(program.pk)
        path, _ = EscalationPath.objects.get_or_create(program=program)
    else:
        path, _ = EscalationPath.objects.get_or_create(site_default=True)
    path = EscalationPath.objects.select_for_update().get(pk=path.pk)
    before = [str(level) for level in path.levels.all()]
    path.levels.all().delete()
    for level in checked:
        level.path = path
        level.full_clean()
    EscalationLevel.objects.bulk_create(checked)
    after = [str(level) for level in checked]
    if program is not None:
        changes.touch(program, react=False)
    audit.record(
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        instance=path,
        changes={"levels": [before, after]},
        program_id=program.pk if program is not None else None,
    )
    return path
