"""The sweep: what is due moves up one level, audited; run twice, or on two connections at
once, it changes nothing more. And the look-ahead, which changes nothing."""

import datetime
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils import timezone

from governance.escalations.models import Escalation, EscalationStep
from governance.escalations.selectors import look_ahead
from governance.escalations.services import escalation_acknowledge
from governance.escalations.sweep import sweep
from portal.models import AuditEntry
from programs.models import Event
from tests.governance.escalations.builders import issue
from tests.support.world import build_world

LATER = datetime.timedelta(days=10)


def _snapshot():
    return (
        list(Escalation.objects.order_by("pk").values_list("pk", "level", "due_at")),
        EscalationStep.objects.count(),
        Event.objects.filter(verb="escalation.escalated").count(),
    )


def test_an_unacknowledged_escalation_moves_up_a_level_and_the_move_is_audited(world):
    escalation = issue(world)
    first_due = escalation.due_at

    assert sweep(now=first_due - datetime.timedelta(seconds=1)) == 0
    assert sweep(now=first_due) == 1

    escalation.refresh_from_db()
    assert escalation.level == 2
    assert escalation.due_at > first_due
    assert list(escalation.steps.values_list("level", flat=True)) == [1, 2]
    event = Event.objects.get(verb="escalation.escalated")
    assert (event.kind, event.audience) == ("escalation", "internal")
    assert AuditEntry.objects.filter(
        model="governance.escalation", object_pk=str(escalation.pk), action="update"
    ).exists()


def test_the_sweep_run_twice_changes_nothing_more(world):
    for n in range(3):
        issue(world, title=f"Issue {n}")
    now = timezone.now() + LATER

    assert sweep(now=now) == 3
    after_first = _snapshot()
    assert sweep(now=now) == 0
    assert _snapshot() == after_first


def test_the_top_level_stops_the_clock_and_acknowledged_ones_stay_put(world):
    climbing, held = issue(world), issue(world, title="Held")
    escalation_acknowledge(actor=world.leader, escalation=held)
    now = timezone.now()
    for _ in range(4):
        now += LATER
        sweep(now=now)

    climbing.refresh_from_db()
    held.refresh_from_db()
    assert (climbing.level, climbing.due_at) == (3, None)
    assert held.level == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_on_postgresql_move_each_escalation_once():
    assert connection.vendor == "postgresql"
    world = build_world()
    for n in range(20):
        issue(world, title=f"Issue {n}")
    now = timezone.now() + LATER
    barrier = threading.Barrier(2)
    moved: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait()
            moved.append(sweep(now=now, batch_size=7))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(moved) == 20
    assert set(Escalation.objects.values_list("level", flat=True)) == {2}
    assert EscalationStep.objects.count() == 40
    assert Event.objects.filter(verb="escalation.escalated").count() == 20


def test_the_look_ahead_command_shows_what_would_escalate_and_changes_nothing(world):
    escalation = issue(world)
    before = _snapshot()
    out = StringIO()

    call_command("escalations", "--at", (timezone.now() + LATER).isoformat(), stdout=out)

    assert f"{escalation.reference} HLX-101 level 1 → 2" in out.getvalue()
    assert "1 escalation(s) would move up a level" in out.getvalue()
    assert _snapshot() == before
    assert list(look_ahead(timezone.now())) == []


def test_the_look_ahead_command_refuses_a_moment_without_a_zone(world):
    with pytest.raises(CommandError, match="--at"):
        call_command("escalations", "--at", "2027-01-08T09:00")
