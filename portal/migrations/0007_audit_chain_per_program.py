"""Audit chains per program (see `portal.audit`): each entry gets its position in its chain.

No data migration: the table is append-only (0003's triggers still refuse UPDATE and DELETE, and
nothing here rebuilds the table, on SQLite either: the column is nullable and every constraint is
conditional, so each is an ALTER TABLE ADD COLUMN or a CREATE INDEX). Existing entries keep an
empty sequence and are verified as the legacy global trunk that every new chain starts from.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0006_site_holidays"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="sequence",
            field=models.PositiveBigIntegerField(
                blank=True,
                editable=False,
                help_text="Position in its chain (1, 2, …); empty on legacy entries.",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("sequence__isnull", True)),
                fields=["id"],
                name="portal_audit_legacy_trunk",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("sequence__isnull", False)),
                fields=("program", "sequence"),
                name="portal_audit_one_entry_per_program_position",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(
                condition=models.Q(("program__isnull", True)),
                fields=("sequence",),
                name="portal_audit_one_entry_per_global_position",
            ),
        ),
    ]
