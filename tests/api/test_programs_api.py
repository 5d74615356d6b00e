"""GET /api/v1/programs/ and /api/v1/programs/{code}/."""

import pytest

from portal.models import Membership
from programs.models import ProgramMember
from tests.factories import ProgramFactory, member
from tests.support.api import assert_error
from tests.support.queries import count_queries
from tests.support.world import client_for

LIST = "/api/v1/programs/"


def test_it_lists_only_the_sponsors_own_programs(world, api_as):
    response = api_as(world.lead_a).get(LIST)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [p["code"] for p in body["results"]] == ["HLX-101"]


def test_the_cdmo_sees_every_program(world, api_as):
    response = api_as(world.staff).get(LIST)

    assert [p["code"] for p in response.json()["results"]] == ["BOR-017", "HLX-101"]


def test_a_program_reads_as_references_and_people_not_ids(world, api_as):
    world.pm.title = "Senior project manager"
    world.pm.save()

    program = api_as(world.viewer_a).get("/api/v1/programs/HLX-101/").json()

    assert program == {
        "code": "HLX-101",
        "name": "Helix mAb",
        "sponsor": {"name": "Helix"},
        "product": "",
        "modality": "other",
        "phase": "phase_2",
        "status": "active",
        "health": "green",
        "health_reason": "",
        "start_date": None,
        "target_launch_date": None,
        "dedicated_pm": {
            "name": "Pat Manager",
            "email": "pm@nb.example",
            "title": "Senior project manager",
        },
    }


def test_a_program_without_a_pm_says_so(world, api_as):
    ProgramFactory(sponsor=world.sponsor_a, code="HLX-202")

    program = api_as(world.lead_a).get("/api/v1/programs/HLX-202/").json()

    assert program["dedicated_pm"] is None


def test_another_sponsors_program_is_not_found(world, api_as):
    response = api_as(world.lead_b).get("/api/v1/programs/HLX-101/")

    error = assert_error(response, 404, "not_found", fields=set())
    assert "HLX-101" not in error["message"]


@pytest.mark.parametrize("code", ["NOPE-1", "hlx-101", "HLX-101%00", "%E2%80%AE", "HLX-101%0A"])
def test_a_code_that_does_not_exist_or_cannot_exist_is_not_found(world, api_as, code):
    response = api_as(world.pm).get(f"/api/v1/programs/{code}/")

    assert_error(response, 404, "not_found")


def test_it_filters_by_status_and_phase(world, api_as):
    ProgramFactory(sponsor=world.sponsor_a, code="HLX-300", status="on_hold", phase="phase_3")
    client = api_as(world.lead_a)

    on_hold = client.get(LIST, {"status": "on_hold"}).json()["results"]
    phase_2 = client.get(LIST, {"phase": "phase_2"}).json()["results"]

    assert [p["code"] for p in on_hold] == ["HLX-300"]
    assert [p["code"] for p in phase_2] == ["HLX-101"]


def test_an_unknown_filter_value_is_a_400_naming_the_filter(world, api_as):
    response = api_as(world.lead_a).get(LIST, {"status": "cancelled"})

    assert_error(response, 400, "invalid", fields={"status"})


def test_it_pages(world, api_as):
    client = api_as(world.leader)

    first = client.get(LIST, {"page_size": 1}).json()
    beyond = client.get(LIST, {"page": 9})

    assert first["count"] == 2
    assert len(first["results"]) == 1
    assert "page=2" in first["next"]
    assert_error(beyond, 404, "not_found")


def test_session_users_are_served_too(world):
    response = client_for(world, "viewer_a").get(LIST)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_anonymous_gets_401_with_the_token_challenge(world):
    response = client_for(world, "anonymous").get(LIST)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_the_list_costs_the_same_number_of_queries_for_many_programs(world, api_as):
    client = api_as(world.staff)
    client.get(LIST)  # the token's first use also stamps last_used_at
    few = count_queries(client, LIST, params={"page_size": 200})

    for n in range(30):
        program = ProgramFactory(sponsor=world.sponsor_a, code=f"HLX-{500 + n}")
        pm = member(world.cdmo, Membership.Role.PM, email=f"pm{n}@nb.example")
        ProgramMember.objects.create(program=program, user=pm, role="dedicated_pm")
    many = count_queries(client, LIST, params={"page_size": 200})

    assert many == few


def test_too_many_requests_get_429_in_the_error_shape(world, api_as, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "2/min")
    client = api_as(world.lead_a)
    assert [client.get(LIST).status_code for _ in range(2)] == [200, 200]

    response = client.get(LIST)

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize("persona", ["anonymous", "lead_a"])
@pytest.mark.parametrize(
    "url", ["/api/v1/nothing-here/", "/api/v1/programs/HLX-101/nothing/", "/api/v2/"]
)
def test_an_unknown_api_path_answers_json_not_html(world, persona, url):
    response = client_for(world, persona).get(url)

    if url.startswith("/api/v1/"):
        error = assert_error(response, 404, "not_found")
        assert error["message"] == "No such API endpoint."
    else:  # outside the versioned API: the site's own 404 page
        assert response.status_code == 404


def test_a_missing_trailing_slash_is_pointed_out(world):
    response = client_for(world, "lead_a").post("/api/v1/programs/HLX-101/updates", {})

    error = assert_error(response, 404, "not_found")
    assert error["message"].endswith("end with a slash: /api/v1/programs/HLX-101/updates/")


def test_an_unknown_path_with_a_newline_still_answers_json(world, api_as):
    response = api_as(world.lead_a).post("/api/v1/action-items/a%0Ab/complete/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"
