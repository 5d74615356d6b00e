"""Conditional GETs (portal/api/conditional.py): an ETag on the status and on every list, a 304
while nothing changed, a new tag after any change, never a 304 across users, audiences or
organisations, and a 400 for a garbled If-None-Match."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from comms.services.conversations import comment_post
from comms.services.updates import update_post
from governance.services.actions import action_item_create
from governance.services.meetings import meeting_schedule
from governance.services.risks import risk_create
from portal import clock
from portal.api.conditional import ConditionalList
from programs.models import Program
from programs.services.batches import batch_create
from programs.services.targets import kpi_targets_set
from programs.services.timeline import milestone_create, workstream_create
from tests.support.api import assert_error, new_token, token_client
from tests.support.queries import count_queries

STATUS = "/api/v1/programs/HLX-101/status/"
LISTS = [
    "/api/v1/programs/",
    "/api/v1/programs/HLX-101/milestones/",
    "/api/v1/programs/HLX-101/workstreams/",
    "/api/v1/programs/HLX-101/batches/",
    "/api/v1/programs/HLX-101/updates/",
    "/api/v1/programs/HLX-101/risks/",
    "/api/v1/deviations/",
    "/api/v1/meetings/",
    "/api/v1/action-items/",
]


def tagged(client, url, tag=None):
    headers = {"If-None-Match": tag} if tag else {}
    return client.get(url, headers=headers)


def later(days: int) -> datetime.date:
    return clock.site_today() + datetime.timedelta(days=days)


@pytest.mark.parametrize("url", [STATUS, *LISTS])
def test_an_unchanged_answer_is_a_304_with_its_tag_and_no_body(world, api_as, url):
    client = api_as(world.lead_a)
    first = client.get(url)
    assert first.status_code == 200
    tag = first["ETag"]
    assert tag.startswith('"')
    assert tag.endswith('"')
    assert first["Cache-Control"] == "private, no-cache"

    again = tagged(client, url, tag)

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == tag
    assert tagged(client, url, f'"other", W/{tag}').status_code == 304  # weak comparison
    assert tagged(client, url, "*").status_code == 304


def _change(world, kind: str, update=None) -> None:
    """One change of each kind, through its service, visible to the sponsor."""
    program, pm = world.program, world.pm
    if kind == "update":
        update_post(actor=pm, program=program, title="Lot 7 released", body="On time.")
    elif kind == "milestone":
        milestone_create(actor=pm, program=program, name="PPQ 1", baseline_date=later(40))
    elif kind == "workstream":
        workstream_create(actor=pm, program=program, name="Fill-finish")
    elif kind == "risk":
        risk_create(
            actor=pm,
            program=program,
            title="Resin supply",
            likelihood=3,
            impact=4,
            owner=pm,
            review_date=later(10),
            audience="sponsor",
        )
    elif kind == "batch":
        batch_create(
            actor=pm,
            program=program,
            lot_number="ETAG-1",
            planned_start=later(5),
            planned_release=later(30),
            quantity_committed=Decimal("10"),
        )
    elif kind == "meeting":
        starts = clock.site_now() + datetime.timedelta(days=3)
        meeting_schedule(
            actor=pm, program=program, title="Cadence", starts_at=starts, time_zone="UTC"
        )
    elif kind == "action":
        action_item_create(actor=pm, program=program, title="Send CoA", owner=pm, due_date=later(3))
    elif kind == "comment":
        comment_post(actor=world.lead_a, target=update, body="Which lot is it?")
    elif kind == "target":
        kpi_targets_set(actor=pm, program=program, targets={"right_first_time": Decimal(95)})
    else:
        raise AssertionError(kind)


KINDS = ["update", "milestone", "workstream", "risk", "batch", "meeting", "action", "comment"]


@pytest.mark.parametrize("kind", [*KINDS, "target"])
def test_any_change_to_the_program_gives_its_lists_a_new_tag(world, api_as, kind):
    client = api_as(world.pm)
    update = update_post(actor=world.pm, program=world.program, title="Lot 6", body="Released.")
    before = {url: client.get(url)["ETag"] for url in LISTS}

    _change(world, kind, update)

    for url in LISTS:
        response = tagged(client, url, before[url])
        assert response.status_code == 200, url
        assert response["ETag"] != before[url]


@pytest.mark.parametrize("kind", ["update", "milestone", "risk", "meeting", "target"])
def test_a_change_the_status_shows_gives_it_a_new_tag_and_body(world, api_as, kind):
    client = api_as(world.lead_a)
    before = client.get(STATUS)

    _change(world, kind)
    after = tagged(client, STATUS, before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert after.json() != before.json()


def test_an_internal_change_leaves_the_sponsors_status_current(world, api_as):
    """The body is the sponsor's: an internal action item changes nothing they can see."""
    sponsor = api_as(world.lead_a)
    tag = sponsor.get(STATUS)["ETag"]
    cdmo_tag = api_as(world.pm).get(STATUS)["ETag"]
    version = Program.objects.get(pk=world.program.pk).version

    action_item_create(
        actor=world.pm, program=world.program, title="Internal", owner=world.pm, due_date=later(1)
    )

    assert Program.objects.get(pk=world.program.pk).version == version + 1
    assert tagged(sponsor, STATUS, tag).status_code == 304
    assert tagged(api_as(world.pm), STATUS, cdmo_tag).status_code == 200


