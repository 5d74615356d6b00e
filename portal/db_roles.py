"""Database roles on PostgreSQL: the owner that migrates, the runtime role the portal runs as.

The owner role owns the tables and runs `manage.py migrate`; nothing else uses it. The web,
worker and beat processes connect as the runtime role, which `grant_runtime_role` (run by the
owner after every migration: `manage.py db_roles`) sets up as follows:

- SELECT and INSERT only on the append-only tables (`APPEND_ONLY_MODELS`): the audit trail and
  the signatures. No UPDATE or DELETE (the triggers refuse those to anyone as well), and nothing
  of the chain needs updating: a chain's head is its last row, found by SELECT, and appends are
  serialised by advisory locks, which need no privilege.
- SELECT only on `django_migrations`: the runtime role cannot record a migration as applied.
- SELECT, INSERT, UPDATE and DELETE on every other table, and USAGE on the sequences.
- Nothing else: no TRUNCATE anywhere (so `manage.py flush` fails too), no TRIGGER or REFERENCES,
  no CREATE on the schema, no ownership; it cannot drop or alter a trigger or a table, or migrate.

Default privileges give tables that later migrations create the ordinary DML; the next
`db_roles` (compose runs it after every migrate) narrows a new append-only table to SELECT and
INSERT. `runtime_role_problems` says what a role may do beyond this; `db_roles --check` reports
it for any role, by default the one the process connects as.

The embedded SQLite database has no roles: none of this applies to `make run`.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

# Rows that are never changed or removed once written. A new append-only table joins here.
APPEND_ONLY_MODELS = ("portal.AuditEntry", "portal.Signature")
ORDINARY = "SELECT, INSERT, UPDATE, DELETE"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_ROLE_ATTRIBUTES = {
    "rolsuper": "is a superuser",
    "rolcreaterole": "may create roles",
    "rolcreatedb": "may create databases",
    "rolreplication": "may replicate",
    "rolbypassrls": "bypasses row-level security",
}


class RoleError(Exception):
    """The runtime role cannot be set up as asked; the message says why."""


def append_only_tables() -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in APPEND_ONLY_MODELS]


def _quoted(role: str) -> str:
    if not _ROLE_NAME.match(role):
        raise RoleError(
            f"{role!r} is not a role name the portal accepts: lower-case letters, digits and _."
        )
    return connection.ops.quote_name(role)


def _one(sql: str, params: list[str] | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


def _tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
        return [name for (name,) in cursor.fetchall()]


def runtime_role_problems(role: str) -> list[str]:
    """What `role` may do beyond what the runtime role should, one sentence each; empty when
    it is exactly the runtime role described above."""
    _quoted(role)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(_ROLE_ATTRIBUTES)} FROM pg_roles WHERE rolname = %s",  # noqa: S608
            [role],
        )
        attributes = cursor.fetchone()
        if attributes is None:
            return [f"role {role} does not exist"]
        problems = [
            f"{role} {meaning}"
            for meaning, present in zip(_ROLE_ATTRIBUTES.values(), attributes, strict=True)
            if present
        ]
        cursor.execute(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND pg_has_role(%s, tableowner, 'USAGE') ORDER BY 1",
            [role],
        )
        problems += [
            f"{role} acts as {owner}, which owns tables (it could alter them, drop their "
            "triggers and rewrite them)"
            for (owner,) in cursor.fetchall()
        ]
        if _one("SELECT has_schema_privilege(%s, current_schema(), 'CREATE')", [role]):
            problems.append(f"{role} may create objects in the schema")
        append_only = set(append_only_tables())
        read_only = {MigrationRecorder.Migration._meta.db_table}
        elsewhere: dict[str, list[str]] = {}  # privilege -> ordinary tables it is held on
        for table in _tables():
            refused: tuple[str, ...]
            needed: tuple[str, ...]
            if table in append_only:
                refused, needed = ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER"), ("SELECT", "INSERT")
            elif table in read_only:
                refused, needed = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER"), ()
            else:
                for privilege in ("TRUNCATE", "TRIGGER"):
                    if _one("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege]):
                        elsewhere.setdefault(privilege, []).append(table)
                continue
            for privilege in refused:
                if _one("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege]):
                    problems.append(f"{role} may {privilege} {table}")
            for privilege in needed:
                if not _one("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege]):
                    problems.append(f"{role} may not {privilege} {table}, which the portal needs")
        problems += [
            f"{role} may {privilege} {len(tables)} other table(s): {', '.join(tables[:3])}"
            + (" …" if len(tables) > 3 else "")
            for privilege, tables in elsewhere.items()
        ]
    return problems


def grant_runtime_role(role: str, *, password: str = "") -> list[str]:
    """Create the runtime role if it is missing (with `password`), set its password if given,
    and set its privileges as described above, in one transaction. Run as the owner, after
    migrating; idempotent. Returns what it did, one line each."""
    if connection.vendor != "postgresql":
        raise RoleError("Database roles are PostgreSQL's: the embedded SQLite database has none.")
    name = _quoted(role)
    with transaction.atomic():
        owner = str(_one("SELECT current_user"))
        if role == owner:
            raise RoleError(f"{role} is the role this runs as (the owner): name another role.")
        done = []
        exists = _one("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        with connection.cursor() as cursor:
            if not exists:
                if not password:
                    raise RoleError(
                        f"Role {role} does not exist: give DATABASE_RUNTIME_PASSWORD to create it."
                    )
                cursor.execute(
                    f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    "NOREPLICATION NOBYPASSRLS PASSWORD %s",
                    [password],
                )
                done.append(f"created role {role}")
            elif password:
                cursor.execute(f"ALTER ROLE {name} WITH LOGIN PASSWORD %s", [password])
                done.append(f"set the password of {role}")
            database = connection.ops.quote_name(str(_one("SELECT current_database()")))
            schema = connection.ops.quote_name(str(_one("SELECT current_schema()")))
            for statement in (
                f"GRANT CONNECT ON DATABASE {database} TO {name}",
                f"GRANT USAGE ON SCHEMA {schema} TO {name}",
                f"REVOKE CREATE ON SCHEMA {schema} FROM {name}",
                f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {name}",
                f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {name}",
                f"GRANT {ORDINARY} ON ALL TABLES IN SCHEMA {schema} TO {name}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT {ORDINARY} ON TABLES TO {name}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
                f"GRANT USAGE, SELECT ON SEQUENCES TO {name}",
            ):
                cursor.execute(statement)
            for table in append_only_tables():
                cursor.execute(f"REVOKE UPDATE, DELETE ON {table} FROM {name}")
            migrations = MigrationRecorder.Migration._meta.db_table
            cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON {migrations} FROM {name}")
            if _one("SELECT has_schema_privilege(%s, current_schema(), 'CREATE')", [role]):
                # Granted to PUBLIC (PostgreSQL before 15): no role but the owner needs it here.
                cursor.execute(f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC")
                done.append(f"revoked CREATE on schema {schema} from PUBLIC")
        problems = runtime_role_problems(role)
        if problems:
            raise RoleError(
                f"{role} would still be able to rewrite the audit trail: " + "; ".join(problems)
            )
    tables = append_only_tables()
    done += [
        f"{role}: SELECT, INSERT on {', '.join(tables)}",
        f"{role}: SELECT on {MigrationRecorder.Migration._meta.db_table}",
        f"{role}: {ORDINARY} on every other table (also those created later by {owner})",
        f"{role}: no TRUNCATE, no TRIGGER, no CREATE, owns nothing",
    ]
    return done
