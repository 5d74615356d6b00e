"""The audit trail: written by services, append-only in the database, hash-chained."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from comms.services import update_post
from portal import audit
from portal.models import AuditEntry
from portal.request_context import set_request_id


def _post(world, title="Fill line qualified"):
    return update_post(actor=world.pm, program=world.program, title=title, body="Done.")


def test_a_service_write_is_audited_with_who_what_and_request_id(world):
    set_request_id("req-abc12345")
    update = _post(world)

    entry = AuditEntry.objects.get(model="comms.update", object_pk=str(update.pk))
    assert entry.actor == world.pm
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.program_id == world.program.pk
    assert entry.changes["title"] == [None, "Fill line qualified"]
    assert entry.request_id == "req-abc12345"


def test_entries_link_to_the_previous_entry(world):
    _post(world, "one")
    _post(world, "two")
    first, second = AuditEntry.objects.order_by("id")[:2]
    assert first.previous_hash == audit.GENESIS_HASH
    assert second.previous_hash == first.entry_hash
    assert list(audit.verify_chain()) == []


def test_update_entries_record_before_and_after(world):
    from programs.services import program_override_health

    program_override_health(
        actor=world.pm, program=world.program, health="red", reason="Resin short"
    )
    entry = AuditEntry.objects.filter(model="programs.program", action="update").get()
    assert entry.changes["health"] == ["green", "red"]
    assert entry.reason == "Resin short"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE portal_auditentry SET reason = 'edited'", "DELETE FROM portal_auditentry"],
)
def test_the_database_refuses_to_change_audit_rows(world, statement):
    _post(world)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEntry.objects.filter(reason="edited").count() == 0


def test_the_orm_cannot_delete_audit_rows_either(world):
    _post(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.exists()


def _tamper(sql: str) -> None:
    """Simulate someone with database superuser rights editing the table behind our back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(sql)
            cursor.execute("SET LOCAL session_replication_role = origin")
        else:
            cursor.execute("DROP TRIGGER portal_auditentry_no_update")
            cursor.execute(sql)
            cursor.execute(
                "CREATE TRIGGER portal_auditentry_no_update BEFORE UPDATE ON portal_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'portal_auditentry is append-only: UPDATE refused');"
                " END;"
            )


def test_verify_audit_reports_the_first_tampered_entry(world, capsys):
    for title in ("one", "two", "three"):
        _post(world, title)
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out

    victim = AuditEntry.objects.order_by("id")[1]
    _tamper(f"UPDATE portal_auditentry SET reason = 'nothing to see' WHERE id = {victim.id}")

    with pytest.raises(CommandError, match=f"broken at entry {victim.id}: content"):
        call_command("verify_audit")
