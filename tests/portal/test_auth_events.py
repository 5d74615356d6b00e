"""Authentication events are audit entries: signing in and out, refused sign-ins (known email
or not), the throttle's lockout, password changes and API tokens. They are global entries,
with the client's address and user agent and the request id, and never a password; a sponsor
never sees them in a program's audit trail."""

from __future__ import annotations

import pytest
from django.test import Client

from portal.models import ApiToken, AuditEntry
from portal.services import TOKEN_CREATED, TOKEN_CREATED_BY_OPERATOR, TOKEN_REVOKED
from tests.deviations.conftest import log_deviation
from tests.factories import PASSWORD
from tests.support.api import new_token

AGENT = "Mozilla/5.0 (QA inspection)"
AUTH_ACTIONS = ("login", "logout", "login_fail", "lockout", "password")


def browser() -> Client:
    return Client(HTTP_USER_AGENT=AGENT)


def sign_in(client: Client, email: str, password: str):
    return client.post("/accounts/login/", {"login": email, "password": password})


def auth_entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def assert_from_the_browser(entry: AuditEntry, response) -> None:
    assert entry.changes["client_address"] == [None, "127.0.0.1"]
    assert entry.changes["user_agent"] == [None, AGENT]
    assert entry.request_id == response["X-Request-ID"]
    assert entry.program_id is None


def test_signing_in_is_an_audit_entry_of_the_account(world):
    response = sign_in(browser(), world.pm.email, PASSWORD)

    assert response.status_code == 302
    (entry,) = auth_entries("login")
    assert (entry.model, entry.object_pk, entry.actor) == (
        "portal.user",
        str(world.pm.pk),
        world.pm,
    )
    assert entry.get_action_display() == "Signed in"
    assert_from_the_browser(entry, response)


def test_signing_out_is_an_audit_entry(world):
    client = browser()
    sign_in(client, world.pm.email, PASSWORD)

    response = client.post("/accounts/logout/")

    (entry,) = auth_entries("logout")
    assert (entry.object_pk, entry.actor) == (str(world.pm.pk), world.pm)
    assert_from_the_browser(entry, response)


@pytest.mark.clause("21 CFR 11.300(d)")
def test_a_wrong_password_is_recorded_with_the_email_and_never_the_password(world):
    response = sign_in(browser(), world.lead_a.email, "Guess-number-1")

    (entry,) = auth_entries("login_fail")
    assert entry.actor is None
    assert entry.object_pk == str(world.lead_a.pk)
    assert entry.changes["email"] == [None, world.lead_a.email]
    assert entry.changes["known_account"] == [None, True]
    assert entry.reason == "Sign-in refused: wrong email or password."
    assert "Guess-number-1" not in str(entry.changes) + entry.reason
    assert_from_the_browser(entry, response)
    assert auth_entries("login") == []


@pytest.mark.clause("21 CFR 11.10(d)")
def test_a_deactivated_account_is_refused_and_recorded_as_such(world):
    world.lead_a.is_active = False
    world.lead_a.save(update_fields=["is_active"])

    sign_in(browser(), world.lead_a.email, PASSWORD)

    (entry,) = auth_entries("login_fail")
    assert entry.reason == "Sign-in refused: the account is deactivated."
    assert auth_entries("login") == []


def test_an_unknown_email_is_recorded_too(world):
    response = sign_in(browser(), "nobody@helix.example", "Guess-number-1")

    (entry,) = auth_entries("login_fail")
    assert entry.object_pk == ""
    assert entry.object_repr == "nobody@helix.example"
    assert entry.changes["email"] == [None, "nobody@helix.example"]
    assert entry.changes["known_account"] == [None, False]
    assert_from_the_browser(entry, response)


@pytest.mark.clause("21 CFR 11.300(d)")
def test_the_throttles_lockout_is_recorded_once_and_the_refused_attempts_after_it_not(
    world, settings
):
    client = browser()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        last = sign_in(client, world.lead_a.email, "wrong")
    for _ in range(3):
        refused = sign_in(client, world.lead_a.email, PASSWORD)

    assert "Too many failed sign-in attempts" in refused.content.decode()
    assert len(auth_entries("login_fail")) == settings.LOGIN_FAILURE_LIMIT
    (lockout,) = auth_entries("lockout")
    assert lockout.object_pk == str(world.lead_a.pk)
    assert lockout.changes["locked"] == [None, ["account", "address"]]
    assert lockout.reason == "Too many failed sign-in attempts: sign-in locked for 15 minutes."
    assert_from_the_browser(lockout, last)
    assert auth_entries("login") == []


