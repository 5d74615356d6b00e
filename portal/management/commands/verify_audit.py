"""manage.py verify_audit: recompute every audit hash chain with the chain keys, check it against
the checkpoints kept outside the database, and name the first broken link of each chain (the
legacy trunk, the global chain, one chain per program; see `portal.audit`)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import audit_checkpoints
from portal.audit import BrokenLink, verify_chain
from portal.models import AuditEntry


def _where(link: BrokenLink) -> str:
    if link.program_id is None or link.legacy:
        return link.chain
    # The program model through the foreign key: the core imports no domain app.
    programs = AuditEntry._meta.get_field("program").related_model
    assert isinstance(programs, type)
    program = programs._default_manager.filter(pk=link.program_id).first()
    return f"program {program} (id {link.program_id})" if program else link.chain


def _describe(link: BrokenLink) -> str:
    if link.entry_id is None:
        return f"{_where(link)}: {link.problem}"
    return f"{_where(link)}: broken at entry {link.entry_id}: {link.problem}"


class Command(BaseCommand):
    help = (
        "Verify the audit trail: every chain's links and keyed hashes, and every chain head the "
        "checkpoints recorded. Names the first broken link of each chain and exits non-zero if "
        "there is one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoints",
            type=Path,
            help="The checkpoint file to verify against (default: AUDIT_CHECKPOINT_FILE).",
        )

    def handle(self, *args: object, **options: object) -> None:
        path = options["checkpoints"] or settings.AUDIT_CHECKPOINT_FILE
        assert isinstance(path, Path)
        checkpoints, problems = audit_checkpoints.read(path)
        first_of_chain: dict[str, BrokenLink] = {}
        for link in verify_chain(anchors=audit_checkpoints.anchors(checkpoints)):
            first_of_chain.setdefault(link.chain, link)
        if first_of_chain or problems:
            lines = [_describe(link) for link in first_of_chain.values()]
            raise CommandError(
                "Audit trail broken in "
                f"{len(lines)} chain(s) and {len(problems)} checkpoint(s); entries from each "
                "broken link on cannot be trusted.\n" + "\n".join([*lines, *problems])
            )
        count = AuditEntry.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} entries verified."))
        if checkpoints:
            self.stdout.write(
                f"Chain heads match {len(checkpoints)} checkpoint(s) in {path}, the latest "
                f"{checkpoints[-1].label}."
            )
        else:
            self.stdout.write(
                self.style.WARNING(
                    f"No checkpoints in {path}: entries removed from the end of a chain would "
                    "not show. Run `manage.py audit_checkpoint`, or let Celery beat write them."
                )
            )
