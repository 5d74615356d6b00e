"""KPI targets agreed at the kick-off: who may set them, their ranges, and the reason they need
once the kick-off is complete (they are baseline data)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from governance.selectors import kickoff_checklist
from portal.errors import Invalid, NotAllowed
from portal.models import AuditEntry
from programs import kpi_catalogue
from programs.kpi_catalogue import Kpi
from programs.models import Event, KpiTarget
from programs.services.targets import TARGETS_FROZEN, TARGETS_UNCHANGED, kpi_targets_set

pytestmark = pytest.mark.django_db


def _targets(program):
    return dict(KpiTarget.objects.filter(program=program).values_list("kpi", "target"))


def test_the_pm_records_targets_audited_and_told_to_the_sponsor(world):
    kpi_targets_set(
        actor=world.pm,
        program=world.program,
        targets={Kpi.ON_TIME_RELEASE: Decimal(95), Kpi.TIME_TO_NOTIFY: Decimal(24)},
    )

    assert _targets(world.program) == {"on_time_release": 95, "time_to_notify": 24}
    entries = AuditEntry.objects.filter(model="programs.kpitarget", program=world.program)
    assert entries.count() == 2
    events = Event.objects.filter(program=world.program, kind=Event.Kind.KPI)
    assert {e.summary for e in events} == {
        "Target for On-time batch release: 95 %",
        "Target for Median time to notify: 24 hours",
    }
    assert {e.audience for e in events} == {"sponsor"}


@pytest.mark.parametrize(
    ("kpi", "target"),
    [
        (Kpi.ON_TIME_RELEASE, Decimal(101)),
        (Kpi.RIGHT_FIRST_TIME, Decimal(-1)),
        (Kpi.TIME_TO_ANSWER, Decimal(-5)),
        (Kpi.CHANGE_ORDER_TURNAROUND, Decimal(4000)),
    ],
)
def test_a_target_outside_its_range_is_refused_and_nothing_changes(world, kpi, target):
    kpi_targets_set(actor=world.pm, program=world.program, targets={Kpi.OTIF: Decimal(90)})
    version = type(world.program).objects.get(pk=world.program.pk).version

    with pytest.raises(Invalid) as refused:
        kpi_targets_set(
            actor=world.pm,
            program=world.program,
            targets={Kpi.OTIF: Decimal(80), kpi: target},
        )

    assert refused.value.field == kpi
    assert refused.value.message == kpi_catalogue.definition(kpi).target_problem(target)
    assert _targets(world.program) == {"otif": 90}
    assert type(world.program).objects.get(pk=world.program.pk).version == version


def test_an_unknown_kpi_is_refused(world):
    with pytest.raises(Invalid) as refused:
        kpi_targets_set(actor=world.pm, program=world.program, targets={"happiness": Decimal(1)})
    assert refused.value.field == "happiness"
    assert not KpiTarget.objects.exists()


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_pm_and_leadership_set_targets(world, persona):
    with pytest.raises(NotAllowed):
        kpi_targets_set(
            actor=getattr(world, persona),
            program=world.program,
            targets={Kpi.OTIF: Decimal(90)},
        )
    assert not KpiTarget.objects.exists()


def test_after_the_kick_off_a_change_needs_a_reason_which_the_audit_keeps(world):
    kpi_targets_set(actor=world.pm, program=world.program, targets={Kpi.OTIF: Decimal(90)})
    world.program.baseline_frozen_at = world.program.created_at
    world.program.save(update_fields=["baseline_frozen_at"])

    with pytest.raises(Invalid) as refused:
        kpi_targets_set(actor=world.pm, program=world.program, targets={Kpi.OTIF: Decimal(85)})
    assert refused.value.message == TARGETS_FROZEN
    assert _targets(world.program) == {"otif": 90}

    kpi_targets_set(
        actor=world.leader,
        program=world.program,
        targets={Kpi.OTIF: Decimal(85)},
        reason="Sponsor agreed a lower OTIF during the resin shortage",
    )
    assert _targets(world.program) == {"otif": 85}
    change = AuditEntry.objects.filter(model="programs.kpitarget").order_by("-id").first()
    assert [Decimal(value) for value in change.changes["target"]] == [90, 85]
    assert change.reason == "Sponsor agreed a lower OTIF during the resin shortage"


def test_an_empty_target_removes_it_and_the_same_targets_change_nothing(world):
    kpi_targets_set(actor=world.pm, program=world.program, targets={Kpi.OTIF: Decimal(90)})
    with pytest.raises(Invalid) as refused:
        kpi_targets_set(actor=world.pm, program=world.program, targets={Kpi.OTIF: Decimal(90)})
    assert refused.value.message == TARGETS_UNCHANGED

    kpi_targets_set(actor=world.pm, program=world.program, targets={Kpi.OTIF: None})

    assert _targets(world.program) == {}
    assert AuditEntry.objects.filter(
        model="programs.kpitarget", action=AuditEntry.Action.DELETE
    ).exists()


def test_the_checklist_item_is_done_once_every_headline_kpi_has_a_target(world):
    def item():
        (found,) = [i for i in kickoff_checklist(world.program) if i.key == "kpi_targets"]
        return found

    headline = kpi_catalogue.headline()
    kpi_targets_set(
        actor=world.pm,
        program=world.program,
        targets={d.key: Decimal(90) for d in headline[:-1]},
    )
    assert not item().done
    assert headline[-1].name in item().detail

    kpi_targets_set(actor=world.pm, program=world.program, targets={headline[-1].key: Decimal(80)})
    assert item().done
    assert item().detail == f"Targets agreed for {len(headline)} of 14 KPIs"
