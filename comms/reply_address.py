"""Signed reply-to addresses: `reply+<user>-<kind>-<id>-<signature>@<INBOUND_EMAIL_DOMAIN>`.

Each notification email names, in its Reply-To, who it was sent to and what it is about. The
signature is an HMAC of those three under the site's secret key (`django.utils.crypto.
salted_hmac`, the primitive behind `django.core.signing`, with a salt of its own), so nobody
can forge an address for another person or another subject. It is hexadecimal, not base64:
mail systems may change the case of an address's local part, and hex survives that. It does
not expire: a reply to last month's email is still a reply. A reply proves only that it came
back to the address it was sent to; the sender must still be that user (`inbound.py`), and
nothing that needs a signature can be done by email.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "comms.reply_address"
SIGNATURE_LENGTH = 32
KINDS = ("update", "milestone", "meeting", "deviation")  # what a comment can hang on
_ADDRESS = re.compile(
    r"^reply\+(?P<user>\d{1,18})-(?P<kind>[a-z]{1,20})-(?P<id>\d{1,18})-(?P<sig>[0-9a-f]{32})@"
    r"(?P<domain>[^@\s]+)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReplyAddress:
    user_id: int
    subject_type: str
    subject_id: int


def _signature(user_id: int, subject_type: str, subject_id: int) -> str:
    value = f"{user_id}-{subject_type}-{subject_id}"
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()[:SIGNATURE_LENGTH]


def reply_address(*, user_id: int, subject_type: str, subject_id: int) -> str:
    """The address a reply from `user_id` about the subject goes to."""
    if subject_type not in KINDS:
        raise ValueError(f"No replies on {subject_type!r}; one of {', '.join(KINDS)}.")
    signature = _signature(user_id, subject_type, subject_id)
    local = f"reply+{user_id}-{subject_type}-{subject_id}-{signature}"
    return f"{local}@{settings.INBOUND_EMAIL_DOMAIN}"


def reply_to_header(*, user_id: int, subject_type: str, subject_id: int) -> dict[str, str]:
    """The header to add to a notification email (comms/emails.py `message_headers()`), or
    none when replies by email are not set up."""
    if not settings.INBOUND_EMAIL_DOMAIN:
        return {}
    address = reply_address(user_id=user_id, subject_type=subject_type, subject_id=subject_id)
    return {"Reply-To": address}


def parse(address: str) -> ReplyAddress | None:
    """What a reply address says, if it is one of ours with a valid signature; else None."""
    match = _ADDRESS.match(address.strip())
    if match is None or not settings.INBOUND_EMAIL_DOMAIN:
        return None
    if match["domain"].lower() != settings.INBOUND_EMAIL_DOMAIN.lower():
        return None
    kind = match["kind"].lower()
    user_id, subject_id = int(match["user"]), int(match["id"])
    if kind not in KINDS:
        return None
    if not constant_time_compare(match["sig"].lower(), _signature(user_id, kind, subject_id)):
        return None
    return ReplyAddress(user_id=user_id, subject_type=kind, subject_id=subject_id)
