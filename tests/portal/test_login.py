"""Signing in: the right password works, wrong ones get a message, repeated failures lock."""

import pytest
from django.test import Client


def _login(email, password):
    return Client().post("/accounts/login/", {"login": email, "password": password})


@pytest.mark.clause("21 CFR 11.10(d)")
@pytest.mark.clause("EU GMP Annex 11 §12.1")
def test_a_sponsor_signs_in_and_lands_on_their_programs(world, password):
    response = _login(world.lead_a.email, password)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.clause("21 CFR 11.10(d)")
@pytest.mark.clause("EU GMP Annex 11 §12.1")
def test_a_wrong_password_gets_a_message_and_no_session(world):
    response = _login(world.lead_a.email, "wrong")
    assert response.status_code == 200
    assert "Please enter a correct email and password" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


@pytest.mark.clause("21 CFR 11.300(d)")
def test_repeated_failures_lock_the_account_even_for_the_right_password(world, password, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(world.lead_a.email, "wrong")
    response = _login(world.lead_a.email, password)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_email_is_case_insensitive_for_the_throttle(world, settings):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        _login(world.lead_a.email.upper(), "wrong")
    response = _login(world.lead_a.email, "wrong")
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_sign_out_needs_a_post(world):
    client = Client()
    client.force_login(world.lead_a)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/programs/").status_code == 302
