"""Seal keys under a key list (SEAL_KEYS) with a key id per row, several certificates per tenant with
one current, the signing lockout table (RLS on), and an index for finding an act by its PDF's hash.

Existing certificates stay current and get the id of the configured key that decrypts them (the
default list is the SECRET_KEY, which encrypted them until now); a row no configured key opens keeps
a blank id and is reported by `manage.py rotate_seal_keys`. Runs tenant by tenant inside that
tenant's context, so row-level security lets exactly its rows through.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenancy.context import reset_tenant, set_tenant
from tenancy.rls import EnableRowLevelSecurity


def name_keys(apps, schema_editor):
    from confirmations import seal_keys

    alias = schema_editor.connection.alias
    Tenant = apps.get_model("tenancy", "Tenant")
    TenantCertificate = apps.get_model("confirmations", "TenantCertificate")
    for tenant_id in list(Tenant.objects.using(alias).values_list("pk", flat=True)):
        token = set_tenant(tenant_id)
        try:
            for row in TenantCertificate.objects.using(alias).filter(tenant_id=tenant_id, key_id=""):
                try:
                    _plain, key_id = seal_keys.decrypt(bytes(row.encrypted_key))
                except seal_keys.SealKeyUnavailable:
                    continue
                TenantCertificate.objects.using(alias).filter(pk=row.pk).update(key_id=key_id)
        finally:
            reset_tenant(token)


class Migration(migrations.Migration):

    dependencies = [
        ('confirmations', '0001_initial'),
        ('tenancy', '0003_notification'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SigningLockout',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('failures', models.PositiveSmallIntegerField(default=0)),
                ('window_started_at', models.DateTimeField(blank=True, null=True)),
                ('locked_until', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.AlterModelOptions(
            name='tenantcertificate',
            options={'ordering': ['-created_at', '-id']},
        ),
        migrations.RemoveConstraint(
            model_name='tenantcertificate',
            name='one_certificate_per_tenant',
        ),
        migrations.AddField(
            model_name='tenantcertificate',
            name='is_current',
            field=models.BooleanField(default=True, help_text='The one new seals are made with.'),
        ),
        migrations.AddField(
            model_name='tenantcertificate',
            name='key_id',
            field=models.CharField(blank=True, help_text='Which of SEAL_KEYS encrypts the private key (blank: not known yet).', max_length=32),
        ),
        migrations.AddField(
            model_name='tenantcertificate',
            name='replaced_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='act',
            name='pdf_sha256',
            field=models.CharField(blank=True, db_index=True, max_length=64, verbose_name='SHA-256 of the PDF'),
        ),
        migrations.AlterField(
            model_name='tenantcertificate',
            name='fingerprint',
            field=models.CharField(db_index=True, max_length=64),
        ),
        migrations.AddConstraint(
            model_name='tenantcertificate',
            constraint=models.UniqueConstraint(condition=models.Q(('is_current', True)), fields=('tenant',), name='one_current_certificate_per_tenant'),
        ),
        migrations.AddField(
            model_name='signinglockout',
            name='tenant',
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.tenant', verbose_name='tenant'),
        ),
        migrations.AddField(
            model_name='signinglockout',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name='signinglockout',
            constraint=models.UniqueConstraint(fields=('tenant', 'user'), name='one_signing_lockout_per_user'),
        ),
        EnableRowLevelSecurity('SigningLockout'),
        migrations.RunPython(name_keys, migrations.RunPython.noop),
    ]
