from django.db import migrations, models


class Migration(migrations.Migration):
    """New updates and comments are internal unless someone decides otherwise (fail closed).
    Existing rows keep the audience they were written with, which is the one they had."""

    dependencies = [
        ("comms", "0006_comment_deviation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="comment",
            name="audience",
            field=models.CharField(
                choices=[("sponsor", "Sponsor and CDMO"), ("internal", "CDMO internal")],
                default="internal",
                help_text="Internal until someone decides the sponsor should see it (fail closed).",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="update",
            name="audience",
            field=models.CharField(
                choices=[("sponsor", "Sponsor and CDMO"), ("internal", "CDMO internal")],
                default="internal",
                help_text="Internal until someone decides the sponsor should see it (fail closed).",
                max_length=10,
            ),
        ),
    ]
