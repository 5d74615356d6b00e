"""Notification and digest emails: HTML and plain text from templates, the CSS inlined (mail
clients drop `<style>`), a subject naming the program and what happened, a deep link, and
the headers of every message from one function (`message_headers`).

Digests carry a one-click unsubscribe (RFC 8058): `List-Unsubscribe` names a signed URL and
`List-Unsubscribe-Post: List-Unsubscribe=One-Click` tells the mail client it may POST to it
without a login; the signature is what authorises it.
"""

from __future__ import annotations

from email.utils import parseaddr
from functools import cache

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from comms import reply_address
from comms.models import Digest, Notification
from portal.models import User

UNSUBSCRIBE_SALT = "comms.digest-unsubscribe"


def absolute(path: str) -> str:
    """A deep link into the portal from a path (`SITE_URL` is where users reach it)."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def unsubscribe_token(user: User) -> str:
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_user_id(token: str) -> int | None:
    """The user a token was signed for, or None for a forged or mangled token."""
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user_id = value.get("u") if isinstance(value, dict) else None
    return user_id if isinstance(user_id, int) else None


def unsubscribe_url(user: User) -> str:
    return absolute(reverse("digest-unsubscribe", args=[unsubscribe_token(user)]))


@cache
def _preferences_link() -> str:
    return absolute(reverse("notification-preferences"))


@cache
def _mail_domain() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "portal.invalid"


def message_headers(message: Notification | Digest) -> dict[str, str]:
    """The headers of every email the portal sends about a notification or a digest. The
    Message-ID comes from the row's idempotency key: the one duplicate the outbox cannot rule
    out (a worker dying between the far side's acceptance and the mark) is recognisable."""
    headers = {
        "Message-ID": f"<{message.key}@{_mail_domain()}>",
        "Auto-Submitted": "auto-generated",
        "X-Auto-Response-Suppress": "All",
    }
    if isinstance(message, Digest):
        headers["List-Unsubscribe"] = f"<{unsubscribe_url(message.recipient)}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    else:
        headers.update(_reply_to(message))
    return headers


# Where a reply to an email about an event lands: the record the event is about.
_REPLY_KINDS = {
    "comms.update": "update",
    "programs.milestone": "milestone",
    "governance.meeting": "meeting",
    "deviations.deviation": "deviation",
}


def _reply_to(notification: Notification) -> dict[str, str]:
    """A signed Reply-To (docs/reply-by-email.md) when the notification is about a record
    that takes comments, or about a comment on one (the reply joins its thread); none for
    the rest, or when replies are not configured."""
    event = notification.event
    if event is None or not event.subject_id.isdigit():
        return {}
    kind, subject_id = _REPLY_KINDS.get(event.subject_type), int(event.subject_id)
    if event.subject_type == "comms.comment" and notification.comment is not None:
        comment = notification.comment
        kind, subject_id = next(
            ((name, pk) for name in reply_address.KINDS if (pk := getattr(comment, f"{name}_id"))),
            (None, 0),
        )
    if kind is None:
        return {}
    return reply_address.reply_to_header(
        user_id=notification.recipient_id, subject_type=kind, subject_id=subject_id
    )


@cache
def _inliner() -> css_inline.CSSInliner:
    return css_inline.CSSInliner(keep_style_tags=False, load_remote_stylesheets=False)


def _build(
    *,
    to: User,
    subject: str,
    template: str,
    context: dict[str, object],
    headers: dict[str, str],
    connection: BaseEmailBackend | None,
) -> EmailMultiAlternatives:
    context = {"recipient": to, "site_url": settings.SITE_URL, **context}
    with timezone.override(to.time_zone):  # times as the recipient reads them
        text = render_to_string(f"emails/{template}.txt", context)
        html = _inliner().inline(render_to_string(f"emails/{template}.html", context))
    message = EmailMultiAlternatives(
        subject=subject.replace("\n", " ")[:200],
        body=text,
        to=[to.email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_email(
    notification: Notification, *, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    event = notification.event
    return _build(
        to=notification.recipient,
        subject=notification.subject,
        template="notification",
        context={
            "notification": notification,
            "event": event,
            "program": event.program if event is not None else None,
            "link": absolute(notification.url),
            "preferences_link": _preferences_link(),
        },
        headers=message_headers(notification),
        connection=connection,
    )


def digest_email(
    digest: Digest,
    notifications: list[Notification],
    *,
    connection: BaseEmailBackend | None = None,
) -> EmailMultiAlternatives:
    count = len(notifications)
    programs = sorted({n.event.program.code for n in notifications if n.event is not None})
    subject = f"Your {digest.get_period_display().lower()} digest: {count} " + (
        "notification" if count == 1 else "notifications"
    )
    if programs:
        subject += " on " + ", ".join(programs[:3]) + ("…" if len(programs) > 3 else "")
    return _build(
        to=digest.recipient,
        subject=subject,
        template="digest",
        context={
            "digest": digest,
            "items": [(n, absolute(n.url)) for n in notifications],
            "preferences_link": _preferences_link(),
            "unsubscribe_link": unsubscribe_url(digest.recipient),
        },
        headers=message_headers(digest),
        connection=connection,
    )
