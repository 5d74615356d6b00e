"""The lifecycle table, move by move and persona by persona: an allowed move happens; a move
the table lacks is a conflict with the current status (409), one the persona's capacities do
not allow is refused (403), and neither changes anything."""

import itertools

import pytest

from deviations.models import Deviation
from deviations.services import capa as capa_services
from deviations.services import common, lifecycle
from portal import access
from portal.access import Capacity
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import Signature
from portal.signatures import WRONG_PASSWORD, is_signature_current
from programs.models import Program
from tests.deviations.conftest import log_deviation, move

Status = Deviation.Status
PATH_TO = {
    Status.OPEN: [],
    Status.INVESTIGATING: [Status.INVESTIGATING],
    Status.PENDING_CAPA: [Status.INVESTIGATING, Status.PENDING_CAPA],
    Status.CLOSED: [Status.INVESTIGATING, Status.PENDING_CAPA, Status.CLOSED],
    Status.CANCELLED: [Status.CANCELLED],
}
# The lifecycle's capacities each persona holds on sponsor A's program (from portal.access).
LIFECYCLE = {Capacity.QA, Capacity.OPERATIONS, Capacity.TEAM}
ROLES = {
    "lead_a": set(),
    "viewer_a": set(),
    "lead_b": set(),
    "staff": {Capacity.OPERATIONS},
    "qa": {Capacity.OPERATIONS, Capacity.QA},
    "pm": {Capacity.TEAM},
    "leader": {Capacity.TEAM},
}
CASES = [
    (current, target, persona)
    for current, target in itertools.product(Status.values, Status.values)
    if current != target
    for persona in ROLES
]


def _expected(current: str, target: str, persona: str) -> tuple[type[Exception], str] | None:
    """None if allowed, else the refusal and its message."""
    labels = {"current": Status(current).label, "target": Status(target).label}
    move_rule = lifecycle.TRANSITIONS.get((current, target))
    if move_rule is None:
        return Conflict, lifecycle.TRANSITION_NOT_ALLOWED.format(**labels)
    if not access.allows(ROLES[persona], move_rule.action):
        return NotAllowed, lifecycle.ROLE_NOT_ALLOWED.format(**labels)
    return None


@pytest.mark.parametrize("persona", ROLES)
def test_the_personas_hold_the_capacities_the_table_assumes(world, persona):
    program = Program.objects.get(pk=world.program.pk)
    held = access.capacities(getattr(world, persona), program)
    assert held & LIFECYCLE == ROLES[persona]


@pytest.mark.clause("21 CFR 11.10(f)")
@pytest.mark.clause("21 CFR 11.10(g)")
@pytest.mark.parametrize(("current", "target", "persona"), CASES)
def test_every_move_by_every_role(world, password, current, target, persona):
    deviation = move(world, log_deviation(world), *PATH_TO[current])
    deviation.refresh_from_db()
    version = deviation.version
    expected = _expected(current, target, persona)
    kwargs = {
        "actor": getattr(world, persona),
        "deviation": deviation,
        "to": target,
        "expected_version": version,
        "reason": "Duplicate entry",
        "no_capa_rationale": "No systemic cause",
        "password": password,
    }
    if expected is None:
        moved = lifecycle.deviation_transition(**kwargs)
        assert moved.status == target
        assert moved.version == version + 1
    else:
        refusal, message = expected
        with pytest.raises(refusal) as refused:
            lifecycle.deviation_transition(**kwargs)
        assert refused.value.message == message
        deviation.refresh_from_db()
        assert (deviation.status, deviation.version) == (current, version)


@pytest.mark.clause("21 CFR 11.10(f)")
def test_a_stale_version_is_refused_and_nothing_changes(world, deviation, password):
    lifecycle.deviation_transition(
        actor=world.pm, deviation=deviation, to=Status.INVESTIGATING, expected_version=1
    )
    with pytest.raises(Conflict) as refused:
        lifecycle.deviation_transition(
            actor=world.qa,
            deviation=deviation,
            to=Status.CANCELLED,
            expected_version=1,
            reason="Duplicate",
            password=password,
        )
    assert refused.value.message == common.STALE
    deviation.refresh_from_db()
    assert (deviation.status, deviation.version) == (Status.INVESTIGATING, 2)


@pytest.mark.clause("21 CFR 11.10(f)")
def test_closing_with_open_capa_is_refused_until_done(world, deviation, password):
    deviation = move(world, deviation, Status.INVESTIGATING, Status.PENDING_CAPA)
    capa = capa_services.capa_add(
        actor=world.qa,
        deviation=deviation,
        kind="corrective",
        description="Replace the filter housing gasket",
        owner=world.pm,
    )
    close = {
        "actor": world.qa,
        "to": Status.CLOSED,
        "password": password,
    }
    with pytest.raises(Conflict) as refused:
        lifecycle.deviation_transition(
            deviation=deviation, expected_version=deviation.version, **close
        )
    assert refused.value.message == lifecycle.OPEN_CAPAS
    capa_services.capa_complete(actor=world.pm, capa=capa, effectiveness_check="No recurrence")
    closed = lifecycle.deviation_transition(
        deviation=deviation, expected_version=deviation.version, **close
    )
    assert closed.status == Status.CLOSED
    assert closed.closed_at is not None


@pytest.mark.clause("21 CFR 11.200(a)")
def test_closing_needs_a_signature_with_the_right_password(world, deviation):
    deviation = move(world, deviation, Status.INVESTIGATING, Status.PENDING_CAPA)
    for wrong, message in [("", common.SIGNATURE_REQUIRED), ("nope", WRONG_PASSWORD)]:
        with pytest.raises(Invalid) as refused:
            lifecycle.deviation_transition(
                actor=world.qa,
                deviation=deviation,
                to=Status.CLOSED,
                expected_version=deviation.version,
                no_capa_rationale="None needed",
                password=wrong,
            )
        assert (refused.value.message, refused.value.status_code) == (message, 400)
    deviation.refresh_from_db()
    assert deviation.status == Status.PENDING_CAPA
    assert not Signature.objects.filter(object_pk=str(deviation.pk)).exists()


def test_closing_stores_an_approval_signature_of_the_closed_record(world, deviation):
    closed = move(world, deviation, Status.INVESTIGATING, Status.PENDING_CAPA, Status.CLOSED)
    signature = Signature.objects.get(model="deviations.deviation", object_pk=str(closed.pk))
    assert signature.meaning == "approved"
    assert signature.signer == world.qa
    assert is_signature_current(signature, closed)


@pytest.mark.clause("21 CFR 11.100(a)")
def test_a_token_cannot_sign(world, deviation, password):
    with pytest.raises(NotAllowed) as refused:
        lifecycle.deviation_transition(
            actor=world.qa,
            deviation=deviation,
            to=Status.CANCELLED,
            expected_version=deviation.version,
            reason="Duplicate",
            password=password,
            via_token=True,
        )
    assert refused.value.message == common.TOKEN_CANNOT_SIGN


def test_cancelling_needs_a_reason(world, deviation, password):
    with pytest.raises(Invalid) as refused:
        lifecycle.deviation_transition(
            actor=world.qa,
            deviation=deviation,
            to=Status.CANCELLED,
            expected_version=deviation.version,
            password=password,
        )
    assert refused.value.message == common.REASON_REQUIRED
