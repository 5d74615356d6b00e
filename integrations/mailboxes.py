"""The two ways replies come in, both handed to `inbound.reply_receive`:

- `PostmarkReplyView`: Postmark's inbound webhook through django-anymail, which checks the
  webhook's basic-auth secret (`INBOUND_EMAIL_WEBHOOK_SECRET`) and turns Postmark's JSON into a
  standard email message. Not set up (no secret, no domain): 404, so that the URL is no open
  door.
- `read_mailbox()`: the beat task's IMAP reader for self-hosted mail (`INBOUND_IMAP_*`; not set
  up: it does nothing). It handles the unseen messages and flags each one seen once handled,
  so that a message is read again only if the task died before flagging it (the handler then
  recognises its Message-ID).
"""

from __future__ import annotations

import email
import email.policy
import imaplib
import logging
from email.message import EmailMessage
from typing import Any

from anymail.webhooks.postmark import PostmarkInboundWebhookView
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from integrations.inbound import InboundMessage, reply_receive
from integrations.models import InboundEmail

logger = logging.getLogger(__name__)


def _recipients(message: Any, envelope: str | None = None) -> list[str]:
    found = []
    for header in ("To", "Cc", "Delivered-To", "X-Original-To"):
        found += [str(value) for value in message.get_all(header, [])]
    addresses = [address for _, address in email.utils.getaddresses(found)]
    return [*addresses, envelope] if envelope else addresses


def _text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain",)) if hasattr(message, "get_body") else None
    return part.get_content() if part is not None else ""


class PostmarkReplyView(PostmarkInboundWebhookView):
    """Anymail's Postmark inbound view, handing each message to the reply handler directly
    (rather than through anymail's signal: the flow stays visible here). Without a secret
    it answers 404, so anymail's warning about an open webhook does not apply."""

    warn_if_no_basic_auth = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(webhook_secret=settings.INBOUND_EMAIL_WEBHOOK_SECRET, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not (settings.INBOUND_EMAIL_WEBHOOK_SECRET and settings.INBOUND_EMAIL_DOMAIN):
            raise Http404("Replies by email are not set up.")
        self.run_validators(request)
        size = len(request.body)
        for event in self.parse_events(request):
            message = event.message
            reply_receive(
                message=InboundMessage(
                    channel=InboundEmail.Channel.POSTMARK,
                    sender=str(message.get("From", "")),
                    recipients=_recipients(message, message.envelope_recipient),
                    text=message.text or "",
                    size=size,
                    message_id=str(message.get("Message-ID", "")).strip(),
                )
            )
        return HttpResponse()


def _connect() -> imaplib.IMAP4:
    host, port = settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT
    timeout = settings.INBOUND_IMAP_TIMEOUT_SECONDS
    if settings.INBOUND_IMAP_SSL:
        return imaplib.IMAP4_SSL(host, port, timeout=timeout)
    return imaplib.IMAP4(host, port, timeout=timeout)


def read_mailbox() -> int:
    """Handle every unseen message of the reply mailbox; returns how many were handled."""
    if not settings.INBOUND_IMAP_HOST:
        return 0
    handled = 0
    with _connect() as imap:
        imap.login(settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD)
        imap.select(settings.INBOUND_IMAP_MAILBOX)
        _, found = imap.uid("SEARCH", None, "UNSEEN")  # type: ignore[arg-type]
        for raw_uid in (found[0] or b"").split()[: settings.INBOUND_IMAP_BATCH]:
            uid = raw_uid.decode()
            _, size_data = imap.uid("FETCH", uid, "(RFC822.SIZE)")
            size = _size(size_data)
            # An oversized message is not downloaded: its headers are enough for the record.
            part = "HEADER" if size > settings.INBOUND_EMAIL_MAX_BYTES else ""
            _, data = imap.uid("FETCH", uid, f"(BODY.PEEK[{part}])")
            raw = _literal(data)
            parsed = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            reply_receive(
                message=InboundMessage(
                    channel=InboundEmail.Channel.IMAP,
                    sender=str(parsed.get("From", "")),
                    recipients=_recipients(parsed),
                    text=_text(parsed) if size <= settings.INBOUND_EMAIL_MAX_BYTES else "",
                    size=size,
                    message_id=str(parsed.get("Message-ID", "")).strip(),
                )
            )
            imap.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            handled += 1
        imap.logout()
    return handled


def _literal(data: list[Any]) -> bytes:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return b""


def _size(data: list[Any]) -> int:
    text = b" ".join(i if isinstance(i, bytes) else i[0] for i in data if i).decode()
    marker = "RFC822.SIZE "
    start = text.find(marker)
    if start < 0:
        return 0
    digits = text[start + len(marker) :].split(")", 1)[0].split()[0]
    return int(digits) if digits.isdigit() else 0
