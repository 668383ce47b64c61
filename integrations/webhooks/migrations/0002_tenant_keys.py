"""Unique constraints of deliveries include the tenant; composite (tenant_id, …) keys beside the
foreign keys between tenant tables (tenancy.db_keys)."""

from django.db import migrations, models

from tenancy.db_keys import TenantKeys


class Migration(migrations.Migration):

    dependencies = [
        ('webhooks', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='delivery',
            name='webhook_delivery_once_per_endpoint',
        ),
        migrations.AlterField(
            model_name='delivery',
            name='message_id',
            field=models.CharField(max_length=64, verbose_name='webhook-id'),
        ),
        migrations.AddConstraint(
            model_name='delivery',
            constraint=models.UniqueConstraint(fields=('endpoint', 'event_key', 'tenant'), name='webhook_delivery_once_per_endpoint'),
        ),
        migrations.AddConstraint(
            model_name='delivery',
            constraint=models.UniqueConstraint(fields=('message_id', 'tenant'), name='webhook_delivery_message_id_once'),
        ),
        TenantKeys(),
    ]
