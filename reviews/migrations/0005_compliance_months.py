"""The home pages' compliance trend, counted per contract and closed month (reviews.compliance)."""

import django.db.models.deletion
from django.db import migrations, models

from tenancy.db_keys import TenantKeys
from tenancy.rls import EnableRowLevelSecurity


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0009_tenant_keys'),
        ('reviews', '0004_alter_reviewevent_kind'),
        ('tenancy', '0011_people'),
    ]

    operations = [
        migrations.CreateModel(
            name='ComplianceMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('time_zone', models.CharField(max_length=64)),
                ('month', models.DateField()),
                ('metric', models.CharField(max_length=16)),
                ('clocks', models.PositiveIntegerField(default=0)),
                ('met', models.PositiveIntegerField(default=0)),
                ('breached', models.PositiveIntegerField(default=0)),
                ('contract', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contracts.contract')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.tenant', verbose_name='tenant')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('tenant', 'time_zone', 'month', 'contract', 'metric'), name='compliance_month_once')],
            },
        ),
        migrations.CreateModel(
            name='CountedMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('time_zone', models.CharField(max_length=64)),
                ('month', models.DateField()),
                ('counted_at', models.DateTimeField()),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.tenant', verbose_name='tenant')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('tenant', 'time_zone', 'month'), name='counted_month_once')],
            },
        ),
        EnableRowLevelSecurity('ComplianceMonth'),
        EnableRowLevelSecurity('CountedMonth'),
        TenantKeys(),
    ]
