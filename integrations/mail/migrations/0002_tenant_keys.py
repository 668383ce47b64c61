"""Composite (tenant_id, …) keys beside the inbound message's foreign keys to orders and comments
(tenancy.db_keys)."""

from django.db import migrations

from tenancy.db_keys import TenantKeys


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0001_inbound_message'),
    ]

    operations = [
        TenantKeys(),
    ]
