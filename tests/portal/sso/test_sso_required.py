"""Mandatory single sign-on: a member of an organisation whose single sign-on is mandatory is
refused password sign-in, told where to sign in instead, and the refusal is audited; other
organisations' people keep their password, and an electronic signature still asks for the
password (21 CFR 11.200)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from portal.models import AuditEntry, Membership, Organisation
from portal.signatures import signature_verify
from portal.sso import services
from portal.sso.backends import SSO_REQUIRED
from tests.factories import PASSWORD, member


def sign_in(email: str, password: str = PASSWORD):
    """The sign-in page's form, by both field names (Django's `username`, allauth's `login`)."""
    return Client().post(
        reverse("login"), {"username": email, "login": email, "password": password}
    )


@pytest.fixture
def helix_sso(world):
    Organisation.objects.filter(pk=world.sponsor_a.pk).update(email_domains="helix.example")
    world.sponsor_a.refresh_from_db()
    return services.organisation_sso_configure(
        actor=world.leader,
        organisation=world.sponsor_a,
        provider=services.Provider(
            server_url="https://login.helix.example",
            client_id="portal",
            secret="s3cret-value",
            required=True,
        ),
    )


def refused_with() -> str:
    return SSO_REQUIRED.format(organisation="Helix", url=reverse("sso-start"))


@pytest.mark.clause("21 CFR 11.10(d)")
def test_a_member_of_an_organisation_with_mandatory_sso_cannot_sign_in_with_a_password(
    world, helix_sso
):
    response = sign_in(world.lead_a.email)

    assert response.status_code == 200
    assert escape(refused_with()) in response.content.decode()
    assert "_auth_user_id" not in response.client.session
    refused = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert refused.object_pk == str(world.lead_a.pk)
    assert refused.reason == "Sign-in refused: single sign-on is mandatory for Helix."


def test_an_address_at_the_domain_without_an_account_is_told_the_same(world, helix_sso):
    """Whether an account exists is not told apart: the domain decides."""
    response = sign_in("nobody@helix.example", "anything")

    assert escape(refused_with()) in response.content.decode()


def test_a_member_whose_email_is_at_another_domain_is_refused_too(world, helix_sso):
    contractor = member(world.sponsor_a, Membership.Role.SPONSOR_VIEWER, email="c@agency.example")

    response = sign_in(contractor.email)

    assert escape(refused_with()) in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_other_organisations_and_optional_sso_keep_password_sign_in(world, helix_sso):
    assert sign_in(world.lead_b.email).status_code == 302
    assert sign_in(world.pm.email).status_code == 302
    services.organisation_sso_configure(
        actor=world.leader,
        organisation=world.sponsor_a,
        provider=services.Provider(
            server_url="https://login.helix.example", client_id="portal", secret="", required=False
        ),
    )

    assert sign_in(world.lead_a.email).status_code == 302


@pytest.mark.clause("21 CFR 11.200(a)")
def test_an_electronic_signature_still_asks_for_the_password_under_mandatory_sso(world, helix_sso):
    signature_verify(signer=world.lead_a, password=PASSWORD, meaning="approved")

    with pytest.raises(Exception, match="not correct"):
        signature_verify(signer=world.lead_a, password="not-the-password", meaning="approved")
