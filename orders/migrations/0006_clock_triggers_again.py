"""The list columns' triggers again, after sla 0006 (the tenant keys).

On SQLite, changing a constraint of `sla_slaclock` rebuilds the table, and a rebuilt table has lost
its triggers: this puts back the ones orders 0004 created (dropped first if they survived, so it
runs as well on PostgreSQL, where they did survive). A later migration that rebuilds
`sla_slaclock` on SQLite needs the same step after it; `tests/orders/test_keyset_list.py` fails
without it.
"""

import importlib

from django.db import migrations

_first = importlib.import_module("orders.migrations.0004_list_columns")


def reinstall(apps, schema_editor):
    """Drop what survived, create the triggers and bring every order's columns up to date (0004's steps)."""
    _first.remove(apps, schema_editor)
    _first.install(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0005_tenant_keys"),
        ("sla", "0006_tenant_keys"),
    ]

    operations = [migrations.RunPython(reinstall, migrations.RunPython.noop, elidable=False)]
