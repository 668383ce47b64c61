"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

from django.conf import settings
from django.db import migrations, models

from tenancy.db_keys import TenantKeys


class Migration(migrations.Migration):

    dependencies = [
        ('disputes', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='dispute',
            name='dispute_one_open_per_act',
        ),
        migrations.RemoveConstraint(
            model_name='dispute',
            name='dispute_one_open_per_invoice_line',
        ),
        migrations.AddConstraint(
            model_name='dispute',
            constraint=models.UniqueConstraint(condition=models.Q(('state__in', ['negotiation', 'mediation', 'arbitration'])), fields=('act', 'tenant'), name='dispute_one_open_per_act'),
        ),
        migrations.AddConstraint(
            model_name='dispute',
            constraint=models.UniqueConstraint(condition=models.Q(('state__in', ['negotiation', 'mediation', 'arbitration'])), fields=('invoice_line', 'tenant'), name='dispute_one_open_per_invoice_line'),
        ),
        TenantKeys(),
    ]
