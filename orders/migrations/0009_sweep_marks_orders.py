"""The SLA sweep marks its breached orders itself, in its one statement; the clocks' row trigger of
orders 0004 leaves the sweep's rows to it.

For each clock the sweep breached, the row trigger ran a function that read the order's clocks twice
and updated the order: ~22 of the sweep's ~52 ms per 1,000 newly due clocks (500 orders), over the
goal of 50. The sweep now sets `app.sweep_marks_orders` for its transaction (`SET LOCAL`) and updates
the orders of the clocks it breached in the same statement (`is_breached = true`; a breach never
changes the soonest due time: the clock's `due_at` and `stopped_at` stay). The trigger's condition
skips a clock update while that setting is on; every other writer (the clock services, a calendar
edit, an insert or delete) goes through the trigger as before. On SQLite (the demo) the sweep is three
statements and the triggers stay as they were.

A later migration that reinstalls 0004's triggers (as 0006 does after a table rebuild) must run this
one again after it.
"""

from django.db import migrations

_UPDATE_TRIGGER = """
DROP TRIGGER IF EXISTS orders_clock_summary_upd ON sla_slaclock;
CREATE TRIGGER orders_clock_summary_upd AFTER UPDATE OF due_at, stopped_at, breached_at, order_id ON sla_slaclock
    FOR EACH ROW WHEN ((OLD.due_at IS DISTINCT FROM NEW.due_at OR OLD.stopped_at IS DISTINCT FROM NEW.stopped_at
                        OR OLD.breached_at IS DISTINCT FROM NEW.breached_at){unless_swept})
    EXECUTE FUNCTION orders_order_clock_summary();
"""
SWEEP_SETTING = "app.sweep_marks_orders"
SKIPS_THE_SWEEP = _UPDATE_TRIGGER.format(
    unless_swept=f"\n                       AND current_setting('{SWEEP_SETTING}', true) IS DISTINCT FROM 'on'")
AS_IN_0004 = _UPDATE_TRIGGER.format(unless_swept="")


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_search_terms_fill")]

    operations = [migrations.RunPython(_run(SKIPS_THE_SWEEP), _run(AS_IN_0004), elidable=False)]
