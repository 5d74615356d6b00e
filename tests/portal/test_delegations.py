"""A sponsor lead delegates change-order decisions to a colleague for a period; a decision
taken under the delegation records "by X on behalf of Y"."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from portal import clock, services
from portal.errors import Conflict, Invalid, NotAllowed
from portal.models import AuditEntry, Delegation
from programs.models import ChangeOrder, Event
from programs.services import costs
from tests.factories import member
from tests.support.api import new_token, post_json, token_client
from tests.support.world import client_for

TODAY = clock.site_today


def _propose(world):
    return costs.change_order_propose(
        actor=world.pm,
        program=world.program,
        title="Extra engineering run",
        rationale="The sponsor asked for a second run at 2,000 L.",
        amount=Decimal("25000.00"),
    )


def _delegate(world, *, days=7, start=0, delegate=None):
    return services.delegation_create(
        actor=world.lead_a,
        delegate=delegate or world.viewer_a,
        starts_on=TODAY() + datetime.timedelta(days=start),
        ends_on=TODAY() + datetime.timedelta(days=start + days),
    )


def _page_decide(world, co, persona="viewer_a"):
    url = f"/programs/HLX-101/change-orders/{co.reference}/decision/"
    return client_for(world, persona).post(
        url, {"decision": "approved", "comment": "Agreed while Lee is away."}
    )


@pytest.mark.clause("21 CFR 11.10(g)")
@pytest.mark.clause("EU GMP Annex 11 §12.4")
def test_a_delegate_decides_on_the_page_and_the_decision_says_on_whose_behalf(world):
    _delegate(world)
    co = _propose(world)

    response = _page_decide(world, co)

    assert response.status_code in (200, 302)
    co.refresh_from_db()
    assert co.status == ChangeOrder.Status.APPROVED
    assert (co.decided_by, co.decided_on_behalf_of) == (world.viewer_a, world.lead_a)
    entry = AuditEntry.objects.filter(model="programs.changeorder", action="update").get()
    assert entry.actor == world.viewer_a
    assert entry.changes["decided_on_behalf_of_id"] == [None, world.lead_a.pk]
    behalf = f"{world.viewer_a.display_name} on behalf of {world.lead_a.display_name}"
    assert behalf in entry.reason
    event = Event.objects.filter(verb="change_order.approved").get()
    assert behalf in event.summary
    page = client_for(world, "lead_a").get(f"/programs/HLX-101/change-orders/{co.reference}/")
    assert f"on behalf of {world.lead_a.display_name}" in page.content.decode()


def test_a_delegate_decides_over_the_api_and_the_record_names_both(world):
    _delegate(world)
    co = _propose(world)
    client = token_client(new_token(world.viewer_a))

    response = post_json(
        client,
        f"/api/v1/programs/HLX-101/change-orders/{co.reference}/decision/",
        {"decision": "rejected", "comment": "Not this quarter."},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["decided_by"]["name"] == world.viewer_a.display_name
    assert body["decided_on_behalf_of"]["name"] == world.lead_a.display_name


def test_a_lead_deciding_themself_records_no_one_on_whose_behalf(world):
    _delegate(world)
    co = _propose(world)

    costs.change_order_decide(
        actor=world.lead_a, change_order=co, decision="approved", comment="Fine."
    )

    co.refresh_from_db()
    assert co.decided_on_behalf_of is None


@pytest.mark.clause("21 CFR 11.10(g)")
def test_outside_the_period_the_delegate_may_not_decide(world):
    _delegate(world, start=1, days=2)
    co = _propose(world)

    with pytest.raises(NotAllowed):
        costs.change_order_decide(
            actor=world.viewer_a, change_order=co, decision="approved", comment="Too early."
        )

    after = timezone.now() + datetime.timedelta(days=4)
    with time_machine.travel(after, tick=False), pytest.raises(NotAllowed):
        costs.change_order_decide(
            actor=world.viewer_a, change_order=co, decision="approved", comment="Too late."
        )
    co.refresh_from_db()
    assert co.status == ChangeOrder.Status.PROPOSED


def test_an_ended_delegation_stops_at_once(world):
    delegation = _delegate(world)
    co = _propose(world)
    response = client_for(world, "lead_a").post(f"/settings/delegations/{delegation.pk}/end/")
    assert response.status_code == 302

    assert _page_decide(world, co).status_code == 403

    delegation.refresh_from_db()
    assert delegation.ended_by == world.lead_a
    assert AuditEntry.objects.filter(model="portal.delegation", action="update").count() == 1


def test_a_delegate_whose_lead_is_no_longer_a_lead_may_not_decide(world):
    _delegate(world)
    co = _propose(world)
    membership = world.lead_a.membership
    membership.role = "viewer"
    membership.save()

    with pytest.raises(NotAllowed):
        costs.change_order_decide(
            actor=world.viewer_a, change_order=co, decision="approved", comment="Fine."
        )


def test_the_lead_delegates_on_the_page_and_it_is_audited(world):
    day = TODAY()
    data = {
        "delegate": world.viewer_a.pk,
        "starts_on": day.isoformat(),
        "ends_on": (day + datetime.timedelta(days=5)).isoformat(),
    }

    response = client_for(world, "lead_a").post("/settings/delegations/", data)

    assert response.status_code == 302
    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.delegate) == (world.lead_a, world.viewer_a)
    entry = AuditEntry.objects.get(model="portal.delegation", action="create")
    assert entry.actor == world.lead_a
    page = client_for(world, "lead_a").get("/settings/delegations/").content.decode()
    assert world.viewer_a.display_name in page


# --- Bad input ------------------------------------------------------------------------------


def test_overlapping_delegations_are_refused_naming_the_first(world):
    _delegate(world, days=7)

    with pytest.raises(Conflict) as refused:
        _delegate(
            world,
            start=3,
            days=7,
            delegate=member(world.sponsor_a, "viewer", email="x@helix.example"),
        )

    assert "already delegates from" in refused.value.message
    assert Delegation.objects.count() == 1


def test_overlap_is_refused_on_the_page_with_nothing_created(world):
    _delegate(world, days=7)
    day = TODAY()
    data = {
        "delegate": world.viewer_a.pk,
        "starts_on": day.isoformat(),
        "ends_on": day.isoformat(),
    }

    response = client_for(world, "lead_a").post("/settings/delegations/", data)

    assert response.status_code == 422
    assert "already delegates from" in response.content.decode()
    assert Delegation.objects.count() == 1


def test_a_delegate_from_another_organisation_is_refused(world):
    with pytest.raises(Invalid) as refused:
        _delegate(world, delegate=world.lead_b)

    assert refused.value.field == "delegate"
    assert "is not a member of Helix" in refused.value.message
    assert not Delegation.objects.exists()


def test_another_organisations_member_is_not_offered_on_the_page(world):
    day = TODAY().isoformat()
    data = {"delegate": world.lead_b.pk, "starts_on": day, "ends_on": day}

    response = client_for(world, "lead_a").post("/settings/delegations/", data)

    assert response.status_code == 422
    assert not Delegation.objects.exists()


def test_a_deactivated_delegate_is_refused(world):
    world.viewer_a.is_active = False
    world.viewer_a.save()

    with pytest.raises(Invalid) as refused:
        _delegate(world)

    assert "may not use the portal (the account is deactivated)" in refused.value.message


def test_an_end_before_the_start_is_refused(world):
    with pytest.raises(Invalid) as refused:
        services.delegation_create(
            actor=world.lead_a,
            delegate=world.viewer_a,
            starts_on=TODAY() + datetime.timedelta(days=3),
            ends_on=TODAY() + datetime.timedelta(days=1),
        )

    assert (refused.value.field, refused.value.message) == (
        "ends_on",
        services.DELEGATION_ENDS_BEFORE_START,
    )


def test_a_start_in_the_past_is_refused(world):
    with pytest.raises(Invalid) as refused:
        _delegate(world, start=-1)

    assert refused.value.field == "starts_on"


def test_only_a_sponsor_lead_delegates(world):
    for actor in (world.viewer_a, world.pm, world.leader):
        with pytest.raises(NotAllowed):
            services.delegation_create(
                actor=actor, delegate=world.lead_a, starts_on=TODAY(), ends_on=TODAY()
            )
    assert not Delegation.objects.exists()