@pytest.mark.parametrize("url", [STATUS, *LISTS])
def test_a_tag_never_holds_for_another_user_audience_or_organisation(world, api_as, url):
    tag = api_as(world.lead_a).get(url)["ETag"]

    assert tagged(api_as(world.viewer_a), url, tag).status_code == 200  # same sponsor
    assert tagged(api_as(world.pm), url, tag).status_code == 200  # the CDMO's audience
    other = tagged(api_as(world.lead_b), url, tag)  # another sponsor: its own answer, or 404
    assert other.status_code in (200, 404)
    if other.status_code == 200:
        assert other["ETag"] != tag
        assert "HLX-101" not in other.content.decode()


GARBAGE = ["abc", '"unterminated', 'W/"a", junk', '"a" "b"', "W/", '"' + "a" * 5000 + '"']


@pytest.mark.parametrize("url", [STATUS, "/api/v1/programs/", "/api/v1/notifications/"])
@pytest.mark.parametrize("header", GARBAGE)
def test_a_garbled_if_none_match_is_a_400_naming_it(world, api_as, url, header):
    response = tagged(api_as(world.lead_a), url, header)
    assert_error(response, 400, "invalid", {"If-None-Match"})


def test_a_304_of_the_status_costs_a_constant_few_queries(world):
    client = token_client(new_token(world.lead_a))
    tag = client.get(STATUS)["ETag"]
    few = count_queries(client, STATUS, headers={"If-None-Match": tag}, status=304, cold=False)
    for n in range(30):
        update_post(actor=world.pm, program=world.program, title=f"U{n}", body="b")
    tag = client.get(STATUS)["ETag"]
    many = count_queries(client, STATUS, headers={"If-None-Match": tag}, status=304, cold=False)
    assert few == many
    assert few <= 4  # the token, the program; nothing of the status is read


@pytest.mark.parametrize("url", LISTS)
def test_a_304_of_a_list_costs_a_constant_few_queries(world, url):
    client = token_client(new_token(world.pm))
    tag = client.get(url)["ETag"]
    few = count_queries(client, url, headers={"If-None-Match": tag}, status=304, cold=False)
    for n in range(5):
        update_post(actor=world.pm, program=world.program, title=f"U{n}", body="b")
        Program.objects.create(code=f"ETG-{n}", name=f"P{n}", sponsor=world.sponsor_a)
    tag = client.get(url)["ETag"]
    many = count_queries(client, url, headers={"If-None-Match": tag}, status=304, cold=False)
    assert few == many
    assert few <= 3  # the token and the programs' versions


def test_the_status_body_is_built_once_per_version_and_audience(world, api_as):
    sponsor_one, sponsor_two = api_as(world.lead_a), api_as(world.viewer_a)
    sponsor_one.get(STATUS)
    warm = count_queries(sponsor_two, STATUS, cold=False)
    cold = count_queries(sponsor_two, STATUS)
    assert warm < cold / 3


def _list_views() -> list[type]:
    views = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and prefix.startswith("api/v1/"):
                view = getattr(entry.callback, "view_class", None)
                paginated = getattr(view, "pagination_class", None) is not None
                if paginated and hasattr(view, "get") and view.__name__.endswith("ListView"):
                    views.append(view)

    walk(get_resolver(), "")
    return views


def test_every_list_endpoint_is_conditional():
    views = _list_views()
    assert len(views) >= 15
    assert [view.__name__ for view in views if not issubclass(view, ConditionalList)] == []


def test_a_list_kept_under_its_tag_is_sent_again_without_reading_it(world, api_as):
    client = api_as(world.pm)
    url = "/api/v1/programs/HLX-101/updates/"
    update_post(actor=world.pm, program=world.program, title="First", body="b")
    cold = client.get(url)
    kept_queries = count_queries(client, url, cold=False)

    again = client.get(url)
    update_post(actor=world.pm, program=world.program, title="Second", body="b")
    changed = client.get(url)

    assert again.json() == cold.json()
    assert again["ETag"] == cold["ETag"]
    assert kept_queries <= 3  # the token and the program's version
    assert changed["ETag"] != cold["ETag"]
    assert [u["title"] for u in changed.json()["results"]][:2] == ["Second", "First"]


def test_a_lapsed_notification_window_gives_the_deviation_list_a_new_tag(world, api_as):
    from deviations.models import Deviation
    from deviations.services.reporting import deviation_log

    now = timezone.now()
    deviation = deviation_log(
        actor=world.pm,
        program=world.program,
        title="Filter integrity",
        description="Failed.",
        classification="minor",
        occurred_at=now - datetime.timedelta(hours=2),
        aware_at=now - datetime.timedelta(hours=1),
    )
    Deviation.objects.filter(pk=deviation.pk).update(sponsor_notified_at=None)
    client = api_as(world.lead_a)
    before = client.get("/api/v1/deviations/")
    assert before.json()["results"][0]["notification_window_met"] is None

    with time_machine.travel(deviation.notification_due + datetime.timedelta(minutes=1)):
        after = tagged(client, "/api/v1/deviations/", before["ETag"])

    assert after.status_code == 200
    assert after.json()["results"][0]["notification_window_met"] is False
