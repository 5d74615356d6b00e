"""What the programs services share: messages and the phrasing of dates in the stream."""

from __future__ import annotations

import datetime

from portal import access

REASON_REQUIRED = "A reason is required."
NOT_ALLOWED = access.NOT_ALLOWED


def day_label(value: datetime.date) -> str:
    return f"{value.day} {value:%b %Y}"
