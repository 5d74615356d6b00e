"""Account lifecycle around allauth: verified email addresses and the lockout notice.

Accounts are invitation-only: nobody signs up, so an address is verified either by the
invitation (the person followed a link sent to it: the invitation flow calls
`mark_email_verified`) or, for accounts that existed before allauth, by the data migration that
gave each of them a verified primary address (portal/migrations/0018_verified_email_addresses).
"""

from __future__ import annotations

import datetime
import logging
import smtplib

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from portal import auth_events, clock
from portal.models import AuditEntry, User

log = logging.getLogger(__name__)


def mark_email_verified(
    user: User, *, by: User | None = None, request: HttpRequest | None = None, how: str = ""
) -> EmailAddress:
    """`user.email` is theirs: their one primary, verified allauth address (audited once)."""
    with transaction.atomic():
        EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(
            primary=False
        )
        address, _ = EmailAddress.objects.get_or_create(
            user=user, email__iexact=user.email, defaults={"email": user.email}
        )
        if address.verified and address.primary:
            return address
        address.verified = True
        address.primary = True
        address.save(update_fields=["verified", "primary"])
        auth_events.record(
            action=AuditEntry.Action.VERIFIED,
            account=user,
            actor=by,
            request=request,
            details={"email": [None, user.email]},
            reason=f"Email address verified{f': {how}' if how else ''}.",
        )
    return address


def send_lockout_notice(
    *, email: str, locked_at: datetime.datetime, minutes: int, request: HttpRequest | None
) -> bool:
    """Tell the owner of `email` (if it names an open account) that sign-in to it is locked.
    Called once per lockout, by the failure that reaches the limit. A mail server that fails
    is logged, never the sign-in page's error."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return False
    zone = clock.site_zone()
    context = {
        "user": user,
        "locked_at": locked_at.astimezone(zone),
        "unlocks_at": (locked_at + datetime.timedelta(minutes=minutes)).astimezone(zone),
        "minutes": minutes,
        "reset_url": _absolute(request, reverse("account_reset_password")),
        "client_address": auth_events.client_address(request),
    }
    try:
        send_mail(
            subject="Sign-in to your CDMO Portal account is locked",
            message=render_to_string("emails/account_locked.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except (smtplib.SMTPException, OSError):
        log.exception("Lockout notice to account %s not sent", user.pk)
        return False
    return True


def _absolute(request: HttpRequest | None, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return f"{settings.ACCOUNT_DEFAULT_HTTP_PROTOCOL}://{settings.ALLOWED_HOSTS[0]}{path}"
