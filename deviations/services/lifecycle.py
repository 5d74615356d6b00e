"""The deviation's lifecycle: one table of allowed moves, the action each one needs (the
capacities that allow it come from `portal.access`), and the one service that makes them.
Closing and cancelling sign and lock the deviation; reopening, signed too, unlocks it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from deviations.models import CAPA, Deviation
from deviations.services.common import (
    REASON_REQUIRED,
    lock_deviation,
    note,
    require_signer,
    sign,
    verify_signer,
)
from portal import access
from portal.access import Action, Capacity
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import User
from portal.transactions import atomic_service
from programs import changes

TRANSITION_NOT_ALLOWED = "A deviation cannot move from {current} to {target}."
ROLE_NOT_ALLOWED = "Your role may not move a deviation from {current} to {target}."
OPEN_CAPAS = "Open CAPA actions must be done first, or give a rationale for closing without them."

Status = Deviation.Status


@dataclass(frozen=True)
class Move:
    """One allowed transition: the action it is (who may make it), and what it needs."""

    action: Action
    signature_meaning: str = ""  # empty: no signature needed
    needs_reason: bool = False
    label: str = ""  # what the page calls the move; empty: the target status


_CANCEL = Move(action=Action.QA_DECIDE, signature_meaning="approved", needs_reason=True)
# Closing and cancelling sign the deviation and lock it (common.require_open). Reopening is the
# one way to change it again: QA's decision, with a reason, signed "approved" like every other
# decision of QA's here (reopening approves a new investigation; it does not attest a review
# of the content). It supersedes the closing signature; closing again needs a new one.
_REOPEN = Move(
    action=Action.QA_DECIDE,
    signature_meaning="approved",
    needs_reason=True,
    label="Reopen for investigation",
)

# The one table of the lifecycle. A move not in it is refused.
TRANSITIONS: dict[tuple[str, str], Move] = {
    (Status.OPEN, Status.INVESTIGATING): Move(action=Action.START_INVESTIGATION),
    (Status.INVESTIGATING, Status.PENDING_CAPA): Move(action=Action.QA_DECIDE),
    (Status.PENDING_CAPA, Status.CLOSED): Move(
        action=Action.QA_DECIDE, signature_meaning="approved"
    ),
    (Status.OPEN, Status.CANCELLED): _CANCEL,
    (Status.INVESTIGATING, Status.CANCELLED): _CANCEL,
    (Status.PENDING_CAPA, Status.CANCELLED): _CANCEL,
    (Status.CLOSED, Status.INVESTIGATING): _REOPEN,
    (Status.CANCELLED, Status.INVESTIGATING): _REOPEN,
}


def move_for(current: str, target: str) -> Move | None:
    return TRANSITIONS.get((current, target))


def needs_signature(deviation: Deviation, target: str) -> bool:
    move = move_for(deviation.status, target)
    return bool(move and move.signature_meaning)


def move_label(deviation: Deviation, target: str) -> str:
    """What the page calls the move to `target`: its own label, else the target status."""
    move = move_for(deviation.status, target)
    return move.label if move and move.label else str(Status(target).label)


def allowed_targets(held: Iterable[Capacity], deviation: Deviation) -> list[str]:
    """The statuses a user holding `held` (a Grant's capacities) may move the deviation to
    now: the page's buttons and the API's `allowed_transitions`."""
    held = frozenset(held)
    return [
        target
        for (current, target), move in TRANSITIONS.items()
        if current == deviation.status and access.allows(held, move.action)
    ]


def _labels(current: str, target: str) -> dict[str, str]:
    return {
        "current": Status(current).label,
        "target": Status(target).label if target in Status.values else target,
    }


def _checked_move(actor: User, deviation: Deviation, to: str, *, attempted: bool = False) -> Move:
    """The move from the deviation's status to `to`: a move the table lacks is a conflict with
    the current status (409), one the user's capacities do not allow is a 403; a refused
    signed move that brought a password (`attempted`) is audited as a refused signature."""
    move = move_for(deviation.status, to)
    if move is None:
        raise Conflict(TRANSITION_NOT_ALLOWED.format(**_labels(deviation.status, to)), field="to")
    refused = ROLE_NOT_ALLOWED.format(**_labels(deviation.status, to))
    if move.signature_meaning:
        require_signer(
            actor=actor,
            action=move.action,
            deviation=deviation,
            meaning=move.signature_meaning,
            attempted=attempted,
            refused=refused,
        )
    elif not access.may(actor, move.action, deviation.program):
        raise NotAllowed(refused)
    return move


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
    """Move a deviation along its lifecycle, by the table above and nothing else. The signer is
    verified before the transaction, so that a refused attempt stays in the audit trail."""
    move = _checked_move(actor, deviation, to, attempted=bool(password))
    reason = reason.strip()
    if move.needs_reason and not reason:
        raise Invalid(REASON_REQUIRED, field="reason")
    if move.signature_meaning:
        password = verify_signer(
            actor=actor,
            deviation=deviation,
            password=password,
            meaning=move.signature_meaning,
            via_token=via_token,
        )
    return _transition(
        actor=actor,
        deviation=deviation,
        to=to,
        expected_version=expected_version,
        reason=reason,
        rationale=no_capa_rationale.strip(),
        password=password if move.signature_meaning else None,
    )


@atomic_service
def _transition(
    *,
    actor: User,
    deviation: Deviation,
    to: str,
    expected_version: int,
    reason: str,
    rationale: str,
    password: str | None,
) -> Deviation:
    program = changes.lock_program(deviation.program_id)
    locked = lock_deviation(deviation, expected_version)
    move = _checked_move(actor, locked, to)
    if to == Status.CLOSED and not rationale:
        capas = locked.capas.all()
        if not capas.exists() or capas.filter(status=CAPA.Status.OPEN).exists():
            raise Conflict(OPEN_CAPAS, field="no_capa_rationale")
    values: dict[str, object] = {"status": to, "version": locked.version + 1}
    label = Status(to).label
    verb, summary = f"deviation.{to}", f"{locked.reference} is now {label.lower()}"
    statement = f"{label}: {reason}" if reason else label
    if not locked.is_open:  # reopening: the closure it undoes stays in the audit trail
        values |= {"closed_at": None, "closure_reason": "", "no_capa_rationale": ""}
        verb, summary = "deviation.reopened", f"{locked.reference} is reopened for investigation"
        statement = f"Reopened: {reason}"
    else:
        if to in (Status.CLOSED, Status.CANCELLED):
            values |= {"closed_at": timezone.now(), "closure_reason": reason}
        if rationale:
            values["no_capa_rationale"] = rationale
    changes.update(
        locked,
        actor=actor,
        program=program,
        values=values,
        reason=reason,
        note=note(locked, verb, summary, detail=reason),
    )
    if move.signature_meaning and password:
        sign(
            actor=actor,
            deviation=locked,
            password=password,
            meaning=move.signature_meaning,
            statement=statement,
        )
    return locked
