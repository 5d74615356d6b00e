"""GET/POST /api/v1/programs/{code}/updates/: who reads what, who posts, and bad input."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from comms.models import Update
from comms.services.updates import NOT_PROGRAM_TEAM
from programs.models import Event
from tests.factories import UpdateFactory
from tests.support.api import assert_error, new_token, post_json, token_client
from tests.support.world import client_for

URL = "/api/v1/programs/HLX-101/updates/"
VALID = {"title": "Engineering run complete", "body": "Titre within range."}


def _updates(world):
    now = timezone.now()
    old = UpdateFactory(program=world.program, title="Old", author=world.pm)
    new = UpdateFactory(program=world.program, title="New", author=world.pm)
    internal = UpdateFactory(
        program=world.program,
        title="Internal draft",
        author=world.pm,
        audience="internal",
        published_at=None,
    )
    Update.objects.filter(pk=old.pk).update(created_at=now - datetime.timedelta(days=2))
    Update.objects.filter(pk=new.pk).update(created_at=now - datetime.timedelta(days=1))
    UpdateFactory(program=world.program_b, title="Borealis news", author=world.pm)
    return old, new, internal


def test_the_sponsor_reads_its_updates_newest_first_without_internal_ones(world, api_as):
    _updates(world)

    body = api_as(world.viewer_a).get(URL).json()

    assert body["count"] == 2
    assert [u["title"] for u in body["results"]] == ["New", "Old"]


def test_the_cdmo_also_reads_internal_drafts(world, api_as):
    _updates(world)

    body = api_as(world.pm).get(URL).json()

    assert [u["title"] for u in body["results"]] == ["Internal draft", "New", "Old"]
    assert body["results"][0]["audience"] == "internal"


def test_an_update_reads_with_its_author(world, api_as):
    old, _, _ = _updates(world)

    update = api_as(world.lead_a).get(URL).json()["results"][1]

    assert update["id"] == old.pk
    assert update["author"] == {"name": "Pat Manager", "email": "pm@nb.example", "title": ""}
    assert set(update) == {
        "id",
        "title",
        "body",
        "category",
        "significance",
        "audience",
        "author",
        "created_at",
        "published_at",
    }


def test_another_sponsors_updates_are_not_found(world, api_as):
    _updates(world)

    response = api_as(world.lead_b).get(URL)

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("persona", ["pm", "leader"])
def test_the_program_team_posts_an_update(world, api_as, persona):
    user = getattr(world, persona)

    response = post_json(api_as(user), URL, {**VALID, "significance": "notable"})

    assert response.status_code == 201, response.content
    body = response.json()
    update = Update.objects.get()
    assert body["id"] == update.pk
    assert body["title"] == "Engineering run complete"
    assert body["significance"] == "notable"
    assert body["category"] == "general"
    assert body["audience"] == "sponsor"
    assert body["published_at"] is not None
    assert update.author == user
    assert Event.objects.filter(program=world.program, verb="update.posted").exists()


def test_an_internal_draft_stays_away_from_the_sponsor(world, api_as):
    response = post_json(api_as(world.pm), URL, {**VALID, "audience": "internal"})

    assert response.status_code == 201
    assert response.json()["published_at"] is None
    assert api_as(world.lead_a).get(URL).json()["count"] == 0


@pytest.mark.parametrize("persona", ["lead_a", "viewer_a", "staff"])
def test_people_who_see_the_program_but_are_not_its_team_get_403(world, api_as, persona):
    response = post_json(api_as(getattr(world, persona)), URL, VALID)

    error = assert_error(response, 403, "permission_denied", fields=set())
    assert error["message"] == NOT_PROGRAM_TEAM
    assert not Update.objects.exists()


def test_a_sponsor_posting_garbage_hears_403_not_what_is_wrong_with_it(world, api_as):
    response = post_json(api_as(world.lead_a), URL, {"titel": 1})

    assert_error(response, 403, "permission_denied")


def test_posting_to_another_sponsors_program_is_not_found(world, api_as):
    response = post_json(api_as(world.lead_b), URL, VALID)

    assert_error(response, 404, "not_found")
    assert not Update.objects.exists()


BAD_INPUT = [
    pytest.param({"title": ""}, {"title"}, id="empty title"),
    pytest.param({"title": "   "}, {"title"}, id="blank title"),
    pytest.param({"title": "x" * 201}, {"title"}, id="title too long"),
    pytest.param({"title": 123}, {"title"}, id="number as title"),
    pytest.param({"title": None}, {"title"}, id="null title"),
    pytest.param({"body": ["a", "list"]}, {"body"}, id="list as body"),
    pytest.param({"body": "NUL \x00 byte"}, {"body"}, id="NUL in body"),
    pytest.param({"significance": "urgent"}, {"significance"}, id="unknown significance"),
    pytest.param({"category": 5}, {"category"}, id="number as category"),
    pytest.param({"audience": "everyone"}, {"audience"}, id="unknown audience"),
    pytest.param({"signifcance": "critical"}, {"signifcance"}, id="misspelt field"),
    pytest.param({"id": 7, "author": "me"}, {"id", "author"}, id="read-only fields"),
    pytest.param({"title": "", "colour": "red"}, {"title", "colour"}, id="both at once"),
]


@pytest.mark.parametrize(("change", "fields"), BAD_INPUT)
def test_bad_input_is_a_400_naming_the_fields_and_saves_nothing(world, api_as, change, fields):
    response = post_json(api_as(world.pm), URL, {**VALID, **change})

    error = assert_error(response, 400, "invalid", fields=fields)
    assert all(error["fields"][name] for name in fields)
    assert not Update.objects.exists()
    assert not Event.objects.filter(verb="update.posted").exists()


def test_missing_fields_are_named(world, api_as):
    response = post_json(api_as(world.pm), URL, {})

    assert_error(response, 400, "invalid", fields={"title", "body"})


def test_an_unknown_field_names_the_accepted_ones(world, api_as):
    response = post_json(api_as(world.pm), URL, {**VALID, "urgent": True})

    message = response.json()["error"]["fields"]["urgent"][0]
    assert "audience, body, category, significance, title" in message


@pytest.mark.parametrize("body", ['{"title": "x",', "not json", '{"title": NaN}'])
def test_malformed_json_is_a_400(world, api_as, body):
    response = api_as(world.pm).post(URL, body, content_type="application/json")

    assert_error(response, 400, "parse_error")
    assert not Update.objects.exists()


def test_text_the_database_cannot_store_is_a_400_not_a_500(world, api_as):
    body = '{"title": "Lone \\ud800 surrogate", "body": "Fine."}'

    response = api_as(world.pm).post(URL, body, content_type="application/json")

    error = assert_error(response, 400, "invalid", fields={"title"})
    assert "Surrogate" in error["fields"]["title"][0]
    assert not Update.objects.exists()


@pytest.mark.parametrize("payload", [["a", "list"], "a string", 42, None])
def test_a_body_that_is_not_an_object_is_a_400(world, api_as, payload):
    response = post_json(api_as(world.pm), URL, payload)

    assert_error(response, 400, "invalid", fields={"non_field_errors"})


def test_form_encoded_posts_are_refused(world, api_as):
    response = api_as(world.pm).post(URL, VALID)

    assert_error(response, 415, "unsupported_media_type")


def test_no_token_is_401(world):
    response = post_json(Client(), URL, VALID)

    assert_error(response, 401, "not_authenticated")
    assert not Update.objects.exists()


def test_a_revoked_token_is_401(world):
    from portal.services import api_token_revoke

    key = new_token(world.lead_a)
    client = token_client(key)
    assert client.get(URL).status_code == 200
    token = world.lead_a.api_tokens.get()
    api_token_revoke(actor=world.lead_a, token=token)

    assert_error(client.get(URL), 401, "authentication_failed")


def test_a_session_post_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.pm)

    response = post_json(client, URL, VALID)

    assert_error(response, 403, "permission_denied")
    assert "CSRF" in response.json()["error"]["message"]
    assert not Update.objects.exists()


def test_a_session_post_from_the_program_team_works(world):
    response = post_json(client_for(world, "pm"), URL, VALID)

    assert response.status_code == 201


def test_an_update_the_portal_posted_itself_has_no_author(world, api_as):
    UpdateFactory(program=world.program, title="Milestone slipped", author=None)

    update = api_as(world.lead_a).get(URL).json()["results"][0]

    assert update["author"] is None
