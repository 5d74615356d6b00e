"""The keyed audit chain and its checkpoints: a rewrite recomputed without the key, a chain cut
short, a forged or edited checkpoint are each reported by `verify_audit` (docs/audit-trail.md)."""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError

from portal import audit, audit_checkpoints
from portal.models import AuditEntry
from portal.tasks import anchor_audit_chains
from tests.support.audit import append, hmac_with, rewrite, sha256, tamper

OTHER_KEY = "another-key-that-the-portal-never-had-0123456789"
NEW_KEY = "the-rotated-chain-key-of-the-portal-0123456789abcdef"


def _chain(program, length=8) -> list[AuditEntry]:
    return [append(program) for _ in range(length)]


def _verify() -> str:
    """verify_audit's report of a broken trail (fails the test if it says intact)."""
    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    return str(failure.value)


def _problems() -> list[tuple[int | None, str]]:
    anchors = audit_checkpoints.anchors(audit_checkpoints.read()[0])
    return [(link.entry_id, link.problem) for link in audit.verify_chain(anchors=anchors)]


def test_a_new_entry_is_signed_with_the_chain_key_it_names(world, settings):
    entry = append(world.program)

    assert entry.key_id == audit.key_id_of(settings.AUDIT_CHAIN_KEY)
    assert entry.entry_hash == hmac_with(settings.AUDIT_CHAIN_KEY)(entry)
    assert entry.entry_hash != sha256(entry)
    assert settings.AUDIT_CHAIN_KEY not in entry.key_id


@pytest.mark.parametrize(
    ("how", "sign", "key_id", "problem"),
    [
        ("plain SHA-256, key id kept", sha256, "current", "content does not match its hash"),
        ("plain SHA-256, key id dropped", sha256, None, audit.NO_KEY_AFTER_KEY),
        ("a wrong key under the right id", hmac_with(OTHER_KEY), "current", "content does not"),
        (
            "a wrong key under its own id",
            hmac_with(OTHER_KEY),
            "other",
            "is signed with an unknown",
        ),
    ],
)
@pytest.mark.clause("21 CFR 11.10(a)")
def test_a_rewrite_recomputed_without_the_key_is_reported_at_the_edited_entry(
    world, settings, how, sign, key_id, problem
):
    entries = _chain(world.program)
    call_command("verify_audit")
    ids = {
        "current": audit.key_id_of(settings.AUDIT_CHAIN_KEY),
        "other": audit.key_id_of(OTHER_KEY),
    }

    rewrite(entries[4:], reason="nothing to see", sign=sign, key_id=ids.get(key_id))

    assert AuditEntry.objects.get(pk=entries[4].pk).reason == "nothing to see"
    report = _verify()
    assert f"broken at entry {entries[4].id}: {problem}" in report, how
    assert "in 1 chain(s)" in report


def test_a_key_holders_rewrite_is_caught_by_the_checkpoint_taken_before_it(world, settings):
    entries = _chain(world.program)
    audit_checkpoints.write()

    rewrite(
        entries[4:],
        reason="nothing to see",
        sign=hmac_with(settings.AUDIT_CHAIN_KEY),
        key_id=audit.key_id_of(settings.AUDIT_CHAIN_KEY),
    )

    assert list(audit.verify_chain()) == []  # the key alone cannot tell
    report = _verify()
    assert f"broken at entry {entries[-1].id}: is not the entry checkpoint 1 (" in report


def test_an_unkeyed_entry_appended_after_keyed_ones_is_reported(world):
    entries = _chain(world.program, 3)
    forged = AuditEntry(
        action=AuditEntry.Action.ACCESS,
        actor_label="system",
        model="programs.program",
        object_pk=str(world.program.pk),
        object_repr="forged",
        program=world.program,
        previous_hash=entries[-1].entry_hash,
        sequence=4,
    )
    forged.entry_hash = sha256(forged)
    forged.save(force_insert=True)

    assert _problems() == [
        (forged.id, audit.NO_KEY_AFTER_KEY),
        (forged.id, audit.UNSEALED),
    ]


def _rotate(settings) -> str:
    old = settings.AUDIT_CHAIN_KEY
    settings.AUDIT_CHAIN_OLD_KEYS = [old]
    settings.AUDIT_CHAIN_KEY = NEW_KEY
    return old


def test_after_a_rotation_old_entries_verify_with_the_retired_key_and_new_ones_use_the_new(
    world, settings
):
    before = append(world.program)
    old = _rotate(settings)
    after = append(world.program)

    assert (before.key_id, after.key_id) == (audit.key_id_of(old), audit.key_id_of(NEW_KEY))
    call_command("verify_audit")

    settings.AUDIT_CHAIN_OLD_KEYS = []
    assert _problems() == [(before.id, f"is signed with an unknown key ({before.key_id})")]


def test_audit_seal_moves_every_chain_onto_the_new_key_once(world, settings, capsys):
    append(world.program)
    append(world.program_b)
    append(instance=world.staff)
    _rotate(settings)
    append(world.program_b)

    call_command("audit_seal")
    assert "Sealed 2 chain(s)" in capsys.readouterr().out
    seals = AuditEntry.objects.filter(action=AuditEntry.Action.SEAL)
    assert {seal.program_id for seal in seals} == {world.program.pk, None}
    assert {seal.key_id for seal in seals} == {audit.key_id_of(NEW_KEY)}
    call_command("audit_seal")
    assert "Sealed 0 chain(s)" in capsys.readouterr().out
    call_command("verify_audit")


