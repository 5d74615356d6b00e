"""The quality agreement page: version history read by the CDMO and the sponsor's own people,
a new version recorded by QA or a CDMO administrator, bad input inline and nothing saved."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from deviations.models import QualityAgreement
from deviations.services.agreements import agreement_version_add
from tests.support.api import new_token, token_client
from tests.support.permissions import database_state
from tests.support.queries import count_queries
from tests.support.world import client_for

URL = reverse("onboarding-quality-agreement", kwargs={"slug": "helix"})


def _form(moment: datetime.datetime, **changes) -> dict:
    data = {
        "effective_from": timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M"),
        "critical_notify": "24",
        "critical_notify_unit": "hours",
        "major_notify": "24",
        "major_notify_unit": "hours",
        "minor_notify": "7",
        "minor_notify_unit": "days",
        "investigation": "30",
        "investigation_unit": "days",
        "capa": "90",
        "capa_unit": "days",
        "reason": "Amendment 1",
    }
    return {**data, **changes}


def test_qa_records_a_version_and_the_sponsor_reads_the_history(world):
    response = client_for(world, "qa").post(URL, _form(timezone.now()))
    assert response.status_code == 302

    version = QualityAgreement.objects.get(sponsor=world.sponsor_a)
    assert (version.version, version.major_notify, version.made_by) == (1, 24, world.qa)
    page = client_for(world, "viewer_a").get(URL)
    assert page.status_code == 200
    assert "Amendment 1" in page.content.decode()
    assert not page.context["keeper"]
    assert client_for(world, "lead_b").get(URL).status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": ""}, "reason"),
        ({"major_notify": "0"}, "major_notify"),
        ({"effective_from": "not a moment"}, "effective_from"),
    ],
)
def test_bad_version_input_is_inline_and_saves_nothing(world, changes, field):
    client = client_for(world, "leader")
    client.get(URL)
    before = database_state()
    response = client.post(URL, _form(timezone.now(), **changes))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert database_state() == before


def test_a_version_before_the_current_one_is_refused_inline(world):
    now = timezone.now()
    agreement_version_add(
        actor=world.leader, sponsor=world.sponsor_a, effective_from=now, reason="v1"
    )
    client = client_for(world, "leader")
    response = client.post(URL, _form(now - datetime.timedelta(days=1)))
    assert response.status_code == 422
    assert "after the current one" in response.context["form"].errors["effective_from"][0]
    assert QualityAgreement.objects.count() == 1


def test_the_agreement_page_has_a_query_budget(world):
    client = client_for(world, "leader")
    baseline = count_queries(client, URL, warm_up=True)
    start = timezone.now() - datetime.timedelta(days=30)
    for n in range(4):
        agreement_version_add(
            actor=world.leader,
            sponsor=world.sponsor_a,
            program=world.program if n % 2 else None,
            effective_from=start + datetime.timedelta(days=n),
            reason=f"v{n}",
        )
    assert count_queries(client, URL) == baseline


def test_the_api_lists_versions_scoped_by_sponsor(world):
    now = timezone.now()
    for sponsor in (world.sponsor_a, world.sponsor_b):
        agreement_version_add(actor=world.leader, sponsor=sponsor, effective_from=now, reason="v1")
    url = reverse("api-quality-agreement-list")

    def sponsors_seen(persona):
        response = token_client(new_token(getattr(world, persona))).get(url)
        assert response.status_code == 200
        return sorted(item["sponsor"] for item in response.json()["results"])

    assert sponsors_seen("lead_b") == ["borealis"]
    assert sponsors_seen("viewer_a") == ["helix"]
    assert sponsors_seen("staff") == ["borealis", "helix"]
