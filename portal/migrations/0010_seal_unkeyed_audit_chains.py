"""Seal every audit chain written before chain keys with a keyed entry (see `portal.audit`).

Entries hashed without a key stay as they are (the table is append-only, and re-hashing history
would be the very tampering the chain exists to expose). Each chain whose last entry has no key
gets one `seal` entry, signed with AUDIT_CHAIN_KEY, that links to that last entry: from here on
an edit of any unkeyed entry, recomputed or not, breaks a link that only the key can re-sign.
A new database has no entries and gets no seal. Going back leaves the seals: they are history.
"""

from django.db import migrations


def seal(apps, schema_editor):
    from portal.audit import seal_chains

    seal_chains(apps.get_model("portal", "AuditEntry"))


class Migration(migrations.Migration):
    dependencies = [("portal", "0009_audit_entry_key_id")]

    operations = [migrations.RunPython(seal, migrations.RunPython.noop)]
