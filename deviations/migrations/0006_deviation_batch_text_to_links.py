"""The free-text `Deviation.batch` becomes links to `programs.Batch` rows.

Each comma- or semicolon-separated lot in the text is linked to the program's batch with that
lot number; a lot the program does not know yet is recorded as a pending batch planned on the
day the deviation occurred (QA completes its plan). The signed content of a deviation keeps the
key `batch`, now the linked lots joined by ", " (deviations.signed_content), so a signature over
a single lot, or lots already written that way, stays current.
"""

import re

from django.db import migrations

_SEPARATORS = re.compile(r"[,;]")
_NOT_LOT = re.compile(r"[^A-Za-z0-9._-]+")


def lots(text):
    for part in _SEPARATORS.split(text or ""):
        lot = _NOT_LOT.sub("-", part.strip()).strip("-._")[:40]
        if lot:
            yield lot


def forwards(apps, schema_editor):
    Deviation = apps.get_model("deviations", "Deviation")
    Batch = apps.get_model("programs", "Batch")
    for deviation in Deviation.objects.exclude(batch="").iterator():
        day = deviation.occurred_at.date()
        for lot in lots(deviation.batch):
            batch = Batch.objects.filter(
                program_id=deviation.program_id, lot_number__iexact=lot
            ).first()
            if batch is None:
                batch = Batch.objects.create(
                    program_id=deviation.program_id,
                    lot_number=lot,
                    planned_start=day,
                    planned_release=day,
                    quantity_committed=1,
                    quantity_unit="unknown",
                )
            deviation.batches.add(batch)


def backwards(apps, schema_editor):
    Deviation = apps.get_model("deviations", "Deviation")
    for deviation in Deviation.objects.prefetch_related("batches").iterator(chunk_size=500):
        deviation.batch = ", ".join(sorted(b.lot_number for b in deviation.batches.all()))[:60]
        deviation.save(update_fields=["batch"])


class Migration(migrations.Migration):
    dependencies = [
        ("deviations", "0005_deviation_batches"),
        ("programs", "0012_alter_event_kind_batch_kpitarget"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(model_name="deviation", name="batch"),
    ]
