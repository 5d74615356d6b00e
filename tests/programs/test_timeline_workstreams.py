"""Workstream services: an owner on each side (each from the right side), dates in order,
audited, in the stream, and the owners become people of the program."""

import pytest

from portal.errors import ServiceError
from portal.models import AuditEntry, Membership
from programs import services
from programs.models import Event, ProgramMember, Workstream
from tests.factories import member
from tests.programs.builders import day, workstream


def _create(world, **fields):
    values = {"name": "Tech transfer", "kind": Workstream.Kind.TECH_TRANSFER} | fields
    return services.workstream_create(actor=world.pm, program=world.program, **values)


def test_a_workstream_gets_an_owner_on_each_side_audited_and_in_the_stream(world):
    ws = _create(
        world,
        cdmo_owner=world.staff,
        sponsor_owner=world.viewer_a,
        start_date=day(-10),
        end_date=day(90),
    )

    assert ws.has_both_owners
    assert AuditEntry.objects.filter(model="programs.workstream", object_pk=str(ws.pk)).exists()
    assert Event.objects.filter(verb="workstream.created", summary__contains="Tech transfer")
    owners = ProgramMember.objects.active().filter(role=ProgramMember.Role.WORKSTREAM_OWNER)
    assert set(owners.values_list("user", flat=True)) == {world.staff.pk, world.viewer_a.pk}


def test_the_sponsor_owner_must_belong_to_this_programs_sponsor(world):
    with pytest.raises(ServiceError) as exc:
        _create(world, sponsor_owner=world.lead_b)

    assert (exc.value.message, exc.value.field) == (
        services.SPONSOR_OWNER_INVALID,
        "sponsor_owner",
    )
    assert not Workstream.objects.exists()


def test_a_cdmo_user_cannot_be_the_sponsor_owner(world):
    with pytest.raises(ServiceError) as exc:
        _create(world, sponsor_owner=world.staff)

    assert exc.value.message == services.SPONSOR_OWNER_INVALID


def test_the_cdmo_owner_must_be_at_the_cdmo(world):
    with pytest.raises(ServiceError) as exc:
        _create(world, cdmo_owner=world.lead_a)

    assert (exc.value.message, exc.value.field) == (services.CDMO_OWNER_INVALID, "cdmo_owner")
    assert not Workstream.objects.exists()


def test_an_inactive_person_cannot_own_a_workstream(world):
    gone = member(world.cdmo, Membership.Role.STAFF, is_active=False)

    with pytest.raises(ServiceError) as exc:
        _create(world, cdmo_owner=gone)

    assert exc.value.message == services.CDMO_OWNER_INVALID


def test_a_workstream_cannot_end_before_it_starts(world):
    with pytest.raises(ServiceError) as exc:
        _create(world, start_date=day(10), end_date=day(9))

    assert (exc.value.message, exc.value.field) == (services.WORKSTREAM_DATES_ORDER, "end_date")
    assert not Workstream.objects.exists()
    assert not Event.objects.filter(kind=Event.Kind.WORKSTREAM).exists()


def test_two_workstreams_of_a_program_cannot_share_a_name(world):
    workstream(world.program, "Analytical")

    with pytest.raises(ServiceError) as exc:
        _create(world, name="analytical")

    assert exc.value.message == services.WORKSTREAM_NAME_TAKEN


def test_another_program_may_use_the_same_name(world):
    workstream(world.program_b, "Tech transfer")

    assert _create(world).program == world.program


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_only_the_program_team_adds_workstreams(world, persona):
    with pytest.raises(ServiceError) as exc:
        services.workstream_create(
            actor=getattr(world, persona), program=world.program, name="Sneaky"
        )

    assert exc.value.message == services.NOT_ALLOWED
    assert not Workstream.objects.exists()


def test_an_update_is_audited_and_names_what_changed(world):
    ws = workstream(world.program, "Analytical", cdmo_owner=world.pm)

    services.workstream_update(
        actor=world.pm,
        workstream=ws,
        name="Analytical",
        kind=Workstream.Kind.ANALYTICAL,
        cdmo_owner=world.pm,
        sponsor_owner=world.lead_a,
        status=Workstream.Status.IN_PROGRESS,
        start_date=None,
        end_date=None,
    )

    ws.refresh_from_db()
    assert ws.sponsor_owner == world.lead_a
    entry = AuditEntry.objects.get(model="programs.workstream", object_pk=str(ws.pk))
    assert set(entry.changes) == {"kind", "sponsor_owner_id", "status"}
    event = Event.objects.get(verb="workstream.updated")
    assert event.summary == "Workstream Analytical updated: kind, sponsor owner, status"


def test_an_update_with_dates_in_the_wrong_order_changes_nothing(world):
    ws = workstream(world.program, "Analytical", start_date=day(1), end_date=day(20))

    with pytest.raises(ServiceError):
        services.workstream_update(
            actor=world.pm,
            workstream=ws,
            name="Renamed",
            kind=ws.kind,
            cdmo_owner=None,
            sponsor_owner=None,
            status=ws.status,
            start_date=day(30),
            end_date=day(20),
        )

    ws.refresh_from_db()
    assert (ws.name, ws.start_date) == ("Analytical", day(1))
    assert not AuditEntry.objects.filter(model="programs.workstream").exists()
