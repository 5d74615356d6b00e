"""manage.py audit_seal: seal every audit chain with the current chain key (after a rotation)."""

from django.core.management.base import BaseCommand

from portal.audit import current_key, seal_chains


class Command(BaseCommand):
    help = (
        "Append a seal entry, signed with the current AUDIT_CHAIN_KEY, to every audit chain whose "
        "last entry is signed with a retired key (or none). Run it after rotating the key; safe "
        "to run again."
    )

    def handle(self, *args: object, **options: object) -> None:
        sealed = seal_chains()
        key_id = current_key().key_id
        self.stdout.write(f"Sealed {len(sealed)} chain(s) with key {key_id}.")
