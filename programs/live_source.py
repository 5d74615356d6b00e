"""What the live streams (`portal.streams`) read: the programs' activity stream, scoped by its
selectors. Named in the setting `LIVE_EVENT_SOURCE`, so that `portal` imports no domain app."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from portal.live import LiveEvent
from programs.selectors import event_list, events_after


class ProgramEvents:
    """The streams' `EventSource`."""

    def latest_id(self, user: Any) -> int:
        latest = event_list(user=user).order_by("-id").values_list("id", flat=True).first()
        return latest or 0

    def after(self, user: Any, after_id: int, limit: int) -> Sequence[LiveEvent]:
        return [LiveEvent.of(e) for e in events_after(user=user, after_id=after_id, limit=limit)]
