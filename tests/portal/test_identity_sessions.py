"""Session limits (idle, absolute, closed account), sign-in refused for closed accounts, the
event stream refused to them, the lockout notice and a CDMO administrator's unlock, and
verified email addresses."""

import datetime
import importlib
import time

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal import clock, identity, session_limits, throttle
from portal.models import AuditEntry, Membership
from portal.streams import _resolve_reader
from tests.factories import UserFactory

START = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)


def _ended(user):
    return list(
        AuditEntry.objects.filter(
            action=AuditEntry.Action.SESSION_ENDED, object_pk=str(user.pk)
        ).order_by("id")
    )


def _signed_in(user):
    """Signed in, with the session's clocks started as the sign-in response starts them."""
    client = Client()
    client.force_login(user)
    session = client.session
    session[session_limits.STARTED] = session[session_limits.SEEN] = time.time()
    session.save()
    return client


def test_signing_in_starts_the_session_clocks_without_a_query_of_their_own(world, password):
    client = Client()
    with time_machine.travel(START, tick=False):
        response = client.post(
            "/accounts/login/", {"login": world.lead_a.email, "password": password}
        )
        assert response.status_code == 302
        assert client.session[session_limits.STARTED] == START.timestamp()
        assert client.session[session_limits.SEEN] == START.timestamp()


@pytest.mark.clause("EU GMP Annex 11 §12.1")
def test_an_idle_session_ends_once_and_is_audited(world, settings):
    with time_machine.travel(START, tick=False) as traveller:
        client = _signed_in(world.lead_a)
        assert client.get("/").status_code == 302  # home sends a sponsor to their programs
        traveller.shift(settings.SESSION_IDLE_SECONDS - 60)
        assert client.get("/programs/").status_code == 200  # still active: the clock restarts
        traveller.shift(settings.SESSION_IDLE_SECONDS - 60)
        assert client.get("/programs/").status_code == 200
        traveller.shift(settings.SESSION_IDLE_SECONDS + 1)

        response = client.get("/programs/")

        assert response.status_code == 302
        assert response.headers["Location"] == "/accounts/login/?next=%2Fprograms%2F"
        assert "_auth_user_id" not in client.session
        page = client.get(response.headers["Location"]).content.decode()
        assert "without activity" in page
        assert client.get("/programs/").status_code == 302
    [entry] = _ended(world.lead_a)
    assert entry.reason == "Session ended: idle."


@pytest.mark.clause("EU GMP Annex 11 §12.1")
def test_a_session_ends_at_its_absolute_limit_however_active(world, settings):
    settings.SESSION_ABSOLUTE_SECONDS = 2 * 3600
    with time_machine.travel(START, tick=False) as traveller:
        client = _signed_in(world.lead_a)
        for _ in range(7):  # every 20 minutes: never idle
            assert client.get("/programs/").status_code == 200
            traveller.shift(20 * 60)
        response = client.get("/programs/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/accounts/login/")
    [entry] = _ended(world.lead_a)
    assert entry.reason == "Session ended: absolute."


