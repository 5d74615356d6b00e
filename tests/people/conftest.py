"""Helpers for the people tests: the invitation link as the email carries it."""

from __future__ import annotations

import re

from django.core import mail

LINK = re.compile(r"https?://\S+/invitation/([\w-]+)/")


def emailed_token(to: str) -> str:
    """The token of the last invitation emailed to `to`, read from the email's link."""
    found = [m for m in mail.outbox if to in m.to]
    assert found, f"no email to {to}"
    match = LINK.search(found[-1].body)
    assert match, found[-1].body
    return match.group(1)
