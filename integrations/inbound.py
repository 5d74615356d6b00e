"""Replies by email: the one handler behind both ways mail comes in (the Postmark inbound
webhook through django-anymail, and the IMAP mailbox task).

A reply becomes a comment on its subject, through the comms comment service (so it is checked,
audited and announced like any comment), when all of these hold:

1. the message is no larger than `INBOUND_EMAIL_MAX_BYTES`;
2. one of its recipients is a reply address with a valid signature (`reply_address.parse`);
3. the From address is that address's user (case-insensitive), an active account;
4. the user may still see the subject and comment there (`portal.access`, via the comms
   selectors and `comment_post`'s own check);
5. something is left once the quoted text and the signature are stripped (mail-parser-reply).

Otherwise nothing is posted and nothing is bounced (a bounce would tell a forger what worked);
the message is recorded as an `InboundEmail` with its outcome, and an audit entry says why.
"""

from __future__ import annotations

import email.utils
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from mailparser_reply import EmailReplyParser

from comms import reply_address
from comms import selectors as comms_selectors
from comms.models import Comment, Update
from comms.services.conversations import comment_post
from deviations.models import Deviation
from governance.models import Meeting
from integrations.models import InboundEmail
from portal import audit
from portal.errors import ServiceError
from portal.models import AuditEntry, User
from programs.models import Milestone

Outcome = InboundEmail.Outcome
REASONS = {
    Outcome.COMMENTED: "Reply by email posted as a comment.",
    Outcome.TOO_LARGE: "Reply by email refused: larger than {limit} bytes.",
    Outcome.BAD_ADDRESS: "Reply by email refused: no recipient is a valid reply address.",
    Outcome.UNKNOWN_SENDER: "Reply by email refused: the sender is not the addressee.",
    Outcome.NOT_ALLOWED: "Reply by email refused: the sender may not comment there.",
    Outcome.EMPTY: "Reply by email refused: nothing left once quotes were removed.",
}
_TARGETS = {"update": Update, "milestone": Milestone, "meeting": Meeting, "deviation": Deviation}


@dataclass(frozen=True)
class InboundMessage:
    """An email as the handler needs it, whichever way it came."""

    channel: str
    sender: str  # the From header
    recipients: Sequence[str]  # To, Cc, Delivered-To and the envelope recipient
    text: str  # the plain-text body
    size: int  # bytes, as received
    message_id: str = ""


def reply_text(text: str) -> str:
    """The new part of a reply: without the quoted message, the "On … wrote:" line and the
    signature."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    replies = EmailReplyParser(languages=["en", "de", "fr"]).read(normalised).replies
    # The newest part comes first; one that opens with an "On … wrote:" header is the quote
    # itself: the sender wrote nothing of their own.
    if not replies or replies[0].headers:
        return ""
    return replies[0].body.strip()


def _address(value: str) -> str:
    return email.utils.parseaddr(value)[1].strip()


class _Refused(Exception):
    def __init__(self, outcome: str, detail: str = "") -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.detail = detail


def _target(
    user: User, found: reply_address.ReplyAddress
) -> Update | Milestone | Meeting | Deviation:
    code = (
        _TARGETS[found.subject_type]
        ._default_manager.filter(pk=found.subject_id)
        .values_list("program__code", flat=True)
        .first()
    )
    if code is None:
        raise _Refused(Outcome.NOT_ALLOWED, "The subject no longer exists.")
    try:
        program = comms_selectors.program_grant(user, code).obj
        return comms_selectors.get_comment_target(
            user, program, found.subject_type, found.subject_id
        )
    except Http404:
        raise _Refused(Outcome.NOT_ALLOWED, "The sender cannot see the subject.") from None


def _check(message: InboundMessage) -> tuple[User, reply_address.ReplyAddress, str]:
    limit = settings.INBOUND_EMAIL_MAX_BYTES
    if message.size > limit:
        raise _Refused(Outcome.TOO_LARGE)
    found = next(
        (f for f in (reply_address.parse(_address(r)) for r in message.recipients) if f), None
    )
    if found is None:
        raise _Refused(Outcome.BAD_ADDRESS)
    user = User.objects.filter(pk=found.user_id, is_active=True).first()
    sender = _address(message.sender)
    if user is None or sender.lower() != user.email.lower():
        raise _Refused(Outcome.UNKNOWN_SENDER, f"Sent to user {found.user_id}'s address.")
    body = reply_text(message.text)
    if not body:
        raise _Refused(Outcome.EMPTY)
    return user, found, body


def _record(
    message: InboundMessage,
    *,
    outcome: str,
    detail: str = "",
    user: User | None = None,
    comment: Comment | None = None,
) -> InboundEmail:
    recipient = next(
        (_address(r) for r in message.recipients if reply_address.parse(_address(r))), ""
    )
    row = InboundEmail.objects.create(
        channel=message.channel,
        message_id=message.message_id[:300],
        sender=_address(message.sender)[:254],
        recipient=(recipient or ", ".join(message.recipients))[:254],
        size=message.size,
        outcome=outcome,
        detail=detail[:300],
        user=user,
        comment=comment,
    )
    audit.record(
        actor=user if outcome == Outcome.COMMENTED else None,
        action=AuditEntry.Action.CREATE,
        instance=row,
        changes={name: [None, value] for name, value in audit.snapshot(row).items()},
        program_id=comment.program_id if comment is not None else None,
        reason=REASONS[Outcome(outcome)].format(limit=settings.INBOUND_EMAIL_MAX_BYTES),
    )
    return row


def reply_receive(*, message: InboundMessage) -> InboundEmail:
    """Handle one inbound email: a comment, or a recorded refusal. A message id handled
    before returns its first record and does nothing more."""
    if message.message_id:
        seen = InboundEmail.objects.filter(message_id=message.message_id[:300]).first()
        if seen is not None:
            return seen
    try:
        with transaction.atomic():
            return _receive(message)
    except IntegrityError:  # the same message, handled at this moment by the other channel
        return InboundEmail.objects.get(message_id=message.message_id[:300])


def _receive(message: InboundMessage) -> InboundEmail:
    user: User | None = None
    try:
        user, found, body = _check(message)
        target = _target(user, found)
        with transaction.atomic():
            comment = comment_post(actor=user, target=target, body=body)
            return _record(message, outcome=Outcome.COMMENTED, user=user, comment=comment)
    except _Refused as refused:
        return _record(message, outcome=refused.outcome, detail=refused.detail, user=user)
    except (ServiceError, ValidationError) as exc:
        detail = exc.message if isinstance(exc, ServiceError) else " ".join(exc.messages)
        return _record(message, outcome=Outcome.NOT_ALLOWED, detail=detail, user=user)
