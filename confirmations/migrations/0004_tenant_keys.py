"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenancy.db_keys import TenantKeys, TenantOneToOneField


class Migration(migrations.Migration):

    dependencies = [
        ('confirmations', '0003_event_base'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
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
        migrations.AlterField(
            model_name='confirmation',
            name='act',
            field=TenantOneToOneField(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='confirmation', to='confirmations.act'),
        ),
        migrations.AlterField(
            model_name='signatureevidence',
            name='act',
            field=TenantOneToOneField(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='evidence', to='confirmations.act'),
        ),
        migrations.AddConstraint(
            model_name='actline',
            constraint=models.UniqueConstraint(fields=('act', 'position', 'tenant'), name='act_line_position_once'),
        ),
        migrations.AddConstraint(
            model_name='confirmation',
            constraint=models.UniqueConstraint(fields=('act', 'tenant'), name='confirmation_once_per_act'),
        ),
        migrations.AddConstraint(
            model_name='orderrating',
            constraint=models.UniqueConstraint(fields=('confirmation', 'order', 'tenant'), name='order_rated_once_per_confirmation'),
        ),
        migrations.AddConstraint(
            model_name='signatureevidence',
            constraint=models.UniqueConstraint(fields=('act', 'tenant'), name='signature_evidence_once_per_act'),
        ),
        TenantKeys(),
    ]
