"""Program grants: a sponsor user restricted to some of their sponsor's programs sees only
those, through every door (pages, API, exports, stream, notifications); another program of
their own sponsor is a 404, like another sponsor's. CDMO users are never restricted."""

from __future__ import annotations

import dataclasses

import pytest

from comms.recipients import Context, recipients
from people.services import members
from portal import access
from portal.live import LiveEvent
from portal.models import Membership, User
from portal.streams import _may_see
from programs.models import Event, Program
from tests.factories import ProgramFactory
from tests.support.permissions import Case, Scene, check
from tests.support.world import client_for
from tests.test_permission_matrix import ROWS

pytestmark = pytest.mark.clause("21 CFR 11.10(d)")


@pytest.fixture
def second_program(world):
    return ProgramFactory(sponsor=world.sponsor_a, code="HLX-202", name="Helix ADC")


def _restrict(world, user, programs):
    members.membership_update(
        actor=world.leader,
        membership=Membership.objects.get(user=user),
        role=user.membership.role,
        all_programs=False,
        programs=programs,
    )
    user._state.fields_cache.pop("membership", None)  # read the grants again


def test_a_restricted_viewer_sees_only_the_granted_program(world, second_program):
    _restrict(world, world.viewer_a, [second_program])

    assert list(Program.objects.visible_to(world.viewer_a)) == [second_program]
    client = client_for(world, "viewer_a")
    assert client.get("/programs/HLX-101/").status_code == 404
    assert client.get("/programs/HLX-202/").status_code == 200
    listing = client.get("/programs/").content.decode()
    assert "HLX-202" in listing
    assert "HLX-101" not in listing


def test_the_api_hides_the_other_program(world, second_program, api_as):
    _restrict(world, world.viewer_a, [second_program])
    api = api_as(world.viewer_a)

    codes = [p["code"] for p in api.get("/api/v1/programs/").json()["results"]]

    assert codes == ["HLX-202"]
    assert api.get("/api/v1/programs/HLX-101/").status_code == 404


def test_an_unrestricted_viewer_and_the_cdmo_still_see_every_program(world, second_program):
    _restrict(world, world.viewer_a, [second_program])

    assert set(Program.objects.visible_to(world.lead_a)) == {world.program, second_program}
    assert world.program in Program.objects.visible_to(world.staff)


def test_cdmo_people_are_never_restricted_by_grants(world, second_program):
    Membership.objects.filter(user=world.staff).update(all_programs=False)
    world.staff.refresh_from_db()

    who = access.viewer(world.staff)

    assert who is not None
    assert who.program_ids is None
    assert world.program in Program.objects.visible_to(world.staff)


def test_sponsor_level_records_stay_organisation_wide(world, second_program):
    from deviations.models import QualityAgreement

    agreement = QualityAgreement.objects.create(sponsor=world.sponsor_a)
    _restrict(world, world.viewer_a, [second_program])

    assert list(QualityAgreement.objects.visible_to(world.viewer_a)) == [agreement]


def test_the_stream_filters_by_program_grant(world, second_program):
    _restrict(world, world.viewer_a, [second_program])
    who = access.viewer(world.viewer_a)
    assert who is not None
    base = LiveEvent(
        id=1,
        program="HLX-101",
        sponsor=world.sponsor_a.pk,
        audience="sponsor",
        kind="update",
        significance="routine",
        summary="x",
        program_id=world.program.pk,
    )

    assert not _may_see(who, base)
    assert _may_see(who, dataclasses.replace(base, program="HLX-202", program_id=second_program.pk))
    assert not _may_see(who, dataclasses.replace(base, program_id=None))  # fail closed
    lead = access.viewer(world.lead_a)
    assert lead is not None
    assert _may_see(lead, base)


def test_a_live_event_carries_its_program_id(world):
    event = Event.objects.filter(program=world.program).first() or Event.objects.create(
        program=world.program, kind="update", verb="x", summary="s", audience="sponsor"
    )

    assert LiveEvent.of(event).program_id == world.program.pk
    decoded = LiveEvent.decode(LiveEvent.encode([LiveEvent.of(event)]))
    assert decoded[0].program_id == world.program.pk


