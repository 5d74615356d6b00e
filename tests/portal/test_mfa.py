"""Signing in with a second factor (allauth.mfa): the password, then a code from the
authenticator app; a wrong code is refused and audited."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client

from portal.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_a_totp_account_signs_in_with_password_then_code_and_a_wrong_code_is_audited(world):
    secret = generate_totp_secret()
    TOTP.activate(world.staff, secret)
    client = Client()

    response = client.post("/accounts/login/", {"login": world.staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    (refused,) = AuditEntry.objects.filter(action="mfa_fail")
    assert refused.object_pk == str(world.staff.pk)

    right = client.post("/accounts/2fa/authenticate/", {"code": _code(secret)})
    assert right.status_code == 302
    assert client.session["_auth_user_id"] == str(world.staff.pk)
    assert AuditEntry.objects.filter(action="login", object_pk=str(world.staff.pk)).exists()
