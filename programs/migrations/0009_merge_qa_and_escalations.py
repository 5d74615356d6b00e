"""Joins three branches of issue 9 and 10's work: QA assignments, the escalation event kind, and
the fan-out marker of events."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0008_event_fanned_out_at"),
        ("programs", "0008_event_kind_escalation"),
        ("programs", "0008_program_member_qa"),
    ]

    operations = []