def test_notifications_skip_a_sponsor_user_without_the_grant(world, second_program):
    _restrict(world, world.viewer_a, [second_program])
    event = Event.objects.create(
        program=world.program,
        kind="update",
        verb="update.published",
        summary="Fill line qualified",
        audience="sponsor",
        significance="major",
        actor=world.pm,
    )

    chosen = recipients(Context(event=event, program=world.program))

    assert world.lead_a in chosen
    assert world.viewer_a not in chosen


def test_people_pickers_leave_out_users_without_the_grant(world, second_program):
    from governance.selectors import program_people
    from programs.selectors import sponsor_people

    _restrict(world, world.viewer_a, [second_program])

    assert world.viewer_a not in sponsor_people(world.program)
    assert world.viewer_a in sponsor_people(second_program)
    assert world.viewer_a not in program_people(world.program)


def test_grants_and_a_token_restriction_intersect(world):
    assert access.narrowed(None, None) is None
    assert access.narrowed(frozenset({1, 2}), None) == frozenset({1, 2})
    assert access.narrowed(frozenset({1, 2}), frozenset({2, 3})) == frozenset({2})


def test_the_grant_query_twin_agrees_with_the_viewer(world, second_program):
    _restrict(world, world.viewer_a, [second_program])
    people = User.objects.filter(pk__in=[world.viewer_a.pk, world.lead_a.pk])

    on_first = people.filter(access.program_grant_q(world.program.pk)).distinct()
    on_second = people.filter(access.program_grant_q(second_program.pk)).distinct()

    assert set(on_first) == {world.lead_a}
    assert set(on_second) == {world.lead_a, world.viewer_a}


# --- The permission matrix for a restricted viewer ------------------------------------------

# The rows that address one record of sponsor A's program (its code, a reference, a primary
# key) and that viewer_a may reach: restricted away from the program, they find nothing. Rows
# without such an address list what the viewer may see, or belong to the viewer's own account or
# organisation (sponsor-level: people, tokens, notifications, delegations, the quality agreement).
# A list filtered by `?program=HLX-101` answers an empty list (it lists what the viewer may
# see). Leadership's escalation actions refuse every sponsor user by role before any lookup.
SPONSOR_LEVEL = (
    "people:",
    "api-people",
    "api-invitation",
    "webhook",
    "api-webhook",
    "token-",
    "notification",
    "digest-",
    "delegation-",
    "onboarding-quality-agreement",
    "scorecard-",  # the sponsor's scorecard: the granted programs only
    "mfa_",
    "account_",
)
BY_ROLE_FIRST = {"escalation-acknowledge", "escalation-assign", "escalation-resolve"}


def _addresses_program_a(row) -> bool:
    if row.url_name.startswith(SPONSOR_LEVEL) or row.url_name in BY_ROLE_FIRST:
        return False
    return bool(row.kwargs)


PROGRAM_ROWS = [
    row
    for row in ROWS
    if _addresses_program_a(row) and row.expect["viewer_a"] not in (404,) and not row.public
]


def _hidden(row):
    """The row as a viewer restricted away from sponsor A's program sees it: not found."""
    expect = dict(row.expect)
    expect["viewer_a"] = 404
    return dataclasses.replace(row, expect=expect)


@pytest.mark.parametrize("row", PROGRAM_ROWS, ids=str)
def test_a_restricted_viewer_finds_nothing_of_an_ungranted_program(
    permission_scene: Scene, db, row
):
    world = permission_scene.world
    other = ProgramFactory(sponsor=world.sponsor_a, code="HLX-909", name="Helix other")
    Membership.objects.filter(user=world.viewer_a).update(all_programs=False)
    Membership.objects.get(user=world.viewer_a).programs.set([other])

    hidden = _hidden(row)
    scene = dataclasses.replace(permission_scene, state=_state_now())
    check(scene, Case(hidden, "viewer_a", "session"))
    if hidden.is_api:
        check(scene, Case(hidden, "viewer_a", "token"))


def _state_now():
    from tests.support.permissions import database_state

    return database_state()
