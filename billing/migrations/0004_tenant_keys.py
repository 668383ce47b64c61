"""Unique constraints between tenant rows include the tenant; composite (tenant_id, …) keys
beside the foreign keys between tenant tables (tenancy.db_keys)."""

from django.db import migrations, models

from tenancy.db_keys import TenantKeys


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0003_event_base'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='invoice',
            name='invoice_once_per_contract_period',
        ),
        migrations.RemoveConstraint(
            model_name='invoiceline',
            name='invoice_line_position_once',
        ),
        migrations.RemoveConstraint(
            model_name='invoicelineact',
            name='invoice_line_act_once',
        ),
        migrations.RemoveConstraint(
            model_name='invoicelinebreach',
            name='invoice_line_breach_once',
        ),
        migrations.RemoveConstraint(
            model_name='invoicelineconfirmation',
            name='invoice_line_confirmation_once',
        ),
        migrations.RemoveConstraint(
            model_name='ratingband',
            name='rating_band_once_per_threshold',
        ),
        migrations.AddConstraint(
            model_name='invoice',
            constraint=models.UniqueConstraint(fields=('contract', 'period_start', 'period_end', 'tenant'), name='invoice_once_per_contract_period'),
        ),
        migrations.AddConstraint(
            model_name='invoiceline',
            constraint=models.UniqueConstraint(fields=('invoice', 'position', 'tenant'), name='invoice_line_position_once'),
        ),
        migrations.AddConstraint(
            model_name='invoicelineact',
            constraint=models.UniqueConstraint(fields=('line', 'act', 'tenant'), name='invoice_line_act_once'),
        ),
        migrations.AddConstraint(
            model_name='invoicelinebreach',
            constraint=models.UniqueConstraint(fields=('line', 'breach', 'tenant'), name='invoice_line_breach_once'),
        ),
        migrations.AddConstraint(
            model_name='invoicelineconfirmation',
            constraint=models.UniqueConstraint(fields=('line', 'confirmation', 'tenant'), name='invoice_line_confirmation_once'),
        ),
        migrations.AddConstraint(
            model_name='ratingband',
            constraint=models.UniqueConstraint(fields=('contract', 'min_rating', 'tenant'), name='rating_band_once_per_threshold'),
        ),
        TenantKeys(),
    ]
