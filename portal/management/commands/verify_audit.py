"""manage.py verify_audit: recompute the audit hash chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from portal.audit import verify_chain
from portal.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exits non-zero at the first broken link."

    def handle(self, *args: object, **options: object) -> None:
        broken = next(verify_chain(), None)
        if broken is not None:
            raise CommandError(
                f"Audit trail broken at entry {broken.entry_id}: {broken.problem}. "
                "Entries from there on cannot be trusted."
            )
        count = AuditEntry.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} entries verified."))
