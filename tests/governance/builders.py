"""Governance test data. Rows are built directly; behaviour under test goes through services."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from governance.models import ActionItem, Meeting, Risk
from governance.services.cadence import cadence_create
from governance.services.kickoff import kickoff_confirm, kickoff_record
from portal import clock
from portal.access import Audience
from programs import kpi_catalogue
from programs.models import Program, ProgramMember, Workstream
from programs.services.targets import kpi_targets_set
from tests.support.world import World

TOMORROW = datetime.timedelta(days=1)


def meeting(program: Program, *, starts_at=None, attendees=(), **fields) -> Meeting:
    fields.setdefault("title", "Weekly call")
    fields.setdefault("time_zone", "Europe/London")
    row = Meeting.objects.create(
        program=program, starts_at=starts_at or timezone.now() + TOMORROW, **fields
    )
    row.attendees.set(attendees)
    return row


def past_meeting(program: Program, *, days_ago: int = 2, **fields) -> Meeting:
    return meeting(program, starts_at=timezone.now() - datetime.timedelta(days=days_ago), **fields)


def action_item(program: Program, owner, *, due_in_days: int = 7, **fields) -> ActionItem:
    """A shared action item (the sponsor sees it) unless `audience` says otherwise."""
    fields.setdefault("title", "Send the batch record")
    fields.setdefault("audience", Audience.SPONSOR)
    return ActionItem.objects.create(
        program=program,
        owner=owner,
        due_date=clock.site_today() + datetime.timedelta(days=due_in_days),
        **fields,
    )


def risk(program: Program, owner, *, likelihood: int = 3, impact: int = 3, **fields) -> Risk:
    """A shared risk (the sponsor sees it) unless `audience` says otherwise."""
    fields.setdefault("title", "Resin supply")
    fields.setdefault("audience", Audience.SPONSOR)
    fields.setdefault("review_date", clock.site_today() + datetime.timedelta(days=30))
    return Risk.objects.create(
        program=program, owner=owner, likelihood=likelihood, impact=impact, **fields
    )


def workstream(program: Program, *, cdmo=None, sponsor=None, name="Tech transfer") -> Workstream:
    return Workstream.objects.create(
        program=program, name=name, cdmo_owner=cdmo, sponsor_owner=sponsor
    )


def escalation_contacts(world: World, *, sponsor_role=ProgramMember.Role.SPONSOR_EXECUTIVE):
    program = world.program
    ProgramMember.objects.create(
        program=program, user=world.leader, role=ProgramMember.Role.CDMO_EXECUTIVE
    )
    rank = ProgramMember.Rank.PRIMARY if sponsor_role == ProgramMember.Role.SPONSOR_CONTACT else ""
    ProgramMember.objects.create(program=program, user=world.lead_a, role=sponsor_role, rank=rank)
    program.forget_members()


def weekly_cadence(world: World, **fields):
    defaults = {
        "frequency": "weekly",
        "weekday": 1,
        "local_time": datetime.time(15, 0),
        "time_zone": "Europe/London",
        "starts_on": timezone.localdate(),
        "attendees": [world.pm, world.lead_a],
    }
    defaults.update(fields)
    return cadence_create(actor=world.pm, program=world.program, **defaults)


def ready_for_kickoff(world: World) -> None:
    """Everything a kick-off needs, except completing it."""
    program = world.program
    workstream(program, cdmo=world.pm, sponsor=world.lead_a)
    escalation_contacts(world)
    weekly_cadence(world)
    kickoff_record(
        actor=world.pm,
        program=program,
        held_on=timezone.localdate(),
        attendees=[world.pm, world.lead_a],
        agenda="Timeline, owners, cadence",
        decisions="Weekly call on Tuesdays",
    )
    kickoff_confirm(actor=world.pm, program=program, item="baseline")
    kpi_targets_set(
        actor=world.pm,
        program=program,
        targets={d.key: Decimal(90) for d in kpi_catalogue.headline()},
    )
