"""Internal governance records never reach a sponsor user: risks, action items, the minutes and
decisions of a meeting, and the agenda composed from them, in pages, API, feeds and invites."""

import datetime

from django.core import mail
from django.utils import timezone

from governance import agenda, calendar, selectors
from governance.models import Meeting
from governance.services.feeds import calendar_feed_rotate
from portal.access import Audience
from tests.governance.builders import action_item, meeting, past_meeting, risk
from tests.support.world import client_for

HIDDEN_RISK = "Operator turnover on the fill line"
SHARED_RISK = "Resin supply"
HIDDEN_ACTION = "Ask QA about the line clearance"
SHARED_ACTION = "Send the batch record"
HIDDEN_MINUTES = "Internal: margin on this program is thin."
HIDDEN_DECISIONS = "Internal: escalate resin pricing to procurement."


def _records(world):
    risk(world.program, world.pm, title=HIDDEN_RISK, likelihood=5, audience=Audience.INTERNAL)
    risk(world.program, world.pm, title=SHARED_RISK)
    action_item(world.program, world.pm, title=HIDDEN_ACTION, due_in_days=-2, audience="internal")
    action_item(world.program, world.lead_a, title=SHARED_ACTION, due_in_days=-2)


def _written_up(world, **fields) -> Meeting:
    held = past_meeting(world.program, attendees=[world.pm, world.lead_a])
    Meeting.objects.filter(pk=held.pk).update(
        status=Meeting.Status.HELD,
        minutes=HIDDEN_MINUTES,
        decisions=HIDDEN_DECISIONS,
        written_up_at=timezone.now(),
        written_up_by=world.pm,
        **fields,
    )
    held.refresh_from_db()
    return held


def test_the_sponsor_reads_only_shared_risks_and_action_items_on_the_pages(world):
    _records(world)
    sponsor, pm = client_for(world, "viewer_a"), client_for(world, "pm")

    risks = sponsor.get("/programs/HLX-101/risks/").content.decode()
    actions = sponsor.get("/programs/HLX-101/actions/?state=all").content.decode()
    team_risks = pm.get("/programs/HLX-101/risks/").content.decode()

    assert SHARED_RISK in risks
    assert HIDDEN_RISK not in risks
    assert SHARED_ACTION in actions
    assert HIDDEN_ACTION not in actions
    assert HIDDEN_RISK in team_risks
    assert "Share with the sponsor" in team_risks


def test_the_heat_map_counts_only_what_the_reader_may_see(world):
    _records(world)

    sponsor_cells = selectors.risk_heat_map(user=world.lead_a, program=world.program)
    team_cells = selectors.risk_heat_map(user=world.pm, program=world.program)

    assert sum(cell.count for row in sponsor_cells for cell in row) == 1
    assert sum(cell.count for row in team_cells for cell in row) == 2


def test_the_api_gives_the_sponsor_only_shared_risks_and_action_items(world, api_as):
    _records(world)
    client = api_as(world.lead_a)

    risks = client.get("/api/v1/programs/HLX-101/risks/").json()["results"]
    actions = client.get("/api/v1/action-items/").json()["results"]
    team = api_as(world.pm).get("/api/v1/programs/HLX-101/risks/").json()["results"]

    assert [r["title"] for r in risks] == [SHARED_RISK]
    assert [a["title"] for a in actions] == [SHARED_ACTION]
    assert {r["audience"] for r in team} == {"internal", "sponsor"}


def test_the_live_agenda_leaves_internal_items_out_for_the_sponsor(world):
    _records(world)
    upcoming = meeting(world.program)

    sponsor = {s.key: s for s in selectors.meeting_agenda(world.lead_a, upcoming)}
    team = {s.key: s for s in selectors.meeting_agenda(world.pm, upcoming)}

    assert [i.text for i in sponsor["overdue-action-items"].items] == [SHARED_ACTION]
    assert [i.text for i in sponsor["top-risks"].items] == [SHARED_RISK]
    assert HIDDEN_RISK in [i.text for i in team["top-risks"].items]


