"""manage.py verify_audit: recompute every audit hash chain and name the first broken link of
each (the legacy trunk, the global chain, one chain per program; see `portal.audit`)."""

from django.core.management.base import BaseCommand, CommandError

from portal.audit import BrokenLink, verify_chain
from portal.models import AuditEntry


def _describe(link: BrokenLink) -> str:
    if link.program_id is None or link.legacy:
        where = link.chain
    else:
        program = AuditEntry.objects.select_related("program").get(pk=link.entry_id).program
        where = f"program {program} (id {link.program_id})"
    return f"{where}: broken at entry {link.entry_id}: {link.problem}"


class Command(BaseCommand):
    help = (
        "Verify the audit trail's hash chains; names the first broken link of each chain and "
        "exits non-zero if there is one."
    )

    def handle(self, *args: object, **options: object) -> None:
        first_of_chain: dict[str, BrokenLink] = {}
        for link in verify_chain():
            first_of_chain.setdefault(link.chain, link)
        if first_of_chain:
            lines = [_describe(link) for link in first_of_chain.values()]
            raise CommandError(
                "Audit trail broken in "
                f"{len(lines)} chain(s); entries from each broken link on cannot be trusted.\n"
                + "\n".join(lines)
            )
        count = AuditEntry.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} entries verified."))
