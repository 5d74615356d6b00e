"""Cost lines carry an audience. New lines default to internal (fail closed); every existing
line was listed to the sponsor before, so it stays shared."""

from django.db import migrations, models


def share_existing_lines(apps, schema_editor):
    CostLine = apps.get_model("programs", "CostLine")
    CostLine.objects.update(audience="sponsor")


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0005_program_version_event_subject"),
    ]

    operations = [
        migrations.AddField(
            model_name="costline",
            name="audience",
            field=models.CharField(
                choices=[("sponsor", "Sponsor and CDMO"), ("internal", "CDMO internal")],
                default="internal",
                max_length=10,
            ),
        ),
        migrations.RunPython(share_existing_lines, migrations.RunPython.noop),
    ]
