"""Signatures record which definition of the signed content they hashed (docs/signatures.md).

Every signature stored before this migration hashed the record's row (version 1), so 1 is the
default and those signatures stay checked exactly as they were made. On SQLite, adding a NOT NULL
column (or removing it, when migrating back) makes Django rebuild the table, which drops the
append-only triggers of 0005: they are created again after each rebuild, from 0005's own
statements (only where the rebuild did drop them: migrating back, Django removes the column
without a rebuild when SQLite can drop it in place). PostgreSQL adds the column in place and
keeps its trigger (adding a column with a default fires no UPDATE trigger).
"""

import importlib

from django.db import migrations, models

signature_migration = importlib.import_module("portal.migrations.0005_signature")


def _recreate_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in signature_migration.SQLITE_UP:
        schema_editor.execute(
            statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1), params=None
        )


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0008_audit_client_request_id"),
    ]

    operations = [
        # Migrating back: the rebuild that removes the column has just dropped the triggers.
        migrations.RunPython(migrations.RunPython.noop, _recreate_sqlite_triggers),
        migrations.AddField(
            model_name="signature",
            name="content_version",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="Which definition of the record's signed content was hashed: 1 is the "
                "record's row as stored; a record type may define its own from 2 "
                "(portal.signatures).",
            ),
        ),
        migrations.RunPython(_recreate_sqlite_triggers, migrations.RunPython.noop),
    ]
