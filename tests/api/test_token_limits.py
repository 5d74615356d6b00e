"""API tokens with limits: expiry, scope, program restriction, last use, the owner's account."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from comms.models import Update
from portal import clock
from portal.api.authentication import TOKEN_OWNER_CLOSED
from portal.errors import Invalid
from portal.models import ApiToken, AuditEntry
from portal.services import (
    TOKEN_PROGRAM_NOT_VISIBLE,
    api_token_create,
    token_expiry_bounds,
)
from tests.deviations.conftest import log_deviation
from tests.factories import ProgramFactory
from tests.support.api import assert_error, post_json, token_client

PROGRAMS = "/api/v1/programs/"
UPDATE = {"title": "Engineering run complete", "body": "Titre within range."}


def _key(user, **limits):
    _, key = api_token_create(actor=None, user=user, name="LIMS", **limits)
    return key


# --- Expiry ---------------------------------------------------------------------------------


def test_a_token_expires_after_90_days_unless_told(world):
    _key(world.lead_a)

    token = ApiToken.objects.get()
    expected = clock.day_end(clock.site_today() + datetime.timedelta(days=90))
    assert token.expires_at == expected


@pytest.mark.clause("21 CFR 11.10(d)")
@pytest.mark.clause("21 CFR 11.300(b)")
def test_an_expired_token_gets_401_saying_so_and_the_refusal_is_audited(world):
    client = token_client(_key(world.lead_a, expires_on=clock.site_today()))
    assert client.get(PROGRAMS).status_code == 200

    with time_machine.travel(timezone.now() + datetime.timedelta(days=1), tick=False):
        error = assert_error(client.get(PROGRAMS), 401, "authentication_failed")

    assert error["message"].startswith("This token expired on ")
    refusal = AuditEntry.objects.get(action=AuditEntry.Action.TOKEN_REFUSED)
    assert refusal.object_pk == str(ApiToken.objects.get().pk)
    assert refusal.reason.startswith("API token refused: This token expired on ")
    assert refusal.changes["client_address"] == [None, "127.0.0.1"]


def test_an_expiry_in_the_past_is_refused_naming_the_field(world):
    yesterday = clock.site_today() - datetime.timedelta(days=1)

    with pytest.raises(Invalid) as refused:
        _key(world.lead_a, expires_on=yesterday)

    assert refused.value.field == "expires_on"
    assert "is in the past" in refused.value.message
    assert not ApiToken.objects.exists()


def test_an_expiry_beyond_a_year_is_refused(world):
    _, _, latest = token_expiry_bounds()

    with pytest.raises(Invalid) as refused:
        _key(world.lead_a, expires_on=latest + datetime.timedelta(days=1))

    assert refused.value.field == "expires_on"
    assert "at most a year" in refused.value.message
    _key(world.lead_a, expires_on=latest)
    assert ApiToken.objects.count() == 1


# --- Scope ----------------------------------------------------------------------------------


def test_a_read_only_token_reads(world):
    client = token_client(_key(world.pm, scope=ApiToken.Scope.READ))

    assert client.get(PROGRAMS).status_code == 200
    assert client.get("/api/v1/programs/HLX-101/status/").status_code == 200


@pytest.mark.clause("21 CFR 11.10(g)")
def test_a_read_only_token_may_not_write_and_nothing_changes(world):
    client = token_client(_key(world.pm, scope=ApiToken.Scope.READ))

    response = post_json(client, "/api/v1/programs/HLX-101/updates/", UPDATE)

    error = assert_error(response, 403, "read_only_token")
    assert "This token is read only" in error["message"]
    assert "not POST" in error["message"]
    assert not Update.objects.exists()


def test_a_read_write_token_writes(world):
    client = token_client(_key(world.pm, scope=ApiToken.Scope.READ_WRITE))

    response = post_json(client, "/api/v1/programs/HLX-101/updates/", UPDATE)

    assert response.status_code == 201, response.content
    assert Update.objects.count() == 1


# --- Program restriction ----------------------------------------------------------------------


@pytest.fixture
def second_program(world):
    return ProgramFactory(sponsor=world.program.sponsor, code="HLX-202", name="Helix ADC")


@pytest.mark.clause("21 CFR 11.10(d)")
def test_a_restricted_token_lists_only_its_programs(world, second_program):
    client = token_client(_key(world.lead_a, programs=[world.program]))

    codes = [p["code"] for p in client.get(PROGRAMS).json()["results"]]

    assert codes == ["HLX-101"]
    unrestricted = token_client(_key(world.lead_a))
    codes = sorted(p["code"] for p in unrestricted.get(PROGRAMS).json()["results"])
    assert codes == ["HLX-101", "HLX-202"]


@pytest.mark.clause("21 CFR 11.10(d)")
@pytest.mark.clause("EU GMP Annex 11 §12.1")
@pytest.mark.parametrize("path", ["", "status/", "milestones/", "updates/"])
def test_another_program_of_the_same_sponsor_is_a_404_for_a_restricted_token(
    world, second_program, path
):
    client = token_client(_key(world.lead_a, programs=[world.program]))

    assert client.get(f"/api/v1/programs/HLX-101/{path}").status_code == 200
    assert_error(client.get(f"/api/v1/programs/HLX-202/{path}"), 404, "not_found")


def test_a_restricted_token_sees_only_deviations_of_its_programs(world, second_program):
    log_deviation(world, title="On the restricted program")
    world.pm = world.leader  # the leadership is on every program's team
    hidden = log_deviation(world, program=second_program, title="On the other program")
    client = token_client(_key(world.lead_a, programs=[world.program]))

    titles = [d["title"] for d in client.get("/api/v1/deviations/").json()["results"]]

    assert titles == ["On the restricted program"]
    assert_error(client.get(f"/api/v1/deviations/{hidden.reference}/"), 404, "not_found")


def test_a_token_cannot_be_restricted_to_a_program_its_owner_does_not_see(world):
    with pytest.raises(Invalid) as refused:
        _key(world.lead_a, programs=[world.program_b])

    assert refused.value.field == "programs"
    assert refused.value.message == TOKEN_PROGRAM_NOT_VISIBLE.format(programs=world.program_b)
    assert not ApiToken.objects.exists()


# --- Last use, the owner's account ------------------------------------------------------------


def test_last_use_records_time_and_address_at_most_once_a_minute(world):
    client = token_client(_key(world.lead_a))
    client.get(PROGRAMS, REMOTE_ADDR="192.0.2.10")
    first = ApiToken.objects.get()
    assert first.last_used_from == "192.0.2.10"

    client.get(PROGRAMS, REMOTE_ADDR="192.0.2.11")

    assert ApiToken.objects.get().last_used_at == first.last_used_at
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2), tick=False):
        client.get(PROGRAMS, REMOTE_ADDR="192.0.2.11")
    assert ApiToken.objects.get().last_used_from == "192.0.2.11"


@pytest.mark.clause("21 CFR 11.10(d)")
def test_a_deactivated_owners_token_stops_at_once_and_says_why(world):
    client = token_client(_key(world.lead_a))
    assert client.get(PROGRAMS).status_code == 200
    world.lead_a.is_active = False
    world.lead_a.save()

    error = assert_error(client.get(PROGRAMS), 401, "authentication_failed")

    assert error["message"] == TOKEN_OWNER_CLOSED.format(why="the account is deactivated")
    assert AuditEntry.objects.filter(action=AuditEntry.Action.TOKEN_REFUSED).count() == 1


@pytest.mark.clause("21 CFR 11.10(d)")
def test_a_token_stops_the_day_after_its_owners_access_ends(world):
    membership = world.lead_a.membership
    membership.access_ends_on = clock.site_today()
    membership.save()
    client = token_client(_key(world.lead_a))
    assert client.get(PROGRAMS).status_code == 200

    with time_machine.travel(clock.day_end(clock.site_today()), tick=False):
        error = assert_error(client.get(PROGRAMS), 401, "authentication_failed")

    assert "access ended on" in error["message"]


# --- The command ------------------------------------------------------------------------------


def test_the_command_sets_expiry_scope_and_programs(world, second_program):
    out = StringIO()
    day = clock.site_today() + datetime.timedelta(days=10)

    call_command(
        "create_api_token",
        "lead@helix.example",
        "--expires-on",
        day.isoformat(),
        "--read-only",
        "--program",
        "HLX-202",
        stdout=out,
        stderr=StringIO(),
    )

    token = ApiToken.objects.get()
    assert token.expires_at == clock.day_end(day)
    assert token.scope == ApiToken.Scope.READ
    assert [p.code for p in token.programs.all()] == ["HLX-202"]
    codes = [
        p["code"] for p in token_client(out.getvalue().strip()).get(PROGRAMS).json()["results"]
    ]
    assert codes == ["HLX-202"]


def test_the_command_refuses_an_expiry_in_the_past(world):
    with pytest.raises(CommandError, match="is in the past"):
        call_command(
            "create_api_token",
            "lead@helix.example",
            "--expires-on",
            "2020-01-01",
            stdout=StringIO(),
        )
    assert not ApiToken.objects.exists()


def test_the_command_refuses_a_program_the_user_does_not_see(world):
    with pytest.raises(CommandError, match="sees no program with the code 'BOR-017'"):
        call_command(
            "create_api_token", "lead@helix.example", "--program", "BOR-017", stdout=StringIO()
        )
