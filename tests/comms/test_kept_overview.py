"""The program page's overview is kept per program version and audience: read once, and built
again as soon as anything in the program changes."""

import datetime

from comms.services.updates import update_post
from governance.services.risks import risk_create
from portal import clock
from tests.support.queries import count_queries
from tests.support.world import client_for

URL = "/programs/HLX-101/"


def test_the_overview_is_read_once_per_version_and_follows_a_change(world):
    client = client_for(world, "lead_a")
    update_post(actor=world.pm, program=world.program, title="Lot 3", body="Released.")
    built = count_queries(client, URL, warm_up=True)
    kept = count_queries(client, URL, cold=False)
    assert kept < built

    risk_create(
        actor=world.pm,
        program=world.program,
        title="Resin supply tightening",
        likelihood=5,
        impact=5,
        owner=world.pm,
        review_date=clock.site_today() + datetime.timedelta(days=7),
        audience="sponsor",
    )

    overview = client.get(URL).context["overview"]
    assert [risk.title for risk in overview.top_risks][:1] == ["Resin supply tightening"]
