"""Reads of single sign-on: which organisation's provider an email belongs to."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from portal import access
from portal.models import Organisation, OrganisationSso, User


def email_domain(email: str) -> str:
    return email.strip().rpartition("@")[2].lower()


def sso_for_email(email: str) -> OrganisationSso | None:
    """The provider of the organisation whose email domains include `email`'s, if it has one.
    Organisations without domains are never found this way: their domains are how the sign-in
    page tells whose provider to use."""
    domain = email_domain(email)
    if not domain:
        return None
    candidates = OrganisationSso.objects.select_related("organisation", "app").filter(
        organisation__email_domains__icontains=domain
    )
    return next((sso for sso in candidates if domain in sso.organisation.domains), None)


def sso_for_provider(provider_id: str) -> OrganisationSso | None:
    return (
        OrganisationSso.objects.select_related("organisation", "app")
        .filter(app__provider_id=provider_id)
        .first()
    )


def mandatory_sso_for(email: str) -> OrganisationSso | None:
    """The mandatory provider that `email` must sign in through: its domain's organisation's,
    or (for a member whose address is at another domain) its account's organisation's."""
    by_domain = sso_for_email(email)
    if by_domain is not None and by_domain.required:
        return by_domain
    account = (
        User.objects.filter(email__iexact=email.strip())
        .select_related("membership__organisation__sso")
        .first()
    )
    membership = getattr(account, "membership", None) if account is not None else None
    sso = getattr(membership.organisation, "sso", None) if membership is not None else None
    return sso if sso is not None and sso.required else None


def sponsors_with_sso(*, user: Any) -> QuerySet[Organisation]:
    """Every sponsor organisation with its provider, if any, for CDMO administrators."""
    if not access.is_cdmo_admin(user):
        return Organisation.objects.none()
    return (
        Organisation.objects.filter(kind=Organisation.Kind.SPONSOR)
        .select_related("sso__app")
        .order_by("name")
    )


def sponsor_for_sso(*, user: Any, slug: str) -> Organisation | None:
    return sponsors_with_sso(user=user).filter(slug=slug).first()