def test_an_htmx_request_gets_a_redirect_header_not_a_sign_in_fragment(world, settings):
    with time_machine.travel(START, tick=False) as traveller:
        client = _signed_in(world.lead_a)
        client.get("/programs/")
        traveller.shift(settings.SESSION_IDLE_SECONDS + 1)
        response = client.get("/programs/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/accounts/login/"
    assert response.content == b""


@pytest.mark.clause("21 CFR 11.10(d)")
def test_a_deactivated_account_loses_its_session_at_once(world):
    client = _signed_in(world.lead_a)
    assert client.get("/programs/").status_code == 200
    type(world.lead_a).objects.filter(pk=world.lead_a.pk).update(is_active=False)

    response = client.get("/programs/")

    assert response.status_code == 302
    [entry] = _ended(world.lead_a)
    assert entry.reason == "Session ended: account closed (the account is deactivated)."
    assert "_auth_user_id" not in client.session


@pytest.mark.clause("21 CFR 11.10(d)")
def test_access_ends_at_the_end_of_the_end_date_in_site_time(world):
    day = datetime.date(2026, 3, 10)
    Membership.objects.filter(user=world.lead_a).update(access_ends_on=day)
    end = clock.day_end(day)
    with time_machine.travel(end - datetime.timedelta(minutes=1), tick=False):
        client = _signed_in(world.lead_a)
        assert client.get("/programs/").status_code == 200
    with time_machine.travel(end + datetime.timedelta(seconds=1), tick=False):
        response = client.get("/programs/")
    assert response.status_code == 302
    [entry] = _ended(world.lead_a)
    assert "access ended on 10 March 2026" in entry.reason


@pytest.mark.clause("21 CFR 11.10(d)")
def test_sign_in_is_refused_to_a_closed_account_with_its_reason(world, password):
    Membership.objects.filter(user=world.lead_a).update(
        access_ends_on=clock.site_today() - datetime.timedelta(days=1)
    )
    response = Client().post(
        "/accounts/login/", {"login": world.lead_a.email, "password": password}
    )
    assert response.status_code == 200
    assert "This account can no longer sign in: access ended on" in response.content.decode()
    assert "_auth_user_id" not in response.client.session
    entry = AuditEntry.objects.filter(
        action=AuditEntry.Action.LOGIN_FAILED, object_pk=str(world.lead_a.pk)
    ).get()
    assert entry.reason.startswith("Sign-in refused: access ended on")


def test_a_wrong_password_for_a_closed_account_says_nothing_more(world):
    type(world.lead_a).objects.filter(pk=world.lead_a.pk).update(is_active=False)
    response = Client().post("/accounts/login/", {"login": world.lead_a.email, "password": "wrong"})
    assert "can no longer sign in" not in response.content.decode()
    assert "Please enter a correct email and password" in response.content.decode()


def test_the_event_stream_refuses_a_closed_account(world):
    client = _signed_in(world.lead_a)
    key = client.session.session_key
    assert _resolve_reader(key) is not None
    type(world.lead_a).objects.filter(pk=world.lead_a.pk).update(is_active=False)
    assert _resolve_reader(key) is None


def _fail_until_locked(email, settings, extra=0):
    for _ in range(settings.LOGIN_FAILURE_LIMIT + extra):
        Client().post("/accounts/login/", {"login": email, "password": "wrong"})


@pytest.mark.clause("21 CFR 11.300(d)")
def test_a_lockout_is_mailed_to_the_owner_once(world, settings):
    _fail_until_locked(world.lead_a.email, settings, extra=3)

    notices = [m for m in mail.outbox if "locked" in m.subject]
    assert len(notices) == 1
    assert notices[0].to == [world.lead_a.email]
    body = notices[0].body
    assert "ends by itself at" in body
    assert "If they were NOT yours" in body
    assert "/accounts/password/reset/" in body


def test_no_notice_for_an_address_without_an_account(world, settings):
    _fail_until_locked("nobody@helix.example", settings)
    assert mail.outbox == []


@pytest.mark.clause("21 CFR 11.300(d)")
def test_a_cdmo_administrator_unlocks_an_account_and_it_is_audited(world, settings, password):
    _fail_until_locked(world.lead_a.email, settings)
    assert throttle.is_account_locked(world.lead_a.email)
    admin = _signed_in(world.leader)

    page = admin.get(reverse("identity-locked"))
    assert world.lead_a.email in page.content.decode()

    response = admin.post(reverse("identity-locked"), {"user": world.lead_a.pk})

    assert response.status_code == 302
    assert not throttle.is_account_locked(world.lead_a.email)
    [entry] = AuditEntry.objects.filter(
        action=AuditEntry.Action.UNLOCK, object_pk=str(world.lead_a.pk)
    )
    assert entry.actor_id == world.leader.pk
    after = admin.get(reverse("identity-locked")).content.decode()
    assert "No account is locked." in after
    # The owner, from their own address (the guesser's address stays locked by itself).
    signed_in = Client(REMOTE_ADDR="10.0.0.9").post(
        "/accounts/login/", {"login": world.lead_a.email, "password": password}
    )
    assert signed_in.status_code == 302


def test_unlocking_needs_a_cdmo_administrator(world, settings):
    _fail_until_locked(world.lead_a.email, settings)
    for user in (world.staff, world.pm, world.lead_b):
        client = _signed_in(user)
        assert client.get(reverse("identity-locked")).status_code == 403
        assert client.post(reverse("identity-locked"), {"user": world.lead_a.pk}).status_code == 403
    assert throttle.is_account_locked(world.lead_a.email)


def test_unlocking_an_unknown_or_unlocked_account_changes_nothing(world):
    admin = _signed_in(world.leader)
    assert admin.post(reverse("identity-locked"), {"user": "x"}).status_code == 404
    admin.post(reverse("identity-locked"), {"user": world.lead_a.pk})
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UNLOCK).exists()


def test_the_lock_ends_by_itself_after_the_window(world, settings):
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 900
    _fail_until_locked(world.lead_a.email, settings)
    assert [row.user for row in throttle.locked_accounts()] == [world.lead_a]
    later = timezone.now() + datetime.timedelta(seconds=901)
    with time_machine.travel(later, tick=False):
        assert throttle.locked_accounts() == []


def test_mark_email_verified_makes_one_verified_primary_address_audited_once(world):
    user = UserFactory(email="new@helix.example")
    identity.mark_email_verified(user, how="invitation accepted")
    identity.mark_email_verified(user)
    [address] = EmailAddress.objects.filter(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, True, True)
    [entry] = AuditEntry.objects.filter(action=AuditEntry.Action.VERIFIED, object_pk=str(user.pk))
    assert entry.reason == "Email address verified: invitation accepted."


def test_the_data_migration_verifies_every_existing_account(world):
    migration = importlib.import_module("portal.migrations.0018_verified_email_addresses")
    EmailAddress.objects.create(user=world.viewer_a, email="old@helix.example", primary=True)

    migration.verify_existing(apps, None)

    for user in (world.lead_a, world.viewer_a, world.leader):
        address = EmailAddress.objects.get(user=user, email=user.email)
        assert (address.verified, address.primary) == (True, True)
    assert not EmailAddress.objects.get(email="old@helix.example").primary
