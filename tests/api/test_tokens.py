"""API tokens: stored hashed, refused once revoked, and issued from the command line."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from portal.errors import Invalid, NotAllowed
from portal.models import ApiToken
from portal.services import (
    NOT_TOKEN_MANAGER,
    TOKEN_NAME_REQUIRED,
    api_token_create,
    api_token_revoke,
)
from tests.factories import UserFactory
from tests.support.api import assert_error, new_token, token_client

URL = "/api/v1/programs/"


def test_only_a_hash_of_the_key_is_stored(world):
    key = new_token(world.lead_a)

    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    stored = [str(value) for value in ApiToken.objects.values_list().get()]
    assert key not in stored


def test_a_valid_token_authenticates_and_is_stamped(world):
    client = token_client(new_token(world.lead_a))

    response = client.get(URL)

    assert response.status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.clause("21 CFR 11.10(d)")
@pytest.mark.clause("21 CFR 11.300(b)")
def test_a_revoked_token_gets_401_at_once(world):
    client = token_client(new_token(world.lead_a))
    assert client.get(URL).status_code == 200

    api_token_revoke(actor=world.lead_a, token=ApiToken.objects.get())

    error = assert_error(client.get(URL), 401, "authentication_failed")
    assert error["message"].startswith("This token was revoked on ")


@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-key", "Token", "Token two words", "Bearer abc", "Basic Zm9vOmJhcg=="],
)
def test_bad_credentials_get_401_never_403(world, header):
    response = Client(headers={"Authorization": header}).get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"authentication_failed", "not_authenticated"}


def test_no_credentials_get_401_with_the_token_challenge(world):
    response = Client().get(URL)

    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_deactivated_users_token_stops_working(world):
    client = token_client(new_token(world.lead_a))
    world.lead_a.is_active = False
    world.lead_a.save()

    assert_error(client.get(URL), 401, "authentication_failed")


def test_the_command_prints_a_working_key(world):
    out, err = StringIO(), StringIO()

    call_command("create_api_token", "LEAD@helix.example", "--name", "LIMS", stdout=out, stderr=err)

    key = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.user == world.lead_a
    assert token.name == "LIMS"
    assert token.created_by is None
    assert "shown once" in err.getvalue()
    assert key not in err.getvalue()
    response = token_client(key).get(URL)
    assert [p["code"] for p in response.json()["results"]] == ["HLX-101"]


def test_the_command_names_the_token_when_not_told(world):
    call_command("create_api_token", "lead@helix.example", stdout=StringIO(), stderr=StringIO())

    assert ApiToken.objects.get().name == "Created on the command line"


def test_the_command_refuses_an_unknown_email(db):
    with pytest.raises(CommandError, match=r"No user with the email address 'nobody@x\.example'"):
        call_command("create_api_token", "nobody@x.example", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_the_command_refuses_a_deactivated_user(db):
    UserFactory(email="gone@x.example", is_active=False)

    with pytest.raises(CommandError, match="deactivated"):
        call_command("create_api_token", "gone@x.example", stdout=StringIO())


def test_the_command_refuses_a_blank_name(world):
    with pytest.raises(CommandError, match="Give the token a name"):
        call_command("create_api_token", "lead@helix.example", "--name", "  ", stdout=StringIO())


def test_the_command_refuses_a_name_with_a_line_break(world):
    with pytest.raises(CommandError, match="one line of printable text"):
        call_command(
            "create_api_token", "lead@helix.example", "--name", "LIMS\nsync", stdout=StringIO()
        )
    assert not ApiToken.objects.exists()


def test_only_a_sponsor_lead_creates_a_token_and_only_for_themself(world):
    for actor, user in [
        (world.viewer_a, world.viewer_a),
        (world.pm, world.pm),
        (world.lead_a, world.viewer_a),
    ]:
        with pytest.raises(NotAllowed) as refused:
            api_token_create(actor=actor, user=user, name="LIMS")
        assert refused.value.message == NOT_TOKEN_MANAGER
    assert not ApiToken.objects.exists()


def test_a_blank_token_name_is_invalid_input_naming_the_field(world):
    with pytest.raises(Invalid) as refused:
        api_token_create(actor=world.lead_a, user=world.lead_a, name="   ")
    assert (refused.value.message, refused.value.field) == (TOKEN_NAME_REQUIRED, "name")


def test_a_lead_may_not_revoke_another_sponsors_token(world):
    new_token(world.lead_b)
    token = ApiToken.objects.get()

    with pytest.raises(NotAllowed):
        api_token_revoke(actor=world.lead_a, token=token)

    token.refresh_from_db()
    assert token.revoked_at is None
