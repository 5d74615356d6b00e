"""The embedded database (SQLite) enforces the same append-only rule and keeps the same
per-program chains, whatever the suite runs on (the migrations must not drop its triggers)."""

import os
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


def test_sqlite_refuses_update_and_delete_on_audit_rows(tmp_path):
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
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True, timeout=120)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "REFUSED-BOTH" in result.stdout
    assert "Audit trail intact: 2 entries verified." in result.stdout
