"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tenancy.db_keys import TenantKeys, TenantOneToOneField


class Migration(migrations.Migration):

    dependencies = [
        ('sla', '0005_target_at_most_a_year'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='forcemajeure',
            name='force_majeure_one_open_per_contract',
        ),
        migrations.RemoveConstraint(
            model_name='slaclock',
            name='sla_clock_one_per_metric',
        ),
        migrations.RemoveConstraint(
            model_name='slapolicy',
            name='sla_policy_one_per_priority',
        ),
        migrations.AlterField(
            model_name='breach',
            name='clock',
            field=TenantOneToOneField(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='breach', to='sla.slaclock'),
        ),
        migrations.AddConstraint(
            model_name='breach',
            constraint=models.UniqueConstraint(fields=('clock', 'tenant'), name='breach_once_per_clock'),
        ),
        migrations.AddConstraint(
            model_name='forcemajeure',
            constraint=models.UniqueConstraint(condition=models.Q(('lifted_at__isnull', True)), fields=('contract', 'tenant'), name='force_majeure_one_open_per_contract'),
        ),
        migrations.AddConstraint(
            model_name='slaclock',
            constraint=models.UniqueConstraint(fields=('order', 'metric', 'tenant'), name='sla_clock_one_per_metric'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.UniqueConstraint(fields=('contract', 'priority', 'tenant'), name='sla_policy_one_per_priority'),
        ),
        TenantKeys(),
    ]
