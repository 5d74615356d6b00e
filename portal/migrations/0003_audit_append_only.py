"""The database itself refuses UPDATE and DELETE on audit entries."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION portal_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER portal_auditentry_append_only
    BEFORE UPDATE OR DELETE ON portal_auditentry
    FOR EACH ROW EXECUTE FUNCTION portal_refuse_change();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
DROP FUNCTION IF EXISTS portal_refuse_change();
"""
SQLITE_UP = [
    """CREATE TRIGGER portal_auditentry_no_update BEFORE UPDATE ON portal_auditentry
       BEGIN SELECT RAISE(ABORT, 'portal_auditentry is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER portal_auditentry_no_delete BEFORE DELETE ON portal_auditentry
       BEGIN SELECT RAISE(ABORT, 'portal_auditentry is append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS portal_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS portal_auditentry_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        if isinstance(statements, str):
            statements = [statements]
        for statement in statements:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("portal", "0002_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        )
    ]
