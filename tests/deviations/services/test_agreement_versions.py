"""The quality agreement as a versioned record: a change is a new version, and a clock uses
the version in force when it started."""

import datetime

import pytest
import time_machine

from deviations.models import QualityAgreement
from deviations.services.agreements import (
    BEFORE_CURRENT,
    NOT_KEEPER,
    REASON_REQUIRED,
    agreement_version_add,
)
from deviations.services.common import agreement_for
from portal.errors import Invalid, NotAllowed
from portal.models import AuditEntry
from tests.deviations.conftest import log_deviation

V1_AT = datetime.datetime(2025, 11, 3, 9, 0, tzinfo=datetime.UTC)  # a Monday
V2_AT = datetime.datetime(2025, 11, 5, 9, 0, tzinfo=datetime.UTC)


def _v1(world):
    with time_machine.travel(V1_AT, tick=False):
        return agreement_version_add(
            actor=world.leader,
            sponsor=world.sponsor_a,
            effective_from=V1_AT,
            reason="Quality agreement signed",
            major_notify=72,
        )


def test_a_deviation_keeps_the_window_of_the_version_in_force_at_awareness(world):
    _v1(world)
    aware = V1_AT + datetime.timedelta(hours=1)
    with time_machine.travel(aware + datetime.timedelta(minutes=5), tick=False):
        under_v1 = log_deviation(world, aware_at=aware, occurred_at=aware)
    assert under_v1.notification_due == aware + datetime.timedelta(hours=72)

    # v2 with a shorter window, made later: the running clock does not move.
    with time_machine.travel(V2_AT - datetime.timedelta(hours=1), tick=False):
        v2 = agreement_version_add(
            actor=world.qa,
            sponsor=world.sponsor_a,
            effective_from=V2_AT,
            reason="Amendment 1: major in 24 hours",
            major_notify=24,
        )
    under_v1.refresh_from_db()
    assert under_v1.notification_due == aware + datetime.timedelta(hours=72)
    assert (v2.version, v2.made_by) == (2, world.qa)

    # Before v2's effective moment (in the future then), v1 still applies.
    with time_machine.travel(V2_AT - datetime.timedelta(minutes=30), tick=False):
        assert agreement_for(world.program).version == 1
        early = log_deviation(world)
    assert early.notification_due - early.aware_at == datetime.timedelta(hours=72)

    # Awareness after v2's effective moment: v2.
    after = V2_AT + datetime.timedelta(hours=1)
    with time_machine.travel(after + datetime.timedelta(minutes=5), tick=False):
        under_v2 = log_deviation(world, aware_at=after, occurred_at=after)
    assert under_v2.notification_due == after + datetime.timedelta(hours=24)

    # Logged after v2 but aware before it: the clock started under v1.
    late_log_aware = V2_AT - datetime.timedelta(hours=2)
    with time_machine.travel(V2_AT + datetime.timedelta(hours=3), tick=False):
        late = log_deviation(world, aware_at=late_log_aware, occurred_at=late_log_aware)
    assert late.notification_due == late_log_aware + datetime.timedelta(hours=72)


def test_versions_are_new_rows_audited_and_the_old_one_is_unchanged(world):
    v1 = _v1(world)
    with time_machine.travel(V2_AT, tick=False):
        agreement_version_add(
            actor=world.leader,
            sponsor=world.sponsor_a,
            effective_from=V2_AT,
            reason="Amendment",
            capa=60,
        )
    v1.refresh_from_db()
    assert (v1.capa, v1.major_notify) == (90, 72)
    versions = list(QualityAgreement.objects.filter(sponsor=world.sponsor_a).order_by("version"))
    assert [(v.version, v.capa, v.major_notify) for v in versions] == [(1, 90, 72), (2, 60, 72)]
    entries = AuditEntry.objects.filter(model="deviations.qualityagreement", action="create")
    assert [e.reason for e in entries.order_by("id")] == ["Quality agreement signed", "Amendment"]


def test_a_program_override_has_its_own_versions(world):
    _v1(world)
    with time_machine.travel(V2_AT, tick=False):
        agreement_version_add(
            actor=world.leader,
            sponsor=world.sponsor_a,
            program=world.program,
            effective_from=V2_AT,
            reason="Program-specific",
            major_notify=12,
        )
        assert agreement_for(world.program).major_notify == 12
        assert agreement_for(world.program_b).sponsor_id == world.sponsor_b.pk
    assert agreement_for(world.program, at=V1_AT).major_notify == 72


def test_bad_versions_are_refused_and_nothing_is_saved(world):
    _v1(world)
    with pytest.raises(Invalid) as refused:
        agreement_version_add(
            actor=world.leader,
            sponsor=world.sponsor_a,
            effective_from=V1_AT - datetime.timedelta(days=1),
            reason="Backdated",
        )
    assert refused.value.field == "effective_from"
    assert refused.value.message == BEFORE_CURRENT.format(version=1, moment=V1_AT)
    with pytest.raises(Invalid) as refused:
        agreement_version_add(
            actor=world.leader, sponsor=world.sponsor_a, effective_from=V2_AT, reason=" "
        )
    assert refused.value.message == REASON_REQUIRED
    with pytest.raises(Invalid) as refused:
        agreement_version_add(
            actor=world.leader,
            sponsor=world.sponsor_a,
            effective_from=V2_AT,
            reason="x",
            major_notify=10**9,
        )
    assert refused.value.field == "major_notify"
    for actor in (world.staff, world.pm, world.lead_a):
        with pytest.raises(NotAllowed) as refused:
            agreement_version_add(
                actor=actor, sponsor=world.sponsor_a, effective_from=V2_AT, reason="x"
            )
        assert refused.value.message == NOT_KEEPER
    assert QualityAgreement.objects.count() == 1
