"""Pages survive the extremes the bounds allow (portal/bounds.py; issue 9, item 5).

Sponsor A's program is filled, through the services wherever they allow it, with what the
validators still accept at their edges: the first and last dates and moments of the window,
the largest amounts on many lines, the longest titles, Unicode in every script, text over many
lines. Then every page and API endpoint the permission matrix knows (so a new page is covered
as soon as it has a row) is read as the sponsor's lead, the PM and CDMO leadership, each from
the far east (UTC+14) and the far west (UTC-11) of the time zones: every answer is the one the
row expects, never a 500.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import models, transaction

from comms.services.conversations import comment_post
from comms.services.updates import update_post
from deviations.services.capa import capa_add
from deviations.services.extensions import extension_request
from deviations.services.investigation import root_cause_add
from deviations.services.reporting import deviation_acknowledge, deviation_log
from governance.models import Meeting
from governance.services.actions import action_item_create
from governance.services.cadence import cadence_create
from governance.services.kickoff import kickoff_record
from governance.services.meetings import meeting_schedule
from governance.services.risks import risk_create
from portal.bounds import (
    EARLIEST_DATE,
    EARLIEST_MOMENT,
    LATEST_DATE,
    LATEST_MOMENT,
    MAX_AMOUNT,
)
from portal.holidays import site_holiday_add
from portal.models import User
from programs.models import ChangeOrder, Program
from programs.services.batches import batch_create
from programs.services.costs import (
    budget_set,
    change_order_decide,
    change_order_propose,
    cost_line_add,
    invoice_add,
)
from programs.services.timeline import (
    milestone_complete,
    milestone_create,
    milestone_rebaseline,
    workstream_create,
)
from tests.support.permissions import Case, Scene, check
from tests.support.world import rolled_back
from tests.test_permission_matrix import ROWS

EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"
READERS = ["lead_a", "pm", "leader"]
LINES = 30  # at the largest amount, totals run to 14 integer digits: beyond any one column
SCRIPTS = "Ünïcødé 日本語 עברית العربية Ωμέγα ไทย 🧪 "
BODY = "First line\n\tindented\r\nthird line ✓\n" + "Ω" * 2000


def longest(model: type[models.Model], field: str) -> str:
    """Text in many scripts, exactly as long as the column allows."""
    length = model._meta.get_field(field).max_length
    assert isinstance(length, int)
    return (SCRIPTS * (length // len(SCRIPTS) + 1))[:length].strip().ljust(length, "x")


def stored(instance: models.Model, **values: object) -> models.Model:
    """For what no service writes (a program's dates, a meeting in the past): the row as its
    own validation accepts it, saved."""
    for name, value in values.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


def _timeline(scene: Scene) -> None:
    world = scene.world
    program, pm = world.program, world.pm
    stored(
        Program.objects.get(pk=program.pk),
        name=longest(Program, "name"),
        product=longest(Program, "product"),
        start_date=EARLIEST_DATE,
        target_launch_date=LATEST_DATE,
    )
    program.refresh_from_db()
    workstream = workstream_create(
        actor=pm,
        program=program,
        name=longest(program.workstreams.model, "name"),
        cdmo_owner=pm,
        sponsor_owner=world.lead_a,
        start_date=EARLIEST_DATE,
        end_date=LATEST_DATE,
    )
    name = longest(program.milestones.model, "name")
    for baseline in (EARLIEST_DATE, LATEST_DATE):
        milestone_create(
            actor=pm,
            program=program,
            workstream=workstream,
            name=name,
            baseline_date=baseline,
            description=BODY,
        )
    done = milestone_create(
        actor=pm, program=program, name=f"Done {SCRIPTS}", baseline_date=LATEST_DATE
    )
    milestone_complete(actor=pm, milestone=done, actual_date=EARLIEST_DATE, reason=BODY)
    moved = milestone_create(actor=pm, program=program, name="Moved", baseline_date=EARLIEST_DATE)
    milestone_rebaseline(actor=pm, milestone=moved, baseline_date=LATEST_DATE, reason=BODY)


def _costs(scene: Scene) -> None:
    world = scene.world
    program, pm = world.program, world.pm
    budget_set(actor=pm, program=program, contract_value=MAX_AMOUNT, notes=BODY)
    for number in range(LINES):
        for amount in (MAX_AMOUNT, -MAX_AMOUNT):
            proposed = change_order_propose(
                actor=pm,
                program=program,
                title=longest(ChangeOrder, "title"),
                rationale=BODY,
                amount=amount,
            )
            if amount > 0 or number % 2:
                change_order_decide(
                    actor=world.lead_a, change_order=proposed, decision="approved", comment=BODY
                )
        cost_line_add(
            actor=pm,
            program=program,
            driver="materials",
            description=f"{number} {SCRIPTS}"[:200],
            amount=MAX_AMOUNT,
            audience="sponsor" if number % 2 else "internal",
        )
        invoice_add(
            actor=pm,
            program=program,
            number=f"INV-{number:06d}-ΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩΩ"[:30],
            driver="testing",
            amount=MAX_AMOUNT,
            issued_on=EARLIEST_DATE,
        )


def _governance(scene: Scene) -> None:
    world = scene.world
    program, pm = world.program, world.pm
    people = [pm, world.lead_a]
    kickoff_record(actor=pm, program=program, held_on=EARLIEST_DATE, attendees=people, agenda=BODY)
    title = longest(Meeting, "title")
    last = meeting_schedule(
        actor=pm,
        program=program,
        title=title,
        starts_at=LATEST_MOMENT.replace(hour=9, minute=0, second=0, microsecond=0),
        time_zone=EAST,
        attendees=people,
        duration_minutes=480,
    )
    first = stored(Meeting(program=program, title=title, starts_at=EARLIEST_MOMENT, time_zone=WEST))
    first.attendees.set(people)
    cadence_create(
        actor=pm,
        program=program,
        frequency="weekly",
        weekday=4,
        local_time=datetime.time(23, 30),
        time_zone=WEST,
        starts_on=EARLIEST_DATE,
        attendees=people,
        title=longest(Meeting, "title")[:120],
    )
    for due, owner, audience, meeting in (
        (EARLIEST_DATE, world.lead_a, "sponsor", first),
        (LATEST_DATE, pm, "internal", last),
    ):
        action_item_create(
            actor=pm,
            program=program,
            title=longest(last.action_items.model, "title"),
            owner=owner,
            due_date=due,
            meeting=meeting,
            audience=audience,
        )
        risk_create(
            actor=pm,
            program=program,
            title=longest(program.risks.model, "title"),
            likelihood=5,
            impact=5,
            owner=pm,
            review_date=due,
            description=BODY,
            mitigation=BODY,
            contingency=BODY,
            audience=audience,
        )
    comment_post(actor=world.lead_a, target=last, body=BODY, is_question=True)


def _longest_lot(program: Program, pm: User) -> str:
    """A batch at the edges: the longest lot number, dates at the window's ends, the largest
    quantity; released by QA on the last day of the window."""
    batch = batch_create(
        actor=pm,
        program=program,
        lot_number="L-" + "9" * 38,
        product=longest(program.batches.model, "product"),
        planned_start=EARLIEST_DATE,
        planned_release=LATEST_DATE,
        quantity_committed=MAX_AMOUNT,
        quantity_unit=longest(program.batches.model, "quantity_unit"),
        actual_start=EARLIEST_DATE,
    )
    return batch.lot_number


def _deviations(scene: Scene) -> None:
    world = scene.world
    program, pm = world.program, world.pm
    deviation = deviation_log(
        actor=pm,
        program=program,
        title=longest(program.deviations.model, "title"),
        description=BODY,
        classification="critical",
        occurred_at=EARLIEST_MOMENT,
        aware_at=EARLIEST_MOMENT,
        batches=[_longest_lot(program, pm)],
    )
    deviation_acknowledge(actor=world.lead_a, deviation=deviation)
    root_cause_add(actor=pm, deviation=deviation, category="equipment", description=BODY)
    capa_add(
        actor=pm,
        deviation=deviation,
        kind="corrective",
        description=BODY,
        owner=world.staff,
        due_date=LATEST_DATE,
        due_justification=BODY,
    )
    extension_request(actor=pm, deviation=deviation, new_due=LATEST_MOMENT, reason=BODY)
    comment_post(actor=world.lead_a, target=deviation, body=BODY, is_question=True)


def _everything_else(scene: Scene) -> None:
    world = scene.world
    update_post(
        actor=world.pm,
        program=world.program,
        title=longest(world.program.updates.model, "title"),
        body=BODY,
        significance="critical",
    )
    for day in (EARLIEST_DATE, LATEST_DATE):
        site_holiday_add(
            actor=world.leader, day=day, name=longest(type(world.leader), "title")[:100]
        )
    for persona in READERS:
        stored(
            User.objects.get(pk=getattr(world, persona).pk),
            display_name=longest(User, "display_name"),
        )


@pytest.fixture(scope="module")
def extreme_scene(django_db_setup, django_db_blocker) -> Iterator[Scene]:
    """The permission harness's scene with sponsor A's program at the edges of every bound."""
    from tests.support.scene import build_scene

    with django_db_blocker.unblock(), rolled_back():
        scene = build_scene()
        with transaction.atomic():
            for write in (_timeline, _costs, _governance, _deviations, _everything_else):
                write(scene)
        yield scene


READS = [row for row in ROWS if row.method == "get"]


@pytest.mark.parametrize("zone", [EAST, WEST])
@pytest.mark.parametrize("persona", READERS)
def test_every_page_and_endpoint_reads_the_extremes(extreme_scene: Scene, db, persona, zone):
    User.objects.filter(pk=getattr(extreme_scene.world, persona).pk).update(time_zone=zone)
    failures = []

    for row in READS:
        try:
            check(extreme_scene, Case(row, persona, "session"))
        except AssertionError as failure:
            failures.append(f"{row}: {str(failure).splitlines()[0][:400]}")

    assert not failures, f"{len(failures)} of {len(READS)} reads failed:\n" + "\n".join(failures)


def test_the_scene_holds_the_extremes(extreme_scene: Scene, db):
    program = Program.objects.get(pk=extreme_scene.world.program.pk)
    milestones = program.milestones.all()
    totals = program.cost_lines.filter(driver="materials").aggregate(total=models.Sum("amount"))

    assert {EARLIEST_DATE, LATEST_DATE} <= {m.baseline_date for m in milestones}
    assert program.deviations.get(aware_at=EARLIEST_MOMENT).capas.get().due_date == LATEST_DATE
    assert totals["total"] == MAX_AMOUNT * LINES
    assert len(str(int(totals["total"]))) > 12
    assert program.meetings.filter(starts_at__gte=LATEST_MOMENT - datetime.timedelta(days=1))
    assert Decimal(program.budget.contract_value) == MAX_AMOUNT