def test_a_stored_agenda_keeps_each_items_audience(world):
    _records(world)
    upcoming = meeting(world.program)
    snapshot = agenda.agenda_snapshot(world.program, upcoming)
    held = _written_up(world, agenda=snapshot)

    sponsor = {s.key: s for s in selectors.meeting_agenda(world.viewer_a, held)}

    assert [i.text for i in sponsor["top-risks"].items] == [SHARED_RISK]


def test_internal_minutes_and_decisions_stay_with_the_cdmo_on_the_page_and_in_the_api(
    world, api_as
):
    held = _written_up(world, minutes_audience="internal", decisions_audience="internal")
    url = f"/programs/HLX-101/meetings/{held.pk}/"

    page = client_for(world, "lead_a").get(url).content.decode()
    data = api_as(world.lead_a).get(f"/api/v1/meetings/{held.uid}/").json()
    team_page = client_for(world, "pm").get(url).content.decode()

    assert HIDDEN_MINUTES not in page
    assert HIDDEN_DECISIONS not in page
    assert "kept by the CDMO team" in page
    assert (data["minutes"], data["decisions"]) == ("", "")
    assert HIDDEN_MINUTES in team_page
    assert "Share the minutes with the sponsor" in team_page


def test_shared_minutes_reach_the_sponsor_and_internal_decisions_do_not(world, api_as):
    held = _written_up(world, minutes_audience="sponsor", decisions_audience="internal")

    data = api_as(world.lead_a).get(f"/api/v1/meetings/{held.uid}/").json()

    assert (data["minutes"], data["decisions"]) == (HIDDEN_MINUTES, "")


def test_the_pm_shares_the_minutes_from_the_meeting_page(world):
    held = _written_up(world, minutes_audience="internal")
    url = f"/programs/HLX-101/meetings/{held.pk}/share/"

    refused = client_for(world, "lead_a").post(url, {"section": "minutes"})
    response = client_for(world, "pm").post(url, {"section": "minutes"})

    assert refused.status_code == 403
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.minutes_audience == Audience.SPONSOR


def test_the_pm_shares_a_risk_and_an_action_item_from_their_pages(world):
    hidden = risk(world.program, world.pm, audience=Audience.INTERNAL)
    item = action_item(world.program, world.pm, audience=Audience.INTERNAL)
    pm = client_for(world, "pm")

    pm.post(f"/programs/HLX-101/risks/{hidden.pk}/share/")
    pm.post(f"/programs/HLX-101/actions/{item.pk}/share/", {"state": "all"})

    hidden.refresh_from_db()
    item.refresh_from_db()
    assert (hidden.audience, item.audience) == ("sponsor", "sponsor")


def test_another_sponsors_user_cannot_even_find_the_share_step(world):
    hidden = risk(world.program, world.pm, audience=Audience.INTERNAL)

    response = client_for(world, "lead_b").post(f"/programs/HLX-101/risks/{hidden.pk}/share/")

    assert response.status_code == 404


def test_the_forms_preselect_sharing_with_the_sponsor(world):
    pm = client_for(world, "pm")

    risks = pm.get("/programs/HLX-101/risks/").content.decode()
    actions = pm.get("/programs/HLX-101/actions/").content.decode()

    for body in (risks, actions):
        assert 'name="audience" value="sponsor" id="id_audience_0" checked' in body


def test_a_sponsors_calendar_feed_lists_only_meetings_that_sponsor_may_see(world):
    held = _written_up(world, minutes_audience="internal", decisions_audience="internal")
    meeting(world.program_b, title="Borealis call", attendees=[world.lead_a])
    feed = calendar_feed_rotate(user=world.lead_a)

    body = client_for(world, "anonymous").get(f"/calendar/{feed.secret}.ics").content.decode()

    assert calendar.meeting_uid(held) in body
    assert "Borealis call" not in body
    assert "Internal:" not in body


def test_an_invite_goes_only_to_attendees_who_may_see_the_meeting(world):
    upcoming = meeting(
        world.program,
        starts_at=timezone.now() + datetime.timedelta(days=2),
        attendees=[world.pm, world.lead_a, world.lead_b],
    )

    sent = calendar.send_invites(upcoming, upcoming.sequence)

    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.pm.email, world.lead_a.email])
