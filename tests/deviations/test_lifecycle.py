"""The lifecycle table, move by move and role by role: an allowed move happens, anything else
is refused with a clear message and changes nothing."""

import itertools

import pytest

from deviations import services
from deviations.models import Deviation
from portal.errors import ServiceError
from portal.models import Signature
from tests.deviations.conftest import log_deviation, move

Status = Deviation.Status
PATH_TO = {
    Status.OPEN: [],
    Status.INVESTIGATING: [Status.INVESTIGATING],
    Status.PENDING_CAPA: [Status.INVESTIGATING, Status.PENDING_CAPA],
    Status.CLOSED: [Status.INVESTIGATING, Status.PENDING_CAPA, Status.CLOSED],
    Status.CANCELLED: [Status.CANCELLED],
}
ROLES = {  # which table roles each persona holds on sponsor A's program
    "lead_a": set(),
    "viewer_a": set(),
    "lead_b": set(),
    "staff": {services.QA},
    "pm": {services.TEAM},
    "leader": {services.TEAM},
}
CASES = [
    (current, target, persona)
    for current, target in itertools.product(Status.values, Status.values)
    if current != target
    for persona in ROLES
]


def _expected(current: str, target: str, persona: str) -> str | None:
    """None if allowed, else the refusal message."""
    move_rule = services.TRANSITIONS.get((current, target))
    if move_rule is None:
        return services.TRANSITION_NOT_ALLOWED.format(
            current=Status(current).label, target=Status(target).label
        )
    if not ROLES[persona] & move_rule.roles:
        return services.ROLE_NOT_ALLOWED.format(
            current=Status(current).label, target=Status(target).label
        )
    return None


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
        moved = services.deviation_transition(**kwargs)
        assert moved.status == target
        assert moved.version == version + 1
    else:
        with pytest.raises(ServiceError) as refused:
            services.deviation_transition(**kwargs)
        assert refused.value.message == expected
        deviation.refresh_from_db()
        assert (deviation.status, deviation.version) == (current, version)


def test_a_stale_version_is_refused_and_nothing_changes(world, deviation, password):
    services.deviation_transition(
        actor=world.pm, deviation=deviation, to=Status.INVESTIGATING, expected_version=1
    )
    with pytest.raises(ServiceError) as refused:
        services.deviation_transition(
            actor=world.staff,
            deviation=deviation,
            to=Status.CANCELLED,
            expected_version=1,
            reason="Duplicate",
            password=password,
        )
    assert refused.value.message == services.STALE
    deviation.refresh_from_db()
    assert (deviation.status, deviation.version) == (Status.INVESTIGATING, 2)


def test_closing_with_open_capa_is_refused_until_done(world, deviation, password):
    deviation = move(world, deviation, Status.INVESTIGATING, Status.PENDING_CAPA)
    capa = services.capa_add(
        actor=world.staff,
        deviation=deviation,
        kind="corrective",
        description="Replace the filter housing gasket",
        owner=world.pm,
        due_date=deviation.aware_at.date(),
    )
    close = {
        "actor": world.staff,
        "to": Status.CLOSED,
        "password": password,
    }
    with pytest.raises(ServiceError) as refused:
        services.deviation_transition(
            deviation=deviation, expected_version=deviation.version, **close
        )
    assert refused.value.message == services.OPEN_CAPAS
    services.capa_complete(actor=world.pm, capa=capa, effectiveness_check="No recurrence")
    closed = services.deviation_transition(
        deviation=deviation, expected_version=deviation.version, **close
    )
    assert closed.status == Status.CLOSED
    assert closed.closed_at is not None


def test_closing_needs_a_signature_with_the_right_password(world, deviation):
    deviation = move(world, deviation, Status.INVESTIGATING, Status.PENDING_CAPA)
    for wrong, message in [("", services.SIGNATURE_REQUIRED), ("nope", "WRONG")]:
        with pytest.raises(ServiceError) as refused:
            services.deviation_transition(
                actor=world.staff,
                deviation=deviation,
                to=Status.CLOSED,
                expected_version=deviation.version,
                no_capa_rationale="None needed",
                password=wrong,
            )
        if message == "WRONG":
            from portal.signatures import WRONG_PASSWORD

            message = WRONG_PASSWORD
        assert refused.value.message == message
    deviation.refresh_from_db()
    assert deviation.status == Status.PENDING_CAPA
    assert not Signature.objects.filter(object_pk=str(deviation.pk)).exists()


def test_closing_stores_an_approval_signature_of_the_closed_record(world, deviation):
    closed = move(world, deviation, Status.INVESTIGATING, Status.PENDING_CAPA, Status.CLOSED)
    signature = Signature.objects.get(model="deviations.deviation", object_pk=str(closed.pk))
    assert signature.meaning == "approved"
    assert signature.signer == world.staff
    from portal.signatures import is_signature_current

    assert is_signature_current(signature, closed)


def test_a_token_cannot_sign(world, deviation, password):
    with pytest.raises(ServiceError) as refused:
        services.deviation_transition(
            actor=world.staff,
            deviation=deviation,
            to=Status.CANCELLED,
            expected_version=deviation.version,
            reason="Duplicate",
            password=password,
            via_token=True,
        )
    assert refused.value.message == services.TOKEN_CANNOT_SIGN


def test_cancelling_needs_a_reason(world, deviation, password):
    with pytest.raises(ServiceError) as refused:
        services.deviation_transition(
            actor=world.staff,
            deviation=deviation,
            to=Status.CANCELLED,
            expected_version=deviation.version,
            password=password,
        )
    assert refused.value.message == services.REASON_REQUIRED
