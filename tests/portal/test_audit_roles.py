"""The runtime database role cannot rewrite the audit trail (PostgreSQL; docs/audit-trail.md).

Each test sets up a runtime role of its own with `db_roles`, as the owner does after migrating,
then connects as it on a separate connection and tries every way of rewriting history: each is
refused. The portal's ordinary writes still work as that role. The owner can still rewrite (it
owns the tables); what it rewrites without the chain key is reported, in test_audit_keys.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from comms.services.updates import update_post
from portal import audit
from portal.db_roles import grant_runtime_role, runtime_role_problems
from portal.models import AuditEntry, Signature
from portal.signatures import signature_sign
from programs.models import Program
from programs.services.health import program_override_health
from tests.factories import PASSWORD
from tests.support.audit import append, rewrite, sha256

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Every way the runtime role could rewrite or unprotect the audit trail and the signatures.
REWRITES = [
    "UPDATE portal_auditentry SET reason = 'edited'",
    "DELETE FROM portal_auditentry",
    "TRUNCATE portal_auditentry",
    "TRUNCATE portal_auditentry CASCADE",
    "UPDATE portal_signature SET meaning = 'reviewed'",
    "DELETE FROM portal_signature",
    "TRUNCATE portal_signature",
    "DROP TRIGGER portal_auditentry_append_only ON portal_auditentry",
    "DROP TRIGGER portal_signature_append_only ON portal_signature",
    "ALTER TRIGGER portal_auditentry_append_only ON portal_auditentry RENAME TO gone",
    "ALTER TABLE portal_auditentry DISABLE TRIGGER ALL",
    "ALTER TABLE portal_signature DISABLE TRIGGER portal_signature_append_only",
    "ALTER TABLE portal_auditentry ADD COLUMN note text",
    "ALTER TABLE portal_auditentry RENAME TO portal_auditentry_old",
    "DROP TABLE portal_auditentry",
    "DROP TABLE portal_signature CASCADE",
    "CREATE TRIGGER sneak BEFORE INSERT ON portal_auditentry "
    "FOR EACH ROW EXECUTE FUNCTION portal_refuse_change()",
    "CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger "
    "AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql",
    "DROP FUNCTION portal_refuse_change() CASCADE",
    "SET session_replication_role = replica",
    "CREATE TABLE portal_auditentry_copy (id bigint)",
    "TRUNCATE programs_program CASCADE",
    "INSERT INTO django_migrations (app, name, applied) VALUES ('portal', '9999_x', now())",
    "DELETE FROM django_migrations",
]


@dataclass(frozen=True)
class RuntimeRole:
    name: str
    password: str

    @property
    def url(self) -> str:
        params = connection.settings_dict
        host, port = params["HOST"] or "127.0.0.1", params["PORT"] or 5432
        return f"postgres://{self.name}:{self.password}@{host}:{port}/{params['NAME']}"

    def connect(self) -> psycopg.Connection:
        """A connection of its own, logged in as the role (not the test's SET ROLE)."""
        params = connection.settings_dict
        return psycopg.connect(
            host=params["HOST"] or "127.0.0.1",
            port=params["PORT"] or 5432,
            dbname=params["NAME"],
            user=self.name,
            password=self.password,
            autocommit=True,
        )


@pytest.fixture
def runtime_role() -> Iterator[RuntimeRole]:
    """A runtime role of this test's own, set up as `db_roles` sets it up, dropped afterwards."""
    role = RuntimeRole(f"portal_rt_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex)
    grant_runtime_role(role.name, password=role.password)
    try:
        yield role
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
            cursor.execute(f"DROP OWNED BY {role.name}")
            cursor.execute(f"DROP ROLE {role.name}")


@contextmanager
def acting_as(role: RuntimeRole) -> Iterator[None]:
    """Django's own connection with the runtime role's privileges, for real portal code."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET ROLE {role.name}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def _signed(world) -> Signature:
    return signature_sign(
        signer=world.staff,
        password=PASSWORD,
        record=world.program,
        meaning="approved",
        program_id=world.program.pk,
    )


@pytest.mark.clause("21 CFR 11.10(c)")
@pytest.mark.clause("EU GMP Annex 11 §7.1")
def test_the_runtime_role_is_refused_every_rewrite_of_the_audit_trail(world, runtime_role):
    update_post(actor=world.pm, program=world.program, title="Fill line qualified", body="Done.")
    _signed(world)
    entries, signatures = AuditEntry.objects.count(), Signature.objects.count()

    accepted = []
    with runtime_role.connect() as conn:
        assert conn.execute("SELECT current_user").fetchone() == (runtime_role.name,)
        for statement in REWRITES:
            try:
                conn.execute(statement)
            except psycopg.errors.InsufficientPrivilege:
                continue
            accepted.append(statement)

    assert accepted == []
    assert (AuditEntry.objects.count(), Signature.objects.count()) == (entries, signatures)
    assert not AuditEntry.objects.filter(reason="edited").exists()
    assert list(audit.verify_chain()) == []


def test_flush_as_the_runtime_role_is_refused(world, runtime_role):
    update_post(actor=world.pm, program=world.program, title="Fill line qualified", body="Done.")
    entries = AuditEntry.objects.count()

    with acting_as(runtime_role), pytest.raises(CommandError, match="couldn't be flushed"):
        call_command("flush", "--noinput", verbosity=0)

    assert AuditEntry.objects.count() == entries
    assert Program.objects.filter(pk=world.program.pk).exists()


def test_the_portal_writes_as_the_runtime_role(world, runtime_role):
    with acting_as(runtime_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (runtime_role.name,)
        update = update_post(actor=world.pm, program=world.program, title="Qualified", body="Ok")
        program_override_health(
            actor=world.pm, program=world.program, health="red", reason="Resin short"
        )
        signature = _signed(world)
        audit.seal_chains()
        call_command("audit_checkpoint", verbosity=0)
        call_command("verify_audit", verbosity=0)

    world.program.refresh_from_db()
    assert world.program.health == "red"
    assert AuditEntry.objects.filter(model="comms.update", object_pk=str(update.pk)).exists()
    assert Signature.objects.filter(pk=signature.pk).exists()


def test_db_roles_check_passes_the_runtime_role_and_names_what_the_owner_may_do(
    runtime_role, capsys
):
    call_command("db_roles", "--check", "--runtime-role", runtime_role.name)
    assert "may only append to the audit trail" in capsys.readouterr().out

    with pytest.raises(CommandError) as owner:
        call_command("db_roles", "--check")  # the role this test connects as
    assert "is a superuser" in str(owner.value)
    assert "may UPDATE portal_auditentry" in str(owner.value)
    assert "may TRUNCATE portal_signature" in str(owner.value)


def test_db_roles_again_takes_back_what_the_runtime_role_was_given_since(runtime_role, capsys):
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT UPDATE, TRUNCATE ON portal_auditentry TO {runtime_role.name}")
        cursor.execute(f"GRANT TRUNCATE ON programs_program TO {runtime_role.name}")
    assert runtime_role_problems(runtime_role.name) == [
        f"{runtime_role.name} may UPDATE portal_auditentry",
        f"{runtime_role.name} may TRUNCATE portal_auditentry",
        f"{runtime_role.name} may TRUNCATE 1 other table(s): programs_program",
    ]

    call_command("db_roles", "--runtime-role", runtime_role.name)

    assert runtime_role_problems(runtime_role.name) == []
    assert f"{runtime_role.name}: SELECT, INSERT on portal_auditentry" in capsys.readouterr().out


def test_db_roles_refuses_to_create_a_role_without_a_password_or_to_hand_out_the_owner():
    with pytest.raises(CommandError, match="give DATABASE_RUNTIME_PASSWORD to create it"):
        call_command("db_roles", "--runtime-role", f"portal_rt_{uuid.uuid4().hex[:12]}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match="is the role this runs as"):
        call_command("db_roles", "--runtime-role", owner)


def test_verify_audit_run_as_the_runtime_role_exits_non_zero_naming_what_the_owner_rewrote(
    world, runtime_role
):
    entries = [append(world.program) for _ in range(8)]
    # As the owner: drop the trigger, edit entry 5, recompute the chain the unkeyed way.
    rewrite(entries[4:], reason="nothing to see", sign=sha256, key_id=None)

    result = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DEBUG": "1",  # the testing switch is refused without it (portal/settings.py)
            "DATABASE_URL": runtime_role.url,
            "AUDIT_CHECKPOINT_FILE": str(settings.AUDIT_CHECKPOINT_FILE),
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"broken at entry {entries[4].id}: {audit.NO_KEY_AFTER_KEY}" in result.stderr
