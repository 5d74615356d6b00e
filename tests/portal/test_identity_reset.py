"""Password reset by email (allauth's flow): end to end through the mail, single use, expiry,
no account enumeration, and the audit entries of each step; the breached-password rule."""

import datetime
import re
from urllib.parse import urlparse

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.models import AuditEntry
from portal.passwords import BREACHED

NEW_PASSWORD = "plum-granite-orbit-47"


def _entries(action, user=None):
    entries = AuditEntry.objects.filter(action=action)
    if user is not None:
        entries = entries.filter(model="portal.user", object_pk=str(user.pk))
    return list(entries.order_by("id"))


def _request_link(email):
    response = Client().post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("account_reset_password_done")
    return response


def _link_path():
    body = mail.outbox[-1].body
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", body)
    assert link, body
    return urlparse(link.group(0)).path


def _set_password(client, path, password):
    response = client.get(path)
    assert response.status_code == 302  # the key moves to the session, out of the URL
    form_path = response.headers["Location"]
    assert "set-password" in form_path
    page = client.get(form_path)
    assert "Choose a new password" in page.content.decode()
    return client.post(form_path, {"password1": password, "password2": password})


@pytest.mark.clause("21 CFR 11.300(b)")
def test_a_reset_link_is_mailed_works_once_and_is_audited(world):
    _request_link(world.lead_a.email)
    assert [m.to for m in mail.outbox] == [[world.lead_a.email]]
    path = _link_path()

    response = _set_password(Client(), path, NEW_PASSWORD)

    assert response.status_code == 302
    assert response.headers["Location"] == reverse("account_reset_password_from_key_done")
    world.lead_a.refresh_from_db()
    assert world.lead_a.check_password(NEW_PASSWORD)
    assert len(_entries(AuditEntry.Action.RESET_REQUESTED, world.lead_a)) == 1
    [reset] = _entries(AuditEntry.Action.RESET, world.lead_a)
    assert reset.actor_id == world.lead_a.pk
    assert (
        Client()
        .post("/accounts/login/", {"login": world.lead_a.email, "password": NEW_PASSWORD})
        .status_code
        == 302
    )

    replay = Client().get(path)  # the same link again: refused, with a page saying so

    assert replay.status_code == 200
    assert "This link can no longer be used" in replay.content.decode()
    [refused] = _entries(AuditEntry.Action.RESET_REFUSED, world.lead_a)
    assert "already used, expired" in refused.reason
    world.lead_a.refresh_from_db()
    assert world.lead_a.check_password(NEW_PASSWORD)


@pytest.mark.clause("21 CFR 11.300(b)")
def test_an_expired_link_is_refused_and_audited(world, settings):
    _request_link(world.lead_a.email)
    path = _link_path()

    later = timezone.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with time_machine.travel(later, tick=False):
        response = Client().get(path)

    assert "This link can no longer be used" in response.content.decode()
    assert len(_entries(AuditEntry.Action.RESET_REFUSED, world.lead_a)) == 1
    world.lead_a.refresh_from_db()
    assert not world.lead_a.check_password(NEW_PASSWORD)


def test_a_forged_link_is_refused_and_audited(world):
    response = Client().get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "abc-def"})
    )
    assert "This link can no longer be used" in response.content.decode()
    assert len(_entries(AuditEntry.Action.RESET_REFUSED)) == 1


def test_the_answer_does_not_say_whether_an_address_has_an_account(world):
    known = _request_link(world.lead_a.email)
    unknown = _request_link("nobody@helix.example")

    assert known.headers["Location"] == unknown.headers["Location"]
    assert [m.to for m in mail.outbox] == [[world.lead_a.email]]  # nothing to a stranger
    [entry] = _entries(AuditEntry.Action.RESET_REQUESTED).__getitem__(slice(1, 2))
    assert entry.object_pk == ""
    assert entry.changes["known_account"][1] is False
    done = Client().get(known.headers["Location"]).content.decode()
    assert "If the address you entered belongs to a portal account" in done


def test_a_bad_address_gets_an_inline_error_and_no_mail(world):
    response = Client().post(reverse("account_reset_password"), {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert mail.outbox == []


@pytest.mark.clause("21 CFR 11.300(b)")
def test_a_breached_password_is_refused_with_its_reason(world):
    _request_link(world.lead_a.email)
    path = _link_path()

    response = _set_password(Client(), path, "Northbridge2026!")

    assert response.status_code == 200
    assert BREACHED in response.content.decode().replace("&#x27;", "'")
    world.lead_a.refresh_from_db()
    assert not world.lead_a.check_password("Northbridge2026!")
    assert _entries(AuditEntry.Action.RESET) == []


@pytest.mark.parametrize(
    "password",
    ["password1!", "P@ssw0rd2026", "northbridge2026", "Helix-2025!!", "iloveyou", "dragon1234"],
)
def test_listed_passwords_and_their_variants_are_refused(password):
    with pytest.raises(ValidationError) as refused:
        validate_password(password)
    assert "password_breached" in [e.code for e in refused.value.error_list]


def test_an_unlisted_password_passes():
    validate_password(NEW_PASSWORD)


def test_the_forgot_link_points_at_the_reset_page():
    from django.template.loader import render_to_string

    html = render_to_string("account/_reset_link.html")
    assert reverse("account_reset_password") in html
    assert "Forgot your password?" in html
