"""manage.py audit_checkpoint: anchor the audit chains' heads outside the database now."""

from django.core.management.base import BaseCommand

from portal import audit_checkpoints


class Command(BaseCommand):
    help = (
        "Append a signed checkpoint of every audit chain's head to AUDIT_CHECKPOINT_FILE and the "
        "log (Celery beat does it every 15 minutes; the deployment's migrate step after migrating)."
    )

    def handle(self, *args: object, **options: object) -> None:
        checkpoint = audit_checkpoints.write()
        if checkpoint is None:
            self.stdout.write("No audit chain moved since the last checkpoint.")
            return
        self.stdout.write(
            f"Wrote {checkpoint.label}: {len(checkpoint.heads)} chain head(s) anchored."
        )
