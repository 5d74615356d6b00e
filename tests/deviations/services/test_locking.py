"""A closed or cancelled deviation is signed and locked: every change to what was signed is
refused (409) by every service and changes nothing, the sponsor's acknowledgement is recorded
beside it, and QA reopens it with a reason and a new signature, after which it changes again
and closing needs a new signature."""

import datetime

import pytest

from deviations.models import CAPA, Deviation
from deviations.services import capa as capa_services
from deviations.services import common, extensions, investigation, lifecycle, reporting
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, Signature
from portal.signatures import WRONG_PASSWORD, record_version, signatures_with_status
from programs.models import Event
from tests.deviations.conftest import log_deviation, move
from tests.factories import PASSWORD

Status = Deviation.Status
REOPEN_REASON = "The supplier's report names a second lot"


def _signed(world, status: str) -> tuple[Deviation, CAPA, object]:
    """A deviation with an open CAPA and a pending extension request, then closed (with a
    rationale for the open CAPA) or cancelled, signed by QA."""
    deviation = log_deviation(world)
    capa = capa_services.capa_add(
        actor=world.pm,
        deviation=deviation,
        kind="corrective",
        description="Replace the gasket",
        owner=world.pm,
    )
    extension = extensions.extension_request(
        actor=world.pm,
        deviation=deviation,
        new_due=deviation.investigation_due + datetime.timedelta(days=14),
        reason="Supplier report",
    )
    path = ["investigating", "pending_capa", "closed"] if status == "closed" else ["cancelled"]
    return move(world, deviation, *path), capa, extension


def _edit_impact(world, deviation, capa, extension):
    investigation.deviation_update(
        actor=world.qa,
        deviation=deviation,
        expected_version=deviation.version,
        reason="Late finding",
        impact_cost="Two more batches",
    )


def _add_root_cause(world, deviation, capa, extension):
    investigation.root_cause_add(
        actor=world.qa, deviation=deviation, category="method", description="Late"
    )


def _add_capa(world, deviation, capa, extension):
    capa_services.capa_add(
        actor=world.qa,
        deviation=deviation,
        kind="preventive",
        description="Retrain",
        owner=world.pm,
    )


def _complete_capa(world, deviation, capa, extension):
    capa_services.capa_complete(actor=world.qa, capa=capa, effectiveness_check="No recurrence")


def _request_extension(world, deviation, capa, extension):
    extensions.extension_request(
        actor=world.pm,
        deviation=deviation,
        new_due=deviation.investigation_due + datetime.timedelta(days=30),
        reason="More time",
    )


def _approve_extension(world, deviation, capa, extension):
    extensions.extension_approve(
        actor=world.qa,
        extension=extension,
        expected_version=deviation.version,
        password=PASSWORD,
    )


CHANGES = [
    _edit_impact,
    _add_root_cause,
    _add_capa,
    _complete_capa,
    _request_extension,
    _approve_extension,
]


def _locked_message(deviation: Deviation) -> str:
    return common.LOCKED.format(
        reference=deviation.reference, status=deviation.get_status_display().lower()
    )


@pytest.mark.clause("21 CFR 11.70")
@pytest.mark.parametrize("status", ["closed", "cancelled"])
@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.__name__.strip("_"))
def test_every_change_to_a_signed_deviation_is_refused_and_changes_nothing(world, status, change):
    deviation, capa, extension = _signed(world, status)
    signed = record_version(deviation)
    audit_rows = AuditEntry.objects.count()

    with pytest.raises(Conflict) as refused:
        change(world, deviation, capa, extension)

    assert refused.value.message == _locked_message(deviation)
    assert f"{deviation.reference} is {status} and signed" in refused.value.message
    assert record_version(deviation) == signed
    assert AuditEntry.objects.count() == audit_rows
    assert [item.current for item in signatures_with_status(deviation)] == [True]


def test_the_sponsor_acknowledges_a_closed_deviation_and_the_closure_stays_current(world):
    deviation, _, _ = _signed(world, "closed")
    closure = Signature.objects.get()

    acknowledged = reporting.deviation_acknowledge(actor=world.lead_a, deviation=deviation)

    assert acknowledged.sponsor_acknowledged_by == world.lead_a
    assert [(item.signature, item.current) for item in signatures_with_status(deviation)] == [
        (closure, True)
    ]


def _reopen(world, deviation, **kwargs):
    values = {
        "actor": world.qa,
        "deviation": deviation,
        "to": Status.INVESTIGATING,
        "expected_version": deviation.version,
        "reason": REOPEN_REASON,
        "password": PASSWORD,
    }
    values.update(kwargs)
    return lifecycle.deviation_transition(**values)


