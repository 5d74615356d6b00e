"""The second factor the portal requires (portal.second_factor): who must have one, being sent
to set it up, enrolment through allauth's pages, recovery codes that work once, and electronic
signatures that still ask for the password after a sign-in with a code (21 CFR 11.200)."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client
from django.urls import reverse

from deviations.models import Deviation
from portal.models import AuditEntry, User
from tests.deviations.conftest import log_deviation, move
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ENROL = "/accounts/2fa/totp/activate/"


@pytest.fixture
def enforced(settings):
    settings.MFA_ENFORCED = True


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _sign_in(user: User) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def _sign_in_with_code(user: User, code: str) -> Client:
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": code})
    return client


@pytest.mark.clause("21 CFR 11.300(b)")
def test_a_cdmo_user_without_a_factor_is_sent_to_set_one_up_and_then_uses_the_portal(
    world, enforced, django_capture_on_commit_callbacks
):
    assert reverse("mfa_activate_totp") == ENROL
    client = _sign_in(world.pm)

    sent = client.get("/programs/")
    assert sent.status_code == 302
    assert sent["Location"] == ENROL
    asked = client.get(ENROL)
    assert asked.status_code == 302
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    confirmed = client.post(asked["Location"], {"password": PASSWORD})
    assert confirmed.status_code == 302
    page = client.get(ENROL)
    assert page.status_code == 200

    secret = client.session[SECRET_SESSION_KEY]
    wrong = client.post(ENROL, {"code": "000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=world.pm).exists()
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        enrolled = client.post(ENROL, {"code": _code(secret)})
    assert enrolled.status_code == 302
    assert Authenticator.objects.filter(user=world.pm, type=Authenticator.Type.TOTP).exists()
    assert AuditEntry.objects.filter(action="mfa_add", object_pk=str(world.pm.pk)).exists()

    assert client.get("/programs/").status_code == 200


def test_without_a_factor_htmx_gets_a_redirect_header_and_the_api_a_403_naming_the_rule(
    world, enforced
):
    client = _sign_in(world.leader)

    fragment = client.get("/programs/", headers={"HX-Request": "true"})
    assert fragment.status_code == 204
    assert fragment["HX-Redirect"] == ENROL
    api = client.get("/api/v1/programs/")
    assert api.status_code == 403
    assert api.json()["code"] == "second_factor_required"


def test_who_must_have_a_factor_leads_yes_viewers_only_when_their_organisation_asks(
    world, enforced
):
    assert _sign_in(world.lead_a).get("/programs/").status_code == 302
    assert _sign_in(world.viewer_a).get("/programs/").status_code == 200

    world.sponsor_a.mfa_required = True
    world.sponsor_a.save(update_fields=["mfa_required"])

    refused = _sign_in(world.viewer_a).get("/programs/")
    assert refused.status_code == 302
    assert refused["Location"] == ENROL


def test_off_when_the_setting_is_off_as_in_the_embedded_mode(world, settings):
    settings.MFA_ENFORCED = False

    assert _sign_in(world.pm).get("/programs/").status_code == 200


def test_removing_the_factor_asks_for_one_again(world, enforced):
    secret = generate_totp_secret()
    TOTP.activate(world.staff, secret)
    client = _sign_in_with_code(world.staff, _code(secret))
    assert client.get("/programs/").status_code == 200

    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    removed = client.post("/accounts/2fa/totp/deactivate/")

    assert removed.status_code == 302
    assert not Authenticator.objects.filter(user=world.staff).exists()
    assert AuditEntry.objects.filter(action="mfa_del", object_pk=str(world.staff.pk)).exists()
    assert client.get("/programs/").status_code == 302


@pytest.mark.clause("21 CFR 11.300(b)")
def test_a_recovery_code_signs_in_once_and_its_use_is_audited(world):
    TOTP.activate(world.staff, generate_totp_secret())
    code = RecoveryCodes.activate(world.staff).get_unused_codes()[0]

    first = _sign_in_with_code(world.staff, code)
    assert first.session["_auth_user_id"] == str(world.staff.pk)
    assert AuditEntry.objects.filter(action="mfa_rcode", object_pk=str(world.staff.pk)).exists()

    again = _sign_in_with_code(world.staff, code)
    assert "_auth_user_id" not in again.session


@pytest.mark.clause("21 CFR 11.200(a)")
def test_a_signature_after_signing_in_with_a_code_still_asks_for_the_password(world):
    secret = generate_totp_secret()
    TOTP.activate(world.qa, secret)
    client = _sign_in_with_code(world.qa, _code(secret))
    assert client.session["_auth_user_id"] == str(world.qa.pk)
    deviation = move(world, log_deviation(world), "investigating")
    url = f"/deviations/{deviation.reference}/transition/"
    form = {"to": "cancelled", "expected_version": str(deviation.version), "reason": "duplicate"}

    without = client.post(url, form, headers={"HX-Request": "true"})
    wrong = client.post(url, {**form, "password": "not-it"}, headers={"HX-Request": "true"})
    assert without.status_code == 422
    assert wrong.status_code == 422
    deviation.refresh_from_db()
    assert deviation.status == Deviation.Status.INVESTIGATING

    signed = client.post(url, {**form, "password": PASSWORD})
    assert signed.status_code == 302
    deviation.refresh_from_db()
    assert deviation.status == Deviation.Status.CANCELLED
