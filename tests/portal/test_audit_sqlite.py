"""The embedded database (SQLite) enforces the same append-only rule and keeps the same
per-program chains, whatever the suite runs on (the migrations must not drop its triggers), and
an embedded database from before chain keys is sealed when it is migrated."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import django
django.setup()
from django.db import DatabaseError, connection
from django.core.management import call_command
from portal.models import AuditEntry, Organisation
from programs.services.program import program_create

assert connection.vendor == "sqlite", connection.vendor
sponsor = Organisation.objects.create(name="Helix", slug="helix", kind="sponsor")
first, second = (
    program_create(actor=None, sponsor=sponsor, code=code, name=name, phase="phase_2")
    for code, name in (("HLX-101", "Helix mAb"), ("HLX-102", "Helix ADC"))
)
entries = list(AuditEntry.objects.order_by("id"))
assert [(e.program_id, e.sequence) for e in entries] == [(first.pk, 1), (second.pk, 1)], entries
for statement in ("UPDATE portal_auditentry SET reason = 'x'", "DELETE FROM portal_auditentry"):
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    except DatabaseError as exc:
        assert "append-only" in str(exc), exc
    else:
        raise SystemExit("SQLite accepted: " + statement)
call_command("verify_audit")
print("REFUSED-BOTH")
"""


def _embedded(tmp_path) -> dict[str, str]:
    env = {
        key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}
    }
    # DEBUG=1: outside pytest's own process the test switches are refused without it.
    env.update(
        DEBUG="1",
        PORTAL_TESTING="1",
        PORTAL_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="portal.settings",
    )
    return env


def _run(env, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_sqlite_refuses_update_and_delete_on_audit_rows(tmp_path):
    env = _embedded(tmp_path)
    migrated = _run(env, str(ROOT / "manage.py"), "migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    result = _run(env, "-c", SCRIPT, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "REFUSED-BOTH" in result.stdout
    assert "Audit trail intact: 2 entries verified." in result.stdout


# Entries as the portal wrote them before chain keys: two in the legacy trunk, three in the
# global chain, plain SHA-256, inserted into a database migrated only as far as 0008.
LEGACY_ENTRIES = """
import datetime, types
import django
django.setup()
from django.db import connection
from portal.audit import GENESIS_HASH, _entry_payload
import hashlib

previous = GENESIS_HASH
for position in (None, None, 1, 2, 3):
    entry = types.SimpleNamespace(
        at=datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC), actor_id=None,
        actor_label="system", action="access", model="portal.user", object_pk="1",
        object_repr="before keys", program_id=None, changes={}, reason="", request_id="",
        previous_hash=previous, sequence=position, client_request_id=None, key_id=None,
    )
    entry.entry_hash = hashlib.sha256(_entry_payload(entry)).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO portal_auditentry (at, actor_label, action, model, object_pk, "
            "object_repr, changes, reason, request_id, previous_hash, entry_hash, sequence) "
            "VALUES (%s, 'system', 'access', 'portal.user', '1', 'before keys', '{}', '', '', "
            "%s, %s, %s)",
            [entry.at.isoformat(), entry.previous_hash, entry.entry_hash, position],
        )
    previous = entry.entry_hash
print("LEGACY-WRITTEN")
"""


def test_migrating_an_embedded_database_from_before_keys_seals_its_chains(tmp_path):
    env = _embedded(tmp_path)
    manage = str(ROOT / "manage.py")
    assert _run(env, manage, "migrate", "portal", "0008", "-v0").returncode == 0
    written = _run(env, "-c", LEGACY_ENTRIES, timeout=60)
    assert "LEGACY-WRITTEN" in written.stdout, written.stderr

    migrated = _run(env, manage, "migrate", "-v0")
    assert migrated.returncode == 0, migrated.stderr

    verified = _run(env, manage, "verify_audit", timeout=60)
    assert verified.returncode == 0, verified.stderr
    assert "Audit trail intact: 6 entries verified." in verified.stdout
    database = sqlite3.connect(tmp_path / "portal.sqlite3")
    seal = database.execute(
        "SELECT sequence, key_id IS NOT NULL, object_repr FROM portal_auditentry "
        "WHERE action = 'seal'"
    ).fetchall()
    assert [(row[0], row[1]) for row in seal] == [(4, 1)]
    assert seal[0][2].startswith("Audit chain sealed with key ")
    triggers = database.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'portal_auditentry'"
    ).fetchall()
    assert sorted(triggers) == [("portal_auditentry_no_delete",), ("portal_auditentry_no_update",)]


def _triggers(tmp_path) -> list[str]:
    database = sqlite3.connect(tmp_path / "portal.sqlite3")
    try:
        rows = database.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall()
    finally:
        database.close()
    return sorted(name for (name,) in rows)


def test_migrating_back_and_forward_again_keeps_the_append_only_triggers(tmp_path):
    env = _embedded(tmp_path)
    manage = str(ROOT / "manage.py")
    assert _run(env, manage, "migrate", "-v0").returncode == 0
    migrated = _triggers(tmp_path)
    assert {"portal_signature_no_update", "portal_auditentry_no_update"} <= set(migrated)

    back = _run(env, manage, "migrate", "portal", "0008", "-v0")
    assert back.returncode == 0, back.stderr
    assert {"portal_signature_no_update", "portal_signature_no_delete"} <= set(_triggers(tmp_path))

    again = _run(env, manage, "migrate", "-v0")
    assert again.returncode == 0, again.stderr
    assert _triggers(tmp_path) == migrated
