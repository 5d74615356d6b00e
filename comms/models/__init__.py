"""The comms models, one module per sub-domain: `updates` (updates, read receipts, comments and
questions) and `notifications` (notifications, preferences, digests)."""

from comms.models.notifications import (
    Digest,
    DigestSchedule,
    Notification,
    NotificationPreference,
    NotificationQuerySet,
    Timing,
)
from comms.models.updates import Comment, Update, UpdateRead

__all__ = [
    "Comment",
    "Digest",
    "DigestSchedule",
    "Notification",
    "NotificationPreference",
    "NotificationQuerySet",
    "Timing",
    "Update",
    "UpdateRead",
]
