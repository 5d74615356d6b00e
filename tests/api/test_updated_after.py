"""`updated_after` on every list: what was created or changed since a moment, and a 400 naming
the parameter for a moment that is not one or lies in the future."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from comms.services.updates import update_post
from portal import clock
from programs.services.timeline import milestone_create, milestone_reschedule
from tests.support.api import assert_error

LISTS = [
    "/api/v1/programs/",
    "/api/v1/programs/HLX-101/workstreams/",
    "/api/v1/programs/HLX-101/milestones/",
    "/api/v1/programs/HLX-101/change-orders/",
    "/api/v1/programs/HLX-101/batches/",
    "/api/v1/programs/HLX-101/risks/",
    "/api/v1/programs/HLX-101/updates/",
    "/api/v1/programs/HLX-101/comments/",
    "/api/v1/programs/HLX-101/questions/",
    "/api/v1/escalations/",
    "/api/v1/meetings/",
    "/api/v1/action-items/",
    "/api/v1/quality-agreements/",
    "/api/v1/deviations/",
    "/api/v1/notifications/",
    "/api/v1/webhooks/",
    "/api/v1/people/",
    "/api/v1/people/invitations/",
]
PAST = "2020-01-01T00:00:00Z"


@pytest.mark.parametrize("url", LISTS)
def test_every_list_takes_updated_after(world, api_as, url):
    response = api_as(world.lead_a).get(url, {"updated_after": PAST})
    assert response.status_code in (200, 403), response.content[:300]  # people: leads only


BAD = [
    ("yesterday", "ISO 8601"),
    ("2026-13-01T00:00:00Z", "ISO 8601"),
    ("2026-12-01T09:00:00", "offset"),
    ("9999-01-01T00:00:00Z", "future"),
    ("\x00", "ISO 8601"),
]


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize(("moment", "says"), BAD)
def test_a_bad_moment_is_a_400_naming_updated_after(world, api_as, url, moment, says):
    response = api_as(world.pm).get(url, {"updated_after": moment})
    if response.status_code == 403:  # people's lists: CDMO administrators only
        return
    error = assert_error(response, 400, "invalid", {"updated_after"})
    assert says in error["fields"]["updated_after"][0]


def test_only_what_was_created_or_changed_since_comes_back(world, api_as):
    pm, program = world.pm, world.program
    day = clock.site_today() + datetime.timedelta(days=60)
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=2), tick=False):
        untouched = milestone_create(actor=pm, program=program, name="Untouched", baseline_date=day)
        changed = milestone_create(actor=pm, program=program, name="Changed", baseline_date=day)
    since = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    milestone_reschedule(
        actor=pm, milestone=changed, forecast_date=day + datetime.timedelta(days=7), reason="QC"
    )
    created = milestone_create(actor=pm, program=program, name="New", baseline_date=day)

    rows = api_as(world.lead_a).get(
        "/api/v1/programs/HLX-101/milestones/", {"updated_after": since}
    )

    names = {row["name"] for row in rows.json()["results"]}
    assert names == {changed.name, created.name}
    assert untouched.name not in names


def test_notifications_since_a_moment_are_the_new_and_the_newly_read(world, api_as):
    from comms.models import Notification
    from comms.services.notifications import events_fan_out
    from programs.models import Event

    with time_machine.travel(timezone.now() - datetime.timedelta(hours=2), tick=False):
        update_post(actor=world.pm, program=world.program, title="Old", body="b")
    since = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    update_post(actor=world.pm, program=world.program, title="New", body="b")
    events_fan_out(event_ids=list(Event.objects.values_list("id", flat=True)))
    mine = Notification.objects.filter(recipient=world.lead_a, channel="in_app")
    assert mine.count() == 2

    rows = api_as(world.lead_a).get("/api/v1/notifications/", {"updated_after": since}).json()

    assert ["New" in row["subject"] for row in rows["results"]] == [True]
