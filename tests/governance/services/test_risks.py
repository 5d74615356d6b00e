"""The risk register: adding, changing and sharing a risk."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.models import Risk
from governance.services.risks import ALREADY_SHARED, risk_create, risk_share, risk_update
from portal.access import Audience
from portal.errors import Conflict, Invalid, ServiceError
from portal.models import AuditEntry
from programs.models import Event
from tests.governance.builders import risk


def test_the_program_team_adds_a_risk_and_a_high_one_is_notable(world):
    added = risk_create(
        actor=world.pm,
        program=world.program,
        title="Single-source resin",
        likelihood=4,
        impact=5,
        owner=world.pm,
        review_date=timezone.localdate() + datetime.timedelta(days=14),
        mitigation="Qualify a second supplier",
        contingency="Use the reserved lot",
    )

    assert added.score == 20
    assert Event.objects.get(verb="risk.added").significance == "notable"


def test_a_risk_score_must_be_between_1_and_5(world):
    with pytest.raises(ValidationError) as exc:
        risk_create(
            actor=world.pm,
            program=world.program,
            title="Off the scale",
            likelihood=6,
            impact=1,
            owner=world.pm,
            review_date=timezone.localdate(),
        )

    assert "likelihood" in exc.value.message_dict
    assert not Risk.objects.exists()


def test_updating_a_risk_is_audited_and_rising_to_high_is_notable(world):
    entry = risk(world.program, world.pm, likelihood=2, impact=3)

    risk_update(actor=world.pm, risk=entry, likelihood=5, mitigation="Dual source")

    entry.refresh_from_db()
    assert (entry.likelihood, entry.mitigation) == (5, "Dual source")
    assert AuditEntry.objects.get(model="governance.risk").changes["likelihood"] == [2, 5]
    assert Event.objects.get(verb="risk.updated").significance == "notable"


def test_a_sponsor_cannot_edit_the_register(world):
    entry = risk(world.program, world.pm)

    with pytest.raises(ServiceError):
        risk_update(actor=world.lead_a, risk=entry, likelihood=1)

    entry.refresh_from_db()
    assert entry.likelihood == 3


def test_a_new_risk_is_internal_and_its_event_too(world):
    added = risk_create(
        actor=world.pm,
        program=world.program,
        title="Fill line capacity in Q3",
        likelihood=2,
        impact=2,
        owner=world.pm,
        review_date=timezone.localdate() + datetime.timedelta(days=14),
    )

    assert added.audience == Audience.INTERNAL
    assert Event.objects.get(verb="risk.added").audience == Audience.INTERNAL


def test_sharing_a_risk_is_audited_and_the_sponsor_sees_it_from_then_on(world):
    internal = risk(world.program, world.pm, audience=Audience.INTERNAL)
    assert not Risk.objects.visible_to(world.lead_a).exists()

    risk_share(actor=world.pm, risk=internal)

    assert list(Risk.objects.visible_to(world.lead_a)) == [internal]
    entry = AuditEntry.objects.filter(model="governance.risk").latest("id")
    assert entry.changes == {"audience": ["internal", "sponsor"]}
    assert Event.objects.get(verb="risk.shared").audience == Audience.SPONSOR


def test_a_shared_risk_cannot_be_shared_again(world):
    shared = risk(world.program, world.pm, audience=Audience.SPONSOR)

    with pytest.raises(Conflict) as exc:
        risk_share(actor=world.pm, risk=shared)

    assert exc.value.message == ALREADY_SHARED


def test_an_internal_risk_cannot_be_handed_to_someone_at_the_sponsor(world):
    internal = risk(world.program, world.pm, audience=Audience.INTERNAL)

    with pytest.raises(Invalid) as exc:
        risk_update(actor=world.pm, risk=internal, owner=world.lead_a)

    assert exc.value.field == "owner"
    internal.refresh_from_db()
    assert internal.owner == world.pm