def test_the_admin_sign_in_page_is_throttled_and_audited_too(world, settings):
    client = browser()
    non_staff = sign_in_admin(client, world.lead_a.email, PASSWORD)
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        sign_in_admin(client, world.lead_a.email, "wrong")

    assert non_staff.status_code == 200
    first = auth_entries("login_fail")[0]
    assert first.reason == "Sign-in refused: the account may not sign in here."
    assert first.changes["known_account"] == [None, True]
    assert len(auth_entries("lockout")) == 1
    assert "Too many failed sign-in attempts" in (
        sign_in_admin(client, world.lead_a.email, PASSWORD).content.decode()
    )


def sign_in_admin(client: Client, email: str, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def test_a_password_changed_by_its_owner_is_recorded_without_the_hash(world):
    client = browser()
    sign_in(client, world.lead_a.email, PASSWORD)
    new = "Fresh-passphrase-2027"

    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )

    assert response.status_code == 302
    (entry,) = auth_entries("password")
    assert (entry.object_pk, entry.actor) == (str(world.lead_a.pk), world.lead_a)
    assert entry.reason == "Password changed by its owner."
    world.lead_a.refresh_from_db()
    assert world.lead_a.password not in str(entry.changes)
    assert new not in str(entry.changes)
    assert_from_the_browser(entry, response)


def test_a_refused_password_change_writes_nothing(world):
    client = browser()
    client.force_login(world.lead_a)

    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password1": "x-Y-z-12345", "new_password2": "x-Y-z-12345"},
    )

    assert response.status_code == 200
    assert auth_entries("password") == []


@pytest.mark.clause("EU GMP Annex 11 §12.3")
def test_a_token_created_and_revoked_on_the_tokens_page_is_audited(world):
    client = browser()
    client.force_login(world.lead_a)

    client.post("/settings/tokens/", {"name": "LIMS sync", "scope": "read"})
    token = ApiToken.objects.get(user=world.lead_a)
    client.post(f"/settings/tokens/{token.pk}/revoke/")

    created, revoked = AuditEntry.objects.filter(model="portal.apitoken").order_by("id")
    assert (created.action, created.actor, created.reason) == (
        "create",
        world.lead_a,
        TOKEN_CREATED,
    )
    assert created.changes["name"] == [None, "LIMS sync"]
    assert created.changes["scope"] == [None, "read"]
    assert "expires_at" in created.changes
    assert "key_hash" not in created.changes
    assert token.key_hash not in str(created.changes)
    assert (revoked.action, revoked.actor, revoked.reason) == (
        "update",
        world.lead_a,
        TOKEN_REVOKED,
    )
    assert revoked.changes["revoked_by_id"] == [None, world.lead_a.pk]
    assert {created.program_id, revoked.program_id} == {None}


def test_a_token_created_on_the_command_line_says_so(world):
    new_token(world.lead_a)

    entry = AuditEntry.objects.get(model="portal.apitoken")
    assert (entry.actor, entry.reason) == (None, TOKEN_CREATED_BY_OPERATOR)


@pytest.mark.parametrize("reader", ["lead_a", "viewer_a"])
def test_a_sponsor_never_sees_the_cdmos_authentication_entries(world, api_as, reader):
    deviation = log_deviation(world)
    client = browser()
    sign_in(client, world.pm.email, PASSWORD)
    sign_in(browser(), world.staff.email, "wrong")
    client.post("/accounts/logout/")

    trail = api_as(getattr(world, reader)).get(f"/api/v1/deviations/{deviation.reference}/audit/")

    assert trail.status_code == 200
    assert AuditEntry.objects.filter(action__in=AUTH_ACTIONS).count() == 3
    assert not AuditEntry.objects.filter(action__in=AUTH_ACTIONS, program__isnull=False).exists()
    rows = trail.json()
    assert rows
    assert {row["action"] for row in rows}.isdisjoint(AUTH_ACTIONS)
    assert len(rows) == AuditEntry.objects.filter(model="deviations.deviation").count()
