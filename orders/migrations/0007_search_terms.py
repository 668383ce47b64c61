"""The orders' words for the order search (orders.search): one row per distinct word of an order,
compared bytewise ("C" collation on PostgreSQL, so a prefix is an index range under row-level
security). Filled for the orders there are by the next migration (rows written here would hold
this migration's deferred constraint checks open while its indexes and keys are added)."""

import django.db.models.deletion
from django.db import migrations, models

from tenancy.db_keys import TenantKeys
from tenancy.rls import EnableRowLevelSecurity


def bytewise(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE orders_ordersearchterm ALTER COLUMN term TYPE varchar(64) COLLATE "C"')


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0006_clock_triggers_again'),
        ('tenancy', '0011_people'),
    ]

    operations = [
        migrations.CreateModel(
            name='OrderSearchTerm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('term', models.CharField(max_length=64)),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='search_terms', to='orders.order')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.tenant', verbose_name='tenant')),
            ],
            options={
                'indexes': [models.Index(fields=['tenant', 'term', 'order'], name='order_search_term')],
            },
        ),
        migrations.RunPython(bytewise, migrations.RunPython.noop),
        EnableRowLevelSecurity('OrderSearchTerm'),
        TenantKeys(),
    ]
