"""The change feed's positions: what orders it, where it stops, and the cursors clients keep.

The feed (`GET /api/v1/events/`) replays the activity stream in the order its events became
visible, which is not the order of their ids: an id is taken at insert, and a transaction that
inserts event 10 may commit after the one that inserted event 11. A client that had read 11 and
kept "after 11" would never see 10. So every event records the id of the transaction that wrote
it (`TransactionId`, PostgreSQL's `pg_current_xact_id()`), and the feed

- orders by (transaction id, event id), and
- serves only events of transactions older than the oldest one still running
  (`VisibleHorizon`, the reading snapshot's `xmin`).

Every transaction that can still commit has an id at or above that horizon, so nothing can ever
appear behind a position the feed has handed out. A long-running writer holds the feed back
until it ends; it never makes it skip. SQLite (the embedded mode) runs one writer at a time, so
ids are taken in commit order there: the transaction id is 0 and the horizon is open.

A cursor is a position signed for the organisation it was issued to, with the moment of its
event so that one older than the retention answers 410 rather than a silent gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core import signing
from django.db import connection
from django.db.models import BigIntegerField, Func

CURSOR_SALT = "portal.change-feed"
# A position after every event of a transaction: what "now" means for the first page.
END_OF_TRANSACTION = 2**62

HORIZON_SQL = "(pg_snapshot_xmin(pg_current_snapshot()))::text"

MALFORMED = "This cursor is not one this feed issued; use the `cursor` of a feed page."
FOREIGN = "This cursor was issued to another organisation."


class CursorError(ValueError):
    """A cursor that cannot be used, with the reason for the client."""


class TransactionId(Func):
    """The writing transaction's id, as the default of `Event.xid` (0 outside PostgreSQL)."""

    output_field = BigIntegerField()
    template = "0"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((pg_current_xact_id())::text)::bigint", **extra
        )


class VisibleHorizon(Func):
    """The oldest transaction still running when the query reads: every event of a lower
    transaction id is committed (or gone) for good. Open outside PostgreSQL."""

    output_field = BigIntegerField()
    template = str(2**63 - 1)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template=f"({HORIZON_SQL})::bigint", **extra)


class OwnTransaction(Func):
    """The reading transaction's own id, if it has written: its own events are visible to it
    whatever the horizon (a test's transaction, a service reading back). NULL otherwise, and
    outside PostgreSQL."""

    output_field = BigIntegerField()
    template = "NULL"

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "((pg_current_xact_id_if_assigned())::text)::bigint"
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass(frozen=True, order=True)
class Position:
    """A place in the feed: after the event (xid, id). `at` is that event's moment."""

    xid: int
    id: int
    at: datetime

    def cursor(self, organisation_id: int) -> str:
        payload = f"{organisation_id}.{self.xid}.{self.id}.{int(self.at.timestamp())}"
        return signing.Signer(salt=CURSOR_SALT).sign(payload)

    @classmethod
    def before(cls, xid: int, id: int, at: datetime) -> Position:
        """Just before the event (xid, id): a page from here starts with it."""
        return cls(xid, id - 1, at)


def horizon() -> int | None:
    """The oldest transaction id still running (see `VisibleHorizon`); None outside
    PostgreSQL, where the horizon is open."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ({HORIZON_SQL})::bigint")
        (oldest,) = cursor.fetchone()
    return int(oldest)


def parse_cursor(raw: str, organisation_id: int) -> Position:
    """The position a cursor names, if this feed issued it to this organisation."""
    try:
        payload = signing.Signer(salt=CURSOR_SALT).unsign(raw.strip())
        organisation, xid, event_id, moment = (int(part) for part in payload.split("."))
        at = datetime.fromtimestamp(moment, tz=UTC)
    except (signing.BadSignature, ValueError, OverflowError, OSError):
        raise CursorError(MALFORMED) from None
    if organisation != organisation_id:
        raise CursorError(FOREIGN)
    return Position(xid, event_id, at)
