"""Building and tampering with audit chains in tests: what someone with the database's owner
(or superuser) rights could do behind the portal's back."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from portal import audit
from portal.models import AuditEntry

SQLITE_TRIGGERS = {
    f"portal_auditentry_no_{operation.lower()}": (
        f"CREATE TRIGGER portal_auditentry_no_{operation.lower()} BEFORE {operation} "
        "ON portal_auditentry BEGIN SELECT RAISE(ABORT, "
        f"'portal_auditentry is append-only: {operation} refused'); END;"
    )
    for operation in ("UPDATE", "DELETE")
}
POSTGRES_TRIGGERS = {
    "portal_auditentry_append_only ON portal_auditentry": (
        "CREATE TRIGGER portal_auditentry_append_only BEFORE UPDATE OR DELETE "
        "ON portal_auditentry FOR EACH ROW EXECUTE FUNCTION portal_refuse_change()"
    )
}


@contextmanager
def triggers_off() -> Iterator[None]:
    """Drop the append-only triggers, as their owner can, and put them back afterwards."""
    triggers = POSTGRES_TRIGGERS if connection.vendor == "postgresql" else SQLITE_TRIGGERS
    with transaction.atomic(), connection.cursor() as cursor:
        for name in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        yield
        for statement in triggers.values():
            cursor.execute(statement)


def tamper(sql: str) -> None:
    """Run one statement on the audit table with the triggers out of the way."""
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(sql)


def append(program=None, *, instance=None) -> AuditEntry:
    """One entry on the program's chain (or the global one), written as the portal writes."""
    with transaction.atomic():
        return audit.record(
            actor=None,
            action=AuditEntry.Action.ACCESS,
            instance=instance or program,
            changes={},
            program_id=program.pk if program is not None else None,
        )


def sha256(entry: AuditEntry) -> str:
    return hashlib.sha256(audit._entry_payload(entry)).hexdigest()


def hmac_with(secret: str):
    def sign(entry: AuditEntry) -> str:
        return hmac.new(secret.encode(), audit._entry_payload(entry), hashlib.sha256).hexdigest()

    return sign


def rewrite(entries: list[AuditEntry], *, reason: str, sign, key_id: str | None) -> None:
    """Edit the first of `entries` and recompute it and every entry after it (`sign` is the
    forger's hash), each linked to the one before, as a forger without the right key would."""
    previous_hash = entries[0].previous_hash
    entries[0].reason = reason
    with triggers_off():
        for entry in entries:
            entry.previous_hash = previous_hash
            entry.key_id = key_id
            entry.entry_hash = sign(entry)
            AuditEntry.objects.filter(pk=entry.pk).update(
                reason=entry.reason,
                previous_hash=entry.previous_hash,
                key_id=entry.key_id,
                entry_hash=entry.entry_hash,
            )
            previous_hash = entry.entry_hash
