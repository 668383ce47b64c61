"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

from django.db import migrations

from tenancy.db_keys import TenantKeys


class Migration(migrations.Migration):

    dependencies = [
        ('reviews', '0002_event_base'),
    ]

    operations = [
        TenantKeys(),
    ]