@pytest.mark.parametrize(
    ("kwargs", "refusal", "message", "field"),
    [
        ({"actor": "pm"}, NotAllowed, None, None),
        ({"actor": "leader"}, NotAllowed, None, None),
        ({"actor": "lead_a"}, NotAllowed, None, None),
        ({"reason": "  "}, Invalid, common.REASON_REQUIRED, "reason"),
        ({"password": ""}, Invalid, common.SIGNATURE_REQUIRED, "password"),
        ({"password": "not-it"}, Invalid, WRONG_PASSWORD, "password"),
        ({"via_token": True}, NotAllowed, common.TOKEN_CANNOT_SIGN, "password"),
    ],
    ids=["pm", "leadership", "sponsor", "no reason", "no password", "wrong password", "token"],
)
def test_reopening_needs_qa_a_reason_and_a_signature(world, kwargs, refusal, message, field):
    deviation, _, _ = _signed(world, "closed")
    if "actor" in kwargs:
        kwargs["actor"] = getattr(world, kwargs["actor"])

    with pytest.raises(refusal) as refused:
        _reopen(world, deviation, **kwargs)

    if message is not None:
        assert (refused.value.message, refused.value.field) == (message, field)
    deviation.refresh_from_db()
    assert deviation.status == Status.CLOSED
    assert [item.current for item in signatures_with_status(deviation)] == [True]


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_reopening_is_signed_audited_and_supersedes_the_signature_it_undoes(world, status):
    deviation, _, _ = _signed(world, status)

    reopened = _reopen(world, deviation)

    assert reopened.status == Status.INVESTIGATING
    assert (reopened.closed_at, reopened.closure_reason, reopened.no_capa_rationale) == (
        None,
        "",
        "",
    )
    closing, reopening = signatures_with_status(reopened)
    assert not closing.current
    assert reopening.current
    assert reopening.signature.meaning == "approved"
    assert reopening.signature.signer == world.qa
    assert reopening.signature.statement == f"Reopened: {REOPEN_REASON}"
    update = AuditEntry.objects.filter(
        action=AuditEntry.Action.UPDATE, model="deviations.deviation"
    ).latest("id")
    assert update.reason == REOPEN_REASON
    assert update.changes["status"] == [status, "investigating"]
    assert AuditEntry.objects.filter(action=AuditEntry.Action.SIGN).count() == 2
    event = Event.objects.get(verb="deviation.reopened")
    assert event.summary == f"{deviation.reference} is reopened for investigation"


def test_after_reopening_it_changes_again_and_closing_needs_a_new_signature(world):
    deviation, capa, _ = _signed(world, "closed")
    reopened = _reopen(world, deviation)

    capa_services.capa_complete(actor=world.pm, capa=capa, effectiveness_check="No recurrence")
    investigation.root_cause_add(
        actor=world.qa, deviation=reopened, category="material", description="Second lot"
    )
    assert [item.current for item in signatures_with_status(reopened)] == [False, False]

    moved = move(world, reopened, "pending_capa")
    with pytest.raises(Invalid) as unsigned:
        lifecycle.deviation_transition(
            actor=world.qa, deviation=moved, to="closed", expected_version=moved.version
        )
    assert unsigned.value.message == common.SIGNATURE_REQUIRED

    closed = move(world, moved, "closed")
    assert [item.current for item in signatures_with_status(closed)] == [False, False, True]
    assert [item.signature.meaning for item in signatures_with_status(closed)] == ["approved"] * 3


def test_a_signature_given_while_open_is_superseded_by_the_work_that_follows(world, password):
    """An open deviation is a working record: an extension's approval signs it as it stands,
    and later investigation work needs its reason, not a new signature."""
    deviation = log_deviation(world)
    extension = extensions.extension_request(
        actor=world.pm,
        deviation=deviation,
        new_due=deviation.investigation_due + datetime.timedelta(days=14),
        reason="Supplier report",
    )
    extensions.extension_approve(
        actor=world.qa, extension=extension, expected_version=1, password=password
    )
    deviation.refresh_from_db()
    assert [item.current for item in signatures_with_status(deviation)] == [True]

    updated = investigation.deviation_update(
        actor=world.qa, deviation=deviation, expected_version=2, reason="Typo", title="X"
    )

    assert updated.title == "X"
    assert [item.current for item in signatures_with_status(updated)] == [False]
