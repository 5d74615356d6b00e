"""Pages cost the same number of queries with a small and a large data set (DESIGN §7)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comms.models import Comment
from governance.models import ActionItem, Meeting, Risk
from programs.models import Milestone, Program, ProgramMember
from tests.factories import UpdateFactory
from tests.outcomes import kpi_data
from tests.support.api import new_token, token_client
from tests.support.queries import count_queries
from tests.support.world import client_for


def fill_program(world, program, pm, n: int) -> None:
    """Give a program n of everything the dashboards and status read."""
    today = timezone.localdate()
    for i in range(n):
        update = UpdateFactory(program=program, author=pm)
        UpdateFactory(program=program, author=pm, audience="internal", published_at=None)
        Milestone.objects.create(
            program=program,
            name=f"M{i}",
            baseline_date=today,
            forecast_date=today + timedelta(days=i),
        )
        Risk.objects.create(
            program=program, title=f"R{i}", likelihood=3, impact=4, owner=pm, review_date=today
        )
        ActionItem.objects.create(
            program=program, title=f"A{i}", owner=pm, due_date=today - timedelta(days=i)
        )
        Meeting.objects.create(
            program=program, title=f"Call {i}", starts_at=timezone.now() + timedelta(days=i - 2)
        )
        Comment.objects.create(
            program=program,
            update=update,
            author=world.lead_a,
            body="?",
            is_question=True,
            audience="sponsor",
        )


def _grow(world, programs: int, per_program: int) -> None:
    """`programs` more programs of sponsor A, bulk-inserted, each with per_program of
    everything; the PM is on all of them."""
    start = Program.objects.count()
    rows = Program.objects.bulk_create(
        Program(sponsor=world.sponsor_a, code=f"BIG-{start + i}", name="Big", phase="phase_1")
        for i in range(programs)
    )
    ProgramMember.objects.bulk_create(
        ProgramMember(program=p, user=world.pm, role="workstream_owner") for p in rows
    )
    today = timezone.localdate()
    for model, make in [
        (
            Milestone,
            lambda p, i: Milestone(
                program=p,
                name=f"M{i}",
                baseline_date=today,
                forecast_date=today + timedelta(days=i),
            ),
        ),
        (
            Risk,
            lambda p, i: Risk(
                program=p, title=f"R{i}", likelihood=3, impact=4, owner=world.pm, review_date=today
            ),
        ),
        (
            ActionItem,
            lambda p, i: ActionItem(
                program=p, title=f"A{i}", owner=world.pm, due_date=today - timedelta(days=i)
            ),
        ),
        (
            Meeting,
            lambda p, i: Meeting(
                program=p, title=f"Call {i}", starts_at=timezone.now() + timedelta(days=i - 2)
            ),
        ),
    ]:
        model.objects.bulk_create(make(p, i) for p in rows for i in range(per_program))
    fill_program(world, world.program, world.pm, per_program)


PAGES = [
    "/programs/",
    "/programs/HLX-101/",
    "/programs/HLX-101/?fragment=feed",
    "/programs/HLX-101/history/",
    "/notifications/",
]
CASES = [(persona, url) for persona in ("lead_a", "pm") for url in PAGES] + [("pm", "/workspace/")]


@pytest.mark.parametrize(("persona", "url"), CASES)
def test_query_count_does_not_grow_with_the_data(world, persona, url):
    client = client_for(world, persona)
    _grow(world, programs=2, per_program=1)  # with HLX-101 and BOR-017: 3 of sponsor A's
    small = count_queries(client, url)
    _grow(world, programs=300, per_program=3)
    large = count_queries(client, url)
    assert large == small
    assert small <= 30


def _notify(world, user, n: int) -> None:
    """n events of sponsor A's program, each with the user's in-app and email notification."""
    from comms.models import Notification
    from programs.models import Event

    events = Event.objects.bulk_create(
        Event(
            program=world.program,
            kind="update",
            verb="update.posted",
            summary=f"Update {i}",
            audience="sponsor",
            fanned_out_at=timezone.now(),
        )
        for i in range(n)
    )
    Notification.objects.bulk_create(
        Notification(recipient=user, channel=channel, event=event, subject="S", url="/programs/")
        for event in events
        for channel in ("in_app", "email")
    )


NOTIFICATION_PAGES = [
    "/notifications/",
    "/notifications/?unread=1",
    "/notifications/bell/",
    "/notifications/preferences/",
    "/api/v1/notifications/",
    "/api/v1/notification-preferences/",
]


@pytest.mark.parametrize("url", NOTIFICATION_PAGES)
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_notification_pages_cost_the_same_with_many_notifications(world, persona, url):
    client = client_for(world, persona)
    user = getattr(world, persona)
    _notify(world, user, 2)
    small = count_queries(client, url)
    _notify(world, user, 120)
    large = count_queries(client, url)
    assert large == small
    assert small <= 20


KPI_PAGES = [
    "/programs/HLX-101/kpis/right_first_time/?period=month&key={month}",
    "/programs/HLX-101/kpis/minutes_on_time/?period=month&key={month}",
    "/api/v1/programs/HLX-101/kpis/?period=month&key={month}",
    "/api/v1/programs/HLX-101/kpis/escalations_in_window/records/?period=month&key={month}",
]


@pytest.mark.parametrize("url", KPI_PAGES)
@pytest.mark.parametrize("persona", ["lead_a", "pm"])
def test_kpi_pages_cost_the_same_with_many_records(world, persona, url):
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    url = url.format(month=f"{month:%Y-%m}")
    client = client_for(world, persona)
    if url.startswith("/api/"):
        client = token_client(new_token(getattr(world, persona)))
    kpi_data.fill(world.program, world.pm, world.lead_a, 2, month)
    client.get(url)  # the site's holidays are read once, then cached
    small = count_queries(client, url)
    kpi_data.fill(world.program, world.pm, world.lead_a, 20, month)
    large = count_queries(client, url)
    assert large == small
    assert small <= 25