def test_an_entry_signed_with_a_retired_key_after_a_newer_one_is_reported(world, settings):
    old = _rotate(settings)
    entries = _chain(world.program, 3)

    rewrite(entries[2:], reason="leaked", sign=hmac_with(old), key_id=audit.key_id_of(old))

    assert _problems() == [(entries[2].id, audit.OLDER_KEY)]


def _unkeyed_chain(program, length: int) -> list[AuditEntry]:
    """Entries as the portal wrote them before chain keys: sequenced, plain SHA-256."""
    entries: list[AuditEntry] = []
    for position in range(1, length + 1):
        entry = AuditEntry(
            action=AuditEntry.Action.CREATE,
            actor_label="system",
            model="programs.program",
            object_pk=str(program.pk),
            object_repr=str(program),
            program=program,
            previous_hash=entries[-1].entry_hash if entries else audit.GENESIS_HASH,
            sequence=position,
        )
        entry.entry_hash = sha256(entry)
        entry.save(force_insert=True)
        entries.append(entry)
    return entries


def test_unkeyed_entries_from_before_keys_are_reported_until_sealed_then_anchored_by_the_seal(
    world,
):
    entries = _unkeyed_chain(world.program, 5)
    assert _problems() == [(entries[0].id, audit.UNSEALED)]

    (seal,) = audit.seal_chains()
    assert (seal.sequence, seal.previous_hash, seal.object_pk) == (
        6,
        entries[-1].entry_hash,
        str(entries[-1].pk),
    )
    assert seal.object_repr == f"Audit chain sealed with key {seal.key_id}"
    assert audit.seal_chains() == []
    call_command("verify_audit")

    # Rewritten and recomputed the unkeyed way up to the seal: the seal no longer matches.
    rewrite(entries[1:], reason="nothing to see", sign=sha256, key_id=None)
    assert _problems() == [(seal.id, "does not link to the entry before it")]


def test_a_checkpoint_records_every_head_then_only_the_heads_that_moved(world):
    a = append(world.program)
    b = append(world.program_b)
    g = append(instance=world.staff)

    first = audit_checkpoints.write()
    assert first is not None
    assert first.heads == {
        f"program:{world.program.pk}": (1, a.entry_hash),
        f"program:{world.program_b.pk}": (1, b.entry_hash),
        "global": (1, g.entry_hash),
    }
    assert audit_checkpoints.write() is None

    a2 = append(world.program)
    second = anchor_audit_chains()
    (line,) = django_settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()[1:]
    assert second == 2
    assert json.loads(line)["heads"] == {f"program:{world.program.pk}": [2, a2.entry_hash]}
    assert audit_checkpoints.read() == (audit_checkpoints.read()[0], [])


@pytest.mark.clause("21 CFR 11.10(a)")
def test_entries_removed_from_the_end_of_a_chain_are_reported_against_the_checkpoint(world):
    entries = _chain(world.program, 4)
    gone = append(world.program_b)
    audit_checkpoints.write()

    tamper(f"DELETE FROM portal_auditentry WHERE id IN ({entries[-1].id}, {gone.id})")

    assert list(audit.verify_chain()) == []  # what is left still links
    report = _verify()
    assert "in 2 chain(s)" in report
    assert (
        f"program HLX-101 Helix mAb (id {world.program.pk}): ends at position 3, but "
        "checkpoint 1 (" in report
    )
    assert f"(id {world.program_b.pk}): ends at position 0, but checkpoint 1" in report
    assert "recorded position 4: entries were removed" in report


def _lines() -> list[dict]:
    return [
        json.loads(line) for line in django_settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    ]


def _save(lines: list[dict]) -> None:
    text = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)
    django_settings.AUDIT_CHECKPOINT_FILE.write_text(text)


@pytest.fixture
def three_checkpoints(world) -> list[dict]:
    for _ in range(3):
        append(world.program)
        audit_checkpoints.write()
    return _lines()


def test_an_edited_checkpoint_is_reported_and_anchors_nothing(three_checkpoints):
    lines = three_checkpoints
    name = next(iter(lines[1]["heads"]))
    lines[1]["heads"][name] = [1, "0" * 64]
    _save(lines)

    report = _verify()
    assert "line 2: its signature does not match its content" in report
    assert "line 3: does not follow" not in report


def test_a_checkpoint_taken_out_of_the_middle_is_reported(three_checkpoints):
    lines = three_checkpoints
    _save([lines[0], lines[2]])

    assert "line 2: does not follow the checkpoint before it" in _verify()


def test_a_checkpoint_signed_with_an_unknown_key_is_reported(world, three_checkpoints, settings):
    real = settings.AUDIT_CHAIN_KEY
    append(instance=world.staff)
    settings.AUDIT_CHAIN_KEY = OTHER_KEY
    audit_checkpoints.write()
    settings.AUDIT_CHAIN_KEY = real

    assert f"line 4: signed with an unknown key ({audit.key_id_of(OTHER_KEY)})" in _verify()


def test_verify_audit_says_how_many_checkpoints_it_checked_or_that_it_had_none(world, capsys):
    append(world.program)
    call_command("verify_audit")
    assert "No checkpoints in" in capsys.readouterr().out

    audit_checkpoints.write()
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "Audit trail intact: 1 entries verified." in out
    assert "Chain heads match 1 checkpoint(s)" in out
