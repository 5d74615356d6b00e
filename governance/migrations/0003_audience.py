"""Audience on action items, risks and each section of a meeting's write-up.

New rows default to internal (fail closed). Every existing row was visible to the sponsor
before, so it stays visible: the data step sets them, and the items of stored agendas, to
`sponsor`.
"""

from django.db import migrations, models

AUDIENCE_CHOICES = [("sponsor", "Sponsor and CDMO"), ("internal", "CDMO internal")]


def _audience_field() -> models.CharField:
    return models.CharField(choices=AUDIENCE_CHOICES, default="internal", max_length=10)


def share_what_was_shared(apps, schema_editor):
    apps.get_model("governance", "ActionItem").objects.update(audience="sponsor")
    apps.get_model("governance", "Risk").objects.update(audience="sponsor")
    Meeting = apps.get_model("governance", "Meeting")
    Meeting.objects.update(minutes_audience="sponsor", decisions_audience="sponsor")
    for meeting in Meeting.objects.exclude(agenda=[]).only("pk", "agenda").iterator():
        for section in meeting.agenda:
            for item in section.get("items", []):
                item.setdefault("audience", "sponsor")
        meeting.save(update_fields=["agenda"])


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0002_meeting_occurrence_on"),
    ]

    operations = [
        migrations.AddField(model_name="actionitem", name="audience", field=_audience_field()),
        migrations.AddField(
            model_name="meeting", name="decisions_audience", field=_audience_field()
        ),
        migrations.AddField(model_name="meeting", name="minutes_audience", field=_audience_field()),
        migrations.AddField(model_name="risk", name="audience", field=_audience_field()),
        migrations.RunPython(share_what_was_shared, migrations.RunPython.noop),
    ]
