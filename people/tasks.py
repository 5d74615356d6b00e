"""People tasks: the access review reminders. Safe to run twice."""

from __future__ import annotations

from people.services.reviews import access_review_remind
from portal.transactions import service_task


@service_task()
def remind_access_reviews() -> int:
    """Beat, daily: remind sponsor leads of a due or overdue quarterly access review, once per
    kind per quarter."""
    return len(access_review_remind())
