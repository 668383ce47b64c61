"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

from django.conf import settings
from django.db import migrations, models

from tenancy.db_keys import TenantKeys


class Migration(migrations.Migration):

    dependencies = [
        ('tenancy', '0009_outbound_mail_and_tenant_language'),
        ('contracts', '0001_initial'),  # Membership.client's table
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='notification',
            name='notification_once',
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.UniqueConstraint(fields=('user', 'dedupe_key', 'tenant'), name='notification_once'),
        ),
        TenantKeys(),
    ]
