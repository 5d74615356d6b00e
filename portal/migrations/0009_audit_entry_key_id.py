"""Audit entries name the chain key that signed their hash (empty: hashed before keys)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0008_audit_client_request_id'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='key_id',
            field=models.CharField(blank=True, editable=False, help_text='Which chain key signed the hash (a digest of the key); empty: unkeyed SHA-256.', max_length=16, null=True),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('create', 'Created'), ('update', 'Updated'), ('delete', 'Deleted'), ('access', 'Access'), ('sign', 'Signed'), ('sign_fail', 'Signature refused'), ('seal', 'Audit chain sealed')], max_length=10),
        ),
    ]
