"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

from django.conf import settings
from django.db import migrations, models

from tenancy.db_keys import TenantKeys


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
