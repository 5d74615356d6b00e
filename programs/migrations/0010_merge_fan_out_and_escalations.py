"""Joins two branches of issue 10's work: the fan-out marker of events and the escalation
event kind."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0008_event_fanned_out_at"),
        ("programs", "0009_event_kind_escalation"),
    ]

    operations = []
