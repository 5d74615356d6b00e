"""Every account that existed before allauth gets its email as its verified, primary allauth
address: those addresses were given by the CDMO's administrators and have been receiving the
portal's mail, and allauth's password reset and verification rules work from these rows.
No audit entries: the audit chain is written by the portal's services (with its hashing keys),
and this migration only records what was already true; the migration itself is the record."""

from django.db import migrations


def verify_existing(apps, schema_editor):
    User = apps.get_model("portal", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    for user in User.objects.exclude(email="").iterator():
        address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
        if address is None:
            EmailAddress.objects.filter(user=user, primary=True).update(primary=False)
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        elif not (address.verified and address.primary):
            EmailAddress.objects.filter(user=user, primary=True).update(primary=False)
            address.verified = True
            address.primary = True
            address.save(update_fields=["verified", "primary"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0017_audit_account_lifecycle_actions"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(verify_existing, migrations.RunPython.noop)]
