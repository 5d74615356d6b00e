"""Writes for deviations: logging, the sponsor's acknowledgement, the lifecycle (one table of
allowed moves), investigation, CAPA and extensions. Each service checks permission, changes
rows, audits and appends an event in one transaction."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from deviations.models import (
    CAPA,
    Deviation,
    DeviationYear,
    ExtensionRequest,
    QualityAgreement,
    RootCause,
)
from portal import audit, clock, policy, signatures
from portal.errors import ServiceError
from portal.models import Signature, User
from programs.models import Audience, Event, Milestone, Program
from programs.services import event_append

NOT_ALLOWED = "You are not allowed to do that."
STALE = "Someone else changed this deviation since you opened it. Reload and try again."
REASON_REQUIRED = "A reason for the change is required."
TRANSITION_NOT_ALLOWED = "A deviation cannot move from {current} to {target}."
ROLE_NOT_ALLOWED = "Your role may not move a deviation from {current} to {target}."
SIGNATURE_REQUIRED = "This step needs your electronic signature: re-enter your password."
TOKEN_CANNOT_SIGN = "An API token cannot sign. Sign in and sign in the portal."
OPEN_CAPAS = "Open CAPA actions must be done first, or give a rationale for closing without them."
ALREADY_ACKNOWLEDGED = "This deviation has already been acknowledged."
NOT_OPEN = "This deviation is closed; it can no longer change."
AWARE_BEFORE_OCCURRED = "Awareness cannot be before the deviation occurred."
AWARE_IN_FUTURE = "Awareness cannot be in the future."
CAPA_ALREADY_DONE = "This CAPA action is already done."
EXTENSION_NOT_LATER = "The new due date must be after the current one."
EXTENSION_ALREADY_DECIDED = "This extension request has already been decided."
UNKNOWN_CLASSIFICATION = "A deviation is minor, major or critical."
MILESTONE_OTHER_PROGRAM = "A milestone of another program cannot be affected."

SIGNIFICANCE: dict[str, str] = {
    Deviation.Classification.CRITICAL: "critical",
    Deviation.Classification.MAJOR: "notable",
    Deviation.Classification.MINOR: "info",
}

QA = "qa"
TEAM = "program_team"

Status = Deviation.Status


@dataclass(frozen=True)
class Move:
    """One allowed transition: who may make it, and what it needs."""

    roles: frozenset[str]
    signature_meaning: str = ""  # empty: no signature needed
    needs_reason: bool = False


# The one table of the lifecycle. A move not in it is refused.
TRANSITIONS: dict[tuple[str, str], Move] = {
    (Status.OPEN, Status.INVESTIGATING): Move(roles=frozenset({QA, TEAM})),
    (Status.INVESTIGATING, Status.PENDING_CAPA): Move(roles=frozenset({QA})),
    (Status.PENDING_CAPA, Status.CLOSED): Move(roles=frozenset({QA}), signature_meaning="approved"),
    (Status.OPEN, Status.CANCELLED): Move(
        roles=frozenset({QA}), signature_meaning="approved", needs_reason=True
    ),
    (Status.INVESTIGATING, Status.CANCELLED): Move(
        roles=frozenset({QA}), signature_meaning="approved", needs_reason=True
    ),
    (Status.PENDING_CAPA, Status.CANCELLED): Move(
        roles=frozenset({QA}), signature_meaning="approved", needs_reason=True
    ),
}

EDITABLE_FIELDS = [
    "title",
    "description",
    "batch",
    "classification",
    "impact_product_quality",
    "impact_other_batches",
    "impact_timeline",
    "impact_cost",
]


def roles_of(user: User, program: Program) -> set[str]:
    roles = set()
    if policy.is_qa(user):
        roles.add(QA)
    if policy.is_program_team(user, program):
        roles.add(TEAM)
    return roles


def move_for(current: str, target: str) -> Move | None:
    return TRANSITIONS.get((current, target))


def needs_signature(deviation: Deviation, target: str) -> bool:
    move = move_for(deviation.status, target)
    return bool(move and move.signature_meaning)


def allowed_targets(user: User, deviation: Deviation) -> list[str]:
    """The statuses this user may move this deviation to now (for buttons and the API)."""
    roles = roles_of(user, deviation.program)
    return [
        target
        for (current, target), move in TRANSITIONS.items()
        if current == deviation.status and roles & move.roles
    ]


def agreement_for(program: Program) -> QualityAgreement:
    """The program's own agreement, else its sponsor's, else the defaults."""
    agreements = QualityAgreement.objects.filter(sponsor_id=program.sponsor_id)
    chosen = (
        agreements.filter(program=program).first()
        or agreements.filter(program__isnull=True).first()
    )
    return chosen or QualityAgreement(sponsor_id=program.sponsor_id)


def _next_reference(year: int) -> str:
    """DEV-YYYY-NNNN from the year's counter row, locked until the caller commits, so that two
    deviations logged at once never share a number."""
    DeviationYear.objects.bulk_create([DeviationYear(year=year)], ignore_conflicts=True)
    counter = DeviationYear.objects.select_for_update().get(year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"DEV-{year}-{counter.last_number:04d}"


def _url(deviation: Deviation) -> str:
    return reverse("deviation-detail", args=[deviation.reference])


def _check_version(deviation: Deviation, expected_version: int) -> Deviation:
    """Lock the row and refuse if it moved on since the caller read it."""
    locked = Deviation.objects.select_for_update().get(pk=deviation.pk)
    if locked.version != expected_version:
        raise ServiceError(STALE, field="version")
    return locked


def _bump(deviation: Deviation) -> None:
    deviation.version += 1


def deviation_log(
    *,
    actor: User,
    program: Program,
    title: str,
    description: str,
    classification: str,
    occurred_at: datetime.datetime,
    aware_at: datetime.datetime,
    batch: str = "",
) -> Deviation:
    """Record a deviation and tell the sponsor: the event is announced (comms posts it as an
    update and notifies the sponsor's people), so the sponsor counts as notified now."""
    if not policy.can_log_deviation(actor, program):
        raise ServiceError(NOT_ALLOWED)
    if aware_at < occurred_at:
        raise ServiceError(AWARE_BEFORE_OCCURRED, field="aware_at")
    now = timezone.now()
    if aware_at > now:
        raise ServiceError(AWARE_IN_FUTURE, field="aware_at")
    if classification not in SIGNIFICANCE:
        raise ServiceError(UNKNOWN_CLASSIFICATION, field="classification")
    agreement = agreement_for(program)
    amount, unit = agreement.notify_window(classification)
    with transaction.atomic():
        year = now.astimezone(clock.site_zone()).year
        deviation = Deviation(
            reference=_next_reference(year),
            program=program,
            batch=batch,
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
        deviation.full_clean()
        deviation.save()
        audit.record_create(actor=actor, instance=deviation, program_id=program.pk)
        event_append(
            program=program,
            kind=Event.Kind.DEVIATION,
            verb="deviation.logged",
            summary=(
                f"{deviation.get_classification_display()} deviation {deviation.reference}: "
                f"{deviation.title}"
            ),
            detail=description,
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(deviation),
            significance=SIGNIFICANCE[deviation.classification],
            announce=True,
        )
    return deviation


def deviation_acknowledge(*, actor: User, deviation: Deviation) -> Deviation:
    """The sponsor confirms it was told: once, with who and when."""
    if not policy.can_acknowledge_deviation(actor, deviation.program):
        raise ServiceError(NOT_ALLOWED)
    with transaction.atomic():
        locked = Deviation.objects.select_for_update().get(pk=deviation.pk)
        if locked.sponsor_acknowledged_at is not None:
            raise ServiceError(ALREADY_ACKNOWLEDGED)
        before = audit.snapshot(
            locked,
            ["sponsor_acknowledged_at", "sponsor_acknowledged_by_id", "seconds_to_acknowledge"],
        )
        now = timezone.now()
        locked.sponsor_acknowledged_at = now
        locked.sponsor_acknowledged_by = actor
        told = locked.sponsor_notified_at or locked.aware_at
        locked.seconds_to_acknowledge = max(0, int((now - told).total_seconds()))
        locked.save(
            update_fields=[
                "sponsor_acknowledged_at",
                "sponsor_acknowledged_by",
                "seconds_to_acknowledge",
            ]
        )
        audit.record_update(
            actor=actor, instance=locked, before=before, program_id=locked.program_id
        )
        event_append(
            program=deviation.program,
            kind=Event.Kind.DEVIATION,
            verb="deviation.acknowledged",
            summary=f"{actor.display_name} acknowledged {locked.reference}",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(locked),
        )
    return locked


def _verify_signer(
    *, actor: User, deviation: Deviation, password: str | None, meaning: str, via_token: bool
) -> str:
    """Check the signer before the service's transaction, so that a refused attempt's audit
    row commits even though nothing else does."""
    if via_token:
        raise ServiceError(TOKEN_CANNOT_SIGN, field="password")
    if not password:
        raise ServiceError(SIGNATURE_REQUIRED, field="password")
    signatures.signature_verify(
        signer=actor,
        password=password,
        meaning=meaning,
        record=deviation,
        program_id=deviation.program_id,
    )
    return password


def _sign(
    *, actor: User, deviation: Deviation, password: str, meaning: str, statement: str
) -> Signature:
    return signatures.signature_sign(
        signer=actor,
        password=password,
        record=deviation,
        meaning=meaning,
        statement=statement,
        program_id=deviation.program_id,
    )


def deviation_transition(
    *,
    actor: User,
    deviation: Deviation,
    to: str,
    expected_version: int,
    reason: str = "",
    no_capa_rationale: str = "",
    password: str | None = None,
    via_token: bool = False,
) -> Deviation:
    """Move a deviation along its lifecycle, by the table above and nothing else."""
    move = move_for(deviation.status, to)
    labels = {
        "current": Status(deviation.status).label,
        "target": Status(to).label if to in Status.values else to,
    }
    if move is None:
        raise ServiceError(TRANSITION_NOT_ALLOWED.format(**labels), field="to")
    if not roles_of(actor, deviation.program) & move.roles:
        raise ServiceError(ROLE_NOT_ALLOWED.format(**labels))
    reason = reason.strip()
    if move.needs_reason and not reason:
        raise ServiceError(REASON_REQUIRED, field="reason")
    if move.signature_meaning:
        password = _verify_signer(
            actor=actor,
            deviation=deviation,
            password=password,
            meaning=move.signature_meaning,
            via_token=via_token,
        )
    with transaction.atomic():
        locked = _check_version(deviation, expected_version)
        rationale = no_capa_rationale.strip()
        capas_done = locked.capas.exists() and not (
            locked.capas.filter(status=CAPA.Status.OPEN).exists()
        )
        if to == Status.CLOSED and not rationale and not capas_done:
            raise ServiceError(OPEN_CAPAS, field="no_capa_rationale")
        before = audit.snapshot(
            locked, ["status", "version", "closed_at", "no_capa_rationale", "closure_reason"]
        )
        locked.status = to
        if to in (Status.CLOSED, Status.CANCELLED):
            locked.closed_at = timezone.now()
            locked.closure_reason = reason
        if rationale:
            locked.no_capa_rationale = rationale
        _bump(locked)
        locked.full_clean()
        locked.save()
        audit.record_update(
            actor=actor,
            instance=locked,
            before=before,
            program_id=locked.program_id,
            reason=reason,
        )
        if move.signature_meaning and password:
            _sign(
                actor=actor,
                deviation=locked,
                password=password,
                meaning=move.signature_meaning,
                statement=f"{Status(to).label}: {reason}" if reason else Status(to).label,
            )
        event_append(
            program=locked.program,
            kind=Event.Kind.DEVIATION,
            verb=f"deviation.{to}",
            summary=f"{locked.reference} is now {Status(to).label.lower()}",
            detail=reason,
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(locked),
        )
    return locked


def deviation_update(
    *,
    actor: User,
    deviation: Deviation,
    expected_version: int,
    reason: str,
    affected_milestones: list[Milestone] | None = None,
    password: str | None = None,
    **changes: Any,
) -> Deviation:
    """Edit what the investigation learns (impact, classification, wording). Every edit of a
    classified deviation needs a reason (EU GMP Annex 11 §9); a closed one cannot change."""
    if not roles_of(actor, deviation.program):
        raise ServiceError(NOT_ALLOWED)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(NOT_ALLOWED, field=sorted(unknown)[0])
    if not reason.strip():
        raise ServiceError(REASON_REQUIRED, field="reason")
    for milestone in affected_milestones or []:
        if milestone.program_id != deviation.program_id:
            raise ServiceError(MILESTONE_OTHER_PROGRAM, field="affected_milestones")
    if password:
        _verify_signer(
            actor=actor, deviation=deviation, password=password, meaning="reviewed", via_token=False
        )
    with transaction.atomic():
        locked = _check_version(deviation, expected_version)
        if not locked.is_open:
            raise ServiceError(NOT_OPEN)
        before = audit.snapshot(locked, [*EDITABLE_FIELDS, "version"])
        milestones_before = sorted(locked.affected_milestones.values_list("pk", flat=True))
        for name, value in changes.items():
            setattr(locked, name, value)
        _bump(locked)
        locked.full_clean()
        locked.save()
        if affected_milestones is not None:
            locked.affected_milestones.set(affected_milestones)
            before["affected_milestones"] = milestones_before
        audit.record(
            actor=actor,
            action="update",
            instance=locked,
            changes=audit.diff(
                before,
                {
                    **audit.snapshot(locked, [*EDITABLE_FIELDS, "version"]),
                    **(
                        {"affected_milestones": sorted(m.pk for m in affected_milestones)}
                        if affected_milestones is not None
                        else {}
                    ),
                },
            ),
            program_id=locked.program_id,
            reason=reason.strip(),
        )
        new_signature = None
        if password:
            new_signature = _sign(
                actor=actor,
                deviation=locked,
                password=password,
                meaning="reviewed",
                statement=reason.strip(),
            )
        # A signed deviation changes only with a new signature (21 CFR 11.70).
        signatures.assert_unsigned_or_resigned(locked, new_signature=new_signature)
        event_append(
            program=locked.program,
            kind=Event.Kind.DEVIATION,
            verb="deviation.updated",
            summary=f"{locked.reference} updated: {reason.strip()}",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(locked),
        )
    return locked


def _require_open_and_team(actor: User, deviation: Deviation) -> None:
    if not roles_of(actor, deviation.program):
        raise ServiceError(NOT_ALLOWED)
    if not deviation.is_open:
        raise ServiceError(NOT_OPEN)


def root_cause_add(
    *, actor: User, deviation: Deviation, category: str, description: str
) -> RootCause:
    _require_open_and_team(actor, deviation)
    with transaction.atomic():
        cause = RootCause(
            deviation=deviation,
            program_id=deviation.program_id,
            category=category,
            description=description,
        )
        cause.full_clean()
        cause.save()
        audit.record_create(actor=actor, instance=cause, program_id=deviation.program_id)
        event_append(
            program=deviation.program,
            kind=Event.Kind.DEVIATION,
            verb="deviation.root_cause",
            summary=f"Root cause found for {deviation.reference}: {cause.get_category_display()}",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(deviation),
        )
    return cause


def capa_add(
    *,
    actor: User,
    deviation: Deviation,
    kind: str,
    description: str,
    owner: User,
    due_date: datetime.date,
) -> CAPA:
    _require_open_and_team(actor, deviation)
    with transaction.atomic():
        locked = Deviation.objects.select_for_update().get(pk=deviation.pk)
        capa = CAPA(
            deviation=locked,
            number=locked.capas.count() + 1,
            program_id=deviation.program_id,
            kind=kind,
            description=description,
            owner=owner,
            due_date=due_date,
        )
        capa.full_clean()
        capa.save()
        audit.record_create(actor=actor, instance=capa, program_id=deviation.program_id)
        event_append(
            program=deviation.program,
            kind=Event.Kind.DEVIATION,
            verb="deviation.capa_added",
            summary=f"{capa.get_kind_display()} action added to {deviation.reference}",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(deviation),
        )
    return capa


def capa_complete(*, actor: User, capa: CAPA, effectiveness_check: str = "") -> CAPA:
    """The owner or QA marks the action done, with how its effectiveness was checked."""
    deviation = capa.deviation
    if capa.owner_id != actor.pk and not roles_of(actor, deviation.program):
        raise ServiceError(NOT_ALLOWED)
    with transaction.atomic():
        locked = CAPA.objects.select_for_update().get(pk=capa.pk)
        if locked.status == CAPA.Status.DONE:
            raise ServiceError(CAPA_ALREADY_DONE)
        before = audit.snapshot(locked)
        locked.status = CAPA.Status.DONE
        locked.completed_at = timezone.now()
        if effectiveness_check:
            locked.effectiveness_check = effectiveness_check
            locked.effectiveness_checked_on = timezone.localdate()
        locked.full_clean()
        locked.save()
        audit.record_update(
            actor=actor, instance=locked, before=before, program_id=locked.program_id
        )
        event_append(
            program=deviation.program,
            kind=Event.Kind.DEVIATION,
            verb="deviation.capa_done",
            summary=f"{locked.get_kind_display()} action on {deviation.reference} done",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(deviation),
        )
    return locked


def extension_request(
    *, actor: User, deviation: Deviation, new_due: datetime.datetime, reason: str
) -> ExtensionRequest:
    _require_open_and_team(actor, deviation)
    if not reason.strip():
        raise ServiceError(REASON_REQUIRED, field="reason")
    if new_due <= deviation.investigation_due:
        raise ServiceError(EXTENSION_NOT_LATER, field="new_due")
    with transaction.atomic():
        extension = ExtensionRequest(
            deviation=deviation,
            program_id=deviation.program_id,
            new_due=new_due,
            reason=reason.strip(),
            requested_by=actor,
        )
        extension.full_clean()
        extension.save()
        audit.record_create(actor=actor, instance=extension, program_id=deviation.program_id)
        event_append(
            program=deviation.program,
            kind=Event.Kind.DEVIATION,
            verb="deviation.extension_requested",
            summary=f"Extension of the investigation of {deviation.reference} requested",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(deviation),
        )
    return extension


def extension_approve(
    *,
    actor: User,
    extension: ExtensionRequest,
    expected_version: int,
    password: str | None,
    via_token: bool = False,
) -> ExtensionRequest:
    """QA approves with a signature; the investigation's due date moves."""
    if not policy.is_qa(actor):
        raise ServiceError(NOT_ALLOWED)
    password = _verify_signer(
        actor=actor,
        deviation=extension.deviation,
        password=password,
        meaning="approved",
        via_token=via_token,
    )
    with transaction.atomic():
        locked = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
        if locked.status != ExtensionRequest.Status.PENDING:
            raise ServiceError(EXTENSION_ALREADY_DECIDED)
        deviation = _check_version(locked.deviation, expected_version)
        if not deviation.is_open:
            raise ServiceError(NOT_OPEN)
        before_ext = audit.snapshot(locked)
        locked.status = ExtensionRequest.Status.APPROVED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        audit.record_update(
            actor=actor, instance=locked, before=before_ext, program_id=locked.program_id
        )
        before = audit.snapshot(deviation, ["investigation_due", "version"])
        deviation.investigation_due = locked.new_due
        _bump(deviation)
        deviation.save(update_fields=["investigation_due", "version"])
        audit.record_update(
            actor=actor,
            instance=deviation,
            before=before,
            program_id=deviation.program_id,
            reason=locked.reason,
        )
        _sign(
            actor=actor,
            deviation=deviation,
            password=password,
            meaning="approved",
            statement=f"Investigation extended to {locked.new_due:%Y-%m-%d}: {locked.reason}",
        )
        event_append(
            program=deviation.program,
            kind=Event.Kind.DEVIATION,
            verb="deviation.extended",
            summary=f"Investigation of {deviation.reference} extended",
            audience=Audience.SPONSOR,
            actor=actor,
            url=_url(deviation),
        )
    return locked
