"""Orders drop the single-column indexes Django made for the tenant, contract, client and team foreign
keys and for the state: each of those columns leads a list index after the tenant (the model's
`order_*_due` indexes), which serves every query (each names the tenant, and row-level security adds
it) and the composite foreign keys `(tenant_id, x_id)`. Six fewer indexes to write on every insert and
update of an order: the SLA sweep's breach marks (orders 0009) took ~9 % less time.

The indexes are dropped by name (`DROP INDEX`), not through Django's field change, which on SQLite
rebuilds the table and on PostgreSQL drops and re-adds (re-checks) each foreign key; the model's state
changes with them. The assignee's and reporter's indexes stay: users are not tenant rows, and deleting
a user looks up its orders by those columns alone.
"""

import django.db.models.deletion
import django_fsm
from django.db import migrations, models

# name: (column, its varchar_pattern_ops twin on PostgreSQL)
DROPPED = {
    "orders_order_tenant_id_36ad426c": ("tenant_id", None),
    "orders_order_contract_id_d3b0338c": ("contract_id", None),
    "orders_order_client_id_67117a15": ("client_id", None),
    "orders_order_team_id_d8b8be41": ("team_id", None),
    "orders_order_state_fbeebb0f": ("state", "orders_order_state_fbeebb0f_like"),
}


def drop(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, (_column, like) in DROPPED.items():
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')
        if like and postgres:
            schema_editor.execute(f'DROP INDEX IF EXISTS "{like}"')


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, (column, like) in DROPPED.items():
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "orders_order" ("{column}")')
        if like and postgres:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{like}" ON "orders_order" ("{column}" varchar_pattern_ops)')


class Migration(migrations.Migration):

    dependencies = [
        ('contracts', '0009_tenant_keys'),
        ('orders', '0009_sweep_marks_orders'),
        ('tenancy', '0011_people'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop, create, elidable=False)],
            state_operations=[
                migrations.AlterField(
                    model_name='order',
                    name='client',
                    field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='contracts.client', verbose_name='client'),
                ),
                migrations.AlterField(
                    model_name='order',
                    name='contract',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='orders', to='contracts.contract', verbose_name='contract'),
                ),
                migrations.AlterField(
                    model_name='order',
                    name='state',
                    field=django_fsm.FSMField(choices=[('new', 'New'), ('acknowledged', 'Acknowledged'), ('planned', 'Planned'), ('agreed', 'Agreed'), ('approved', 'Approved'), ('in_progress', 'In progress'), ('waiting_on_client', 'Waiting on client'), ('delivered', 'Delivered'), ('accepted', 'Accepted'), ('rework', 'Rework'), ('cancelled', 'Cancelled')], default='new', max_length=20, protected=True, verbose_name='state'),
                ),
                migrations.AlterField(
                    model_name='order',
                    name='team',
                    field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='orders', to='orders.team', verbose_name='team'),
                ),
                migrations.AlterField(
                    model_name='order',
                    name='tenant',
                    field=models.ForeignKey(db_index=False, editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tenancy.tenant', verbose_name='tenant'),
                ),
            ],
        ),
    ]
