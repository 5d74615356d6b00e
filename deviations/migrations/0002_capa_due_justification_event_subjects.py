from django.db import migrations, models

DEVIATION_URL = "/deviations/{reference}/"


def tie_events_to_deviations(apps, schema_editor):
    """Events written before they had a typed subject named their deviation only by its page's
    URL. Tie each one to its deviation (steps on a root cause, CAPA or extension included: the
    old rows do not say which one), so that the deviation's timeline reads subjects alone."""
    Deviation = apps.get_model("deviations", "Deviation")
    Event = apps.get_model("programs", "Event")
    for pk, reference in Deviation.objects.values_list("pk", "reference").iterator():
        Event.objects.filter(
            subject_type="", url=DEVIATION_URL.format(reference=reference)
        ).update(subject_type="deviations.deviation", subject_id=str(pk))


class Migration(migrations.Migration):
    dependencies = [
        ("deviations", "0001_initial"),
        ("programs", "0005_program_version_event_subject"),
    ]

    operations = [
        migrations.AddField(
            model_name="capa",
            name="due_justification",
            field=models.TextField(
                blank=True, help_text="Why it is due after the agreement's CAPA window, if it is."
            ),
        ),
        migrations.AlterField(
            model_name="capa",
            name="due_date",
            field=models.DateField(
                help_text="Within the quality agreement's CAPA window unless justified."
            ),
        ),
        migrations.RunPython(tie_events_to_deviations, migrations.RunPython.noop),
    ]
