"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

from django.db import migrations, models

from tenancy.db_keys import TenantKeys


class Migration(migrations.Migration):

    dependencies = [
        ('confirmations', '0003_event_base'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='actline',
            name='act_line_position_once',
        ),
        migrations.RemoveConstraint(
            model_name='orderrating',
            name='order_rated_once_per_confirmation',
        ),
        migrations.AddConstraint(
            model_name='actline',
            constraint=models.UniqueConstraint(fields=('act', 'position', 'tenant'), name='act_line_position_once'),
        ),
        migrations.AddConstraint(
            model_name='orderrating',
            constraint=models.UniqueConstraint(fields=('confirmation', 'order', 'tenant'), name='order_rated_once_per_confirmation'),
        ),
        TenantKeys(),
    ]
