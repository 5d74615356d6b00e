"""The audit trail: written by services, append-only in the database, hash-chained per program."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, OperationalError, connection, transaction

from comms.services.updates import update_post
from portal import audit
from portal.models import AuditEntry
from portal.request_context import set_request_id
from tests.support.audit import tamper
from tests.support.world import client_for


def _post(world, title="Fill line qualified"):
    return update_post(actor=world.pm, program=world.program, title=title, body="Done.")


@pytest.mark.clause("21 CFR 11.10(e)")
@pytest.mark.clause("EU GMP Annex 11 §12.4")
@pytest.mark.clause("EU GMP Annex 11 §9")
def test_a_service_write_is_audited_with_who_what_and_request_id(world):
    set_request_id("req-abc12345")
    update = _post(world)

    entry = AuditEntry.objects.get(model="comms.update", object_pk=str(update.pk))
    assert entry.actor == world.pm
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.program_id == world.program.pk
    assert entry.changes["title"] == [None, "Fill line qualified"]
    assert entry.request_id == "req-abc12345"


def test_a_clients_request_id_is_kept_beside_the_portals_own(world):
    response = client_for(world, "pm").post(
        "/programs/HLX-101/updates/",
        {
            "title": "Fill line qualified",
            "body": "Done.",
            "category": "general",
            "significance": "info",
            "audience": "sponsor",
        },
        HTTP_X_REQUEST_ID="lims-sync-000042",
    )
    assert response.status_code in {200, 302}, response.content[:500]

    entry = AuditEntry.objects.filter(model="comms.update").latest("id")
    assert entry.request_id == response.headers["X-Request-ID"]
    assert entry.request_id != "lims-sync-000042"
    assert entry.client_request_id == "lims-sync-000042"
    assert list(audit.verify_chain()) == []


@pytest.mark.clause("21 CFR 11.10(e)")
def test_entries_link_to_the_previous_entry(world):
    _post(world, "one")
    _post(world, "two")
    first, second = AuditEntry.objects.order_by("id")[:2]
    assert first.previous_hash == audit.GENESIS_HASH
    assert second.previous_hash == first.entry_hash
    assert (first.sequence, second.sequence) == (1, 2)
    assert list(audit.verify_chain()) == []


def _post_to(world, program, title):
    update = update_post(actor=world.pm, program=program, title=title, body="Done.")
    return AuditEntry.objects.get(model="comms.update", object_pk=str(update.pk))


def test_each_program_extends_its_own_chain(world):
    a1 = _post_to(world, world.program, "A one")
    b1 = _post_to(world, world.program_b, "B one")
    a2 = _post_to(world, world.program, "A two")

    assert a2.previous_hash == a1.entry_hash
    assert b1.previous_hash == audit.GENESIS_HASH
    assert [a1.sequence, a2.sequence, b1.sequence] == [1, 2, 1]
    assert list(audit.verify_chain()) == []


def _system_entry(world):
    """An entry about no program (here, reading a user's record) goes to the global chain."""
    return audit.record(
        actor=None, action=AuditEntry.Action.ACCESS, instance=world.staff, changes={}
    )


def test_entries_without_a_program_extend_the_global_chain(world):
    first = _system_entry(world)
    _post_to(world, world.program, "between")
    second = _system_entry(world)

    assert (first.program_id, first.sequence, first.previous_hash) == (
        None,
        1,
        audit.GENESIS_HASH,
    )
    assert (second.sequence, second.previous_hash) == (2, first.entry_hash)
    assert list(audit.verify_chain()) == []


def test_a_second_entry_at_the_same_position_of_a_chain_is_refused(world):
    entry = _post_to(world, world.program, "one")
    fork = AuditEntry(
        action=AuditEntry.Action.ACCESS,
        actor_label="system",
        model="programs.program",
        object_pk=str(world.program.pk),
        object_repr="fork",
        program=world.program,
        previous_hash=entry.previous_hash,
        entry_hash="f" * 64,
        sequence=entry.sequence,
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        fork.save(force_insert=True)


def test_the_hash_of_an_entry_is_stable_and_covers_its_position_and_key(settings):
    entry = AuditEntry(
        at=datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC),
        actor_id=7,
        actor_label="Pat Manager <pm@nb.example>",
        action="update",
        model="programs.milestone",
        object_pk="12",
        object_repr="PPQ batch 1",
        program_id=3,
        changes={"forecast_date": ["2026-04-01", "2026-04-15"]},
        reason="Resin late",
        request_id="req-1",
        previous_hash="ab" * 32,
    )
    # What the single global chain computed for this entry, before chains were per program.
    assert audit.compute_hash(entry) == (
        "129529fde147e1efdd5476841480c291964326288648c53bf35f6cfc06eac919"
    )
    entry.sequence = 4
    assert audit.compute_hash(entry) == (
        "d12d1c6f22642e6ed71eba1225732909a96bbd570ae469af16d2d4197854201b"
    )
    # Signed with a chain key (HMAC-SHA256), the entry names the key and the hash needs it.
    settings.AUDIT_CHAIN_KEY = "the-rotated-chain-key-of-the-portal-0123456789abcdef"
    entry.key_id = audit.key_id_of(settings.AUDIT_CHAIN_KEY)
    assert entry.key_id == "af5d14c6f238a1e4"
    assert audit.compute_hash(entry) == (
        "b7bd8d1620c475b2a3c29c3606894cbab80373d522557166a00a967cbcea0920"
    )


@pytest.mark.clause("21 CFR 11.10(e)")
@pytest.mark.clause("EU GMP Annex 11 §9")
def test_update_entries_record_before_and_after(world):
    from programs.services.health import program_override_health

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
@pytest.mark.clause("21 CFR 11.10(c)")
@pytest.mark.clause("EU GMP Annex 11 §7.1")
def test_the_database_refuses_to_change_audit_rows(world, statement):
    _post(world)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEntry.objects.filter(reason="edited").count() == 0


@pytest.mark.clause("21 CFR 11.10(c)")
@pytest.mark.clause("EU GMP Annex 11 §7.1")
def test_the_orm_cannot_delete_audit_rows_either(world):
    _post(world)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.exists()


@pytest.mark.clause("21 CFR 11.10(a)")
@pytest.mark.clause("EU GMP Annex 11 §7.1")
def test_verify_audit_reports_the_first_tampered_entry(world, capsys):
    for title in ("one", "two", "three"):
        _post(world, title)
    call_command("verify_audit")
    assert "intact" in capsys.readouterr().out

    victim = AuditEntry.objects.order_by("id")[1]
    tamper(f"UPDATE portal_auditentry SET reason = 'nothing to see' WHERE id = {victim.id}")

    with pytest.raises(CommandError, match=f"broken at entry {victim.id}: content"):
        call_command("verify_audit")


def test_tampering_with_one_programs_chain_leaves_the_others_verified(world):
    chain_a = [_post_to(world, world.program, f"A {n}") for n in range(3)]
    chain_b = [_post_to(world, world.program_b, f"B {n}") for n in range(3)]
    victim = chain_a[1]
    tamper(f"UPDATE portal_auditentry SET reason = 'nothing to see' WHERE id = {victim.id}")

    broken = list(audit.verify_chain())

    assert [(link.entry_id, link.program_id) for link in broken] == [(victim.id, world.program.pk)]
    assert broken[0].problem == "content does not match its hash"
    assert not {link.entry_id for link in broken} & {entry.id for entry in chain_b}
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert f"program HLX-101 Helix mAb (id {world.program.pk}): broken at entry {victim.id}" in str(
        failure.value
    )
    assert "BOR-017" not in str(failure.value)


def test_verify_audit_names_the_first_broken_link_of_every_broken_chain(world):
    chain_a = [_post_to(world, world.program, f"A {n}") for n in range(3)]
    chain_b = [_post_to(world, world.program_b, f"B {n}") for n in range(3)]
    tamper(
        f"UPDATE portal_auditentry SET reason = 'x' WHERE id IN ({chain_a[0].id}, {chain_a[2].id})"
    )
    tamper(f"DELETE FROM portal_auditentry WHERE id = {chain_b[1].id}")

    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")

    message = str(failure.value)
    assert "in 2 chain(s)" in message
    assert f"broken at entry {chain_a[0].id}: content" in message
    assert f"broken at entry {chain_a[2].id}" not in message  # only the first of each chain
    assert f"broken at entry {chain_b[2].id}: is at position 3 where 2 was expected" in message


def _legacy_entry(world, previous_hash: str, program) -> AuditEntry:
    """An entry as the single global chain wrote them before 0007: no sequence, linked to the
    entry before it whatever its program."""
    entry = AuditEntry(
        action=AuditEntry.Action.CREATE,
        actor=world.pm,
        actor_label="Pat Manager <pm@nb.example>",
        model="programs.program",
        object_pk=str(program.pk),
        object_repr=str(program),
        program=program,
        previous_hash=previous_hash,
    )
    entry.entry_hash = audit.compute_hash(entry)
    entry.save(force_insert=True)
    return entry


def test_legacy_entries_verify_as_one_trunk_that_every_new_chain_starts_from(world):
    first = _legacy_entry(world, audit.GENESIS_HASH, world.program)
    last = _legacy_entry(world, first.entry_hash, world.program_b)

    a1 = _post_to(world, world.program, "A one")
    b1 = _post_to(world, world.program_b, "B one")
    global_one = _system_entry(world)

    assert audit.trunk_hash() == last.entry_hash
    assert {a1.previous_hash, b1.previous_hash, global_one.previous_hash} == {last.entry_hash}
    assert list(audit.verify_chain()) == []

    tamper(f"UPDATE portal_auditentry SET reason = 'rewritten' WHERE id = {first.id}")
    assert [(link.entry_id, link.chain) for link in audit.verify_chain()] == [
        (first.id, "legacy trunk")
    ]


def test_removing_the_trunks_last_entry_breaks_the_first_link_of_every_chain(world):
    first = _legacy_entry(world, audit.GENESIS_HASH, world.program)
    last = _legacy_entry(world, first.entry_hash, world.program)
    a1 = _post_to(world, world.program, "A one")
    b1 = _post_to(world, world.program_b, "B one")

    tamper(f"DELETE FROM portal_auditentry WHERE id = {last.id}")

    assert {(link.entry_id, link.problem) for link in audit.verify_chain()} == {
        (a1.id, "does not link to the entry before it"),
        (b1.id, "does not link to the entry before it"),
    }


def _append_waiting_at_most(timeout: str, program) -> AuditEntry:
    """Append an entry to the program's chain, giving up if a lock is not granted in time."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{timeout}'")
        return audit.record(
            actor=None,
            action=AuditEntry.Action.ACCESS,
            instance=program,
            changes={},
            program_id=program.pk,
        )


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_writer_holding_one_programs_chain_does_not_hold_up_another_program(world):
    holding, release = threading.Event(), threading.Event()

    def hold_the_chain_of_program_a() -> None:
        try:
            with transaction.atomic():
                _post_to(world, world.program, "held open")
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_chain_of_program_a)
    holder.start()
    try:
        assert holding.wait(30)
        _append_waiting_at_most("5s", world.program_b)
        with pytest.raises(OperationalError) as waited:
            _append_waiting_at_most("300ms", world.program)
        assert waited.value.__cause__.sqlstate == "55P03"  # lock_not_available: same chain
    finally:
        release.set()
        holder.join(30)
    assert AuditEntry.objects.filter(program=world.program_b).count() == 1
    assert list(audit.verify_chain()) == []
