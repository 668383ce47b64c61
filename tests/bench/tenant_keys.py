"""What the composite tenant keys (tenancy.db_keys) cost writes, on PostgreSQL.

The same writes with the keys and with them dropped, in alternating rounds (the median of each):
bulk inserts of orders with their two clocks (one statement each, as the seeding does), the SLA
sweep breaching 10,000 clocks (each breach checks its clock's key), and orders inserted one per
transaction (a web request's write, where the deferred checks run at each commit). Its own database
`<name>_bench_keys`, dropped afterwards. Writes bench/results/tenant_keys.json and prints a
Markdown table between docs/SCALING.md's markers. `BENCH_KEYS_ORDERS` (bulk, default 50,000),
`BENCH_KEYS_SINGLE` (one per transaction, default 2,000), `BENCH_KEYS_ROUNDS` (default 3).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import dj_database_url  # noqa: E402
import django  # noqa: E402

from tests.bench.support import cross_tenant_on, drop_database, recreate_database  # noqa: E402

BULK = int(os.environ.get("BENCH_KEYS_ORDERS", "50000"))
SINGLE = int(os.environ.get("BENCH_KEYS_SINGLE", "2000"))
ROUNDS = int(os.environ.get("BENCH_KEYS_ROUNDS", "3"))
DUE = 10_000


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("this benchmark needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2
    base = dj_database_url.parse(url)
    bench_db = f"{base['NAME']}_bench_keys"
    recreate_database(base, bench_db)
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + bench_db
    cross_tenant_on(bench_db)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.task_default_queue = "keys-bench"  # the sweep's notification message: nobody reads it
    app.conf.task_routes = {}
    try:
        results = _run()
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("keys-bench")
        from django.db import connections

        connections.close_all()
        drop_database(base, bench_db)
    out = ROOT / "bench" / "results" / "tenant_keys.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    table = _table(results)
    print(table)
    _write_scaling(table)
    return 0


def _write_scaling(table: str) -> None:
    """The figures between docs/SCALING.md's `<!-- bench:tenant_keys -->` markers."""
    doc = ROOT / "docs" / "SCALING.md"
    start_mark, end_mark = "<!-- bench:tenant_keys -->", "<!-- /bench:tenant_keys -->"
    text = doc.read_text(encoding="utf-8")
    start, end = text.find(start_mark), text.find(end_mark)
    if start < 0 or end < start:
        print("docs/SCALING.md has no tenant_keys bench markers; figures not written there", file=sys.stderr)
        return
    doc.write_text(text[: start + len(start_mark)] + "\n" + table + "\n" + text[end:], encoding="utf-8")


def _cursor():
    from tenancy.db_router import cross_tenant_connection

    return cross_tenant_connection().cursor()


def _keys(cursor):
    """The composite foreign keys and the UNIQUE (tenant_id, id) they reference, uniques first.
    (A one-to-one's `UNIQUE (x_id, tenant_id)` stays: it replaced a unique of the same size.)"""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE (contype = 'f' AND conname LIKE '%%\\_tfk') OR (contype = 'u' AND conname LIKE '%%\\_tk') "
        "ORDER BY contype DESC, 1, 2"
    )
    return cursor.fetchall()


def _drop_keys(keys):
    with _cursor() as cursor:
        for table, name, _ in reversed(keys):
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')


def _add_keys(keys):
    with _cursor() as cursor:
        for table, name, definition in keys:
            cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def _empty():
    with _cursor() as cursor:
        cursor.execute("TRUNCATE sla_breach, sla_slaclock, orders_order CASCADE")
        cursor.execute("ANALYZE")


def _bulk(contracts, user_id, now):
    from django.db import transaction

    from tenancy.db_router import cross_tenant_alias

    start = time.perf_counter()
    with transaction.atomic(using=cross_tenant_alias()), _cursor() as cursor:
        cursor.execute("""
            INSERT INTO orders_order (tenant_id, number, contract_id, client_id, kind, title, description,
                expected_result, priority, reported_at, reported_by_id, state, created_at, is_breached)
            SELECT (%s::bigint[])[1 + g %% 10], 'B-' || g, (%s::bigint[])[1 + g %% 10], (%s::bigint[])[1 + g %% 10],
                   'request', 'bench', '', '', 'normal', %s, %s, 'in_progress', %s, false
            FROM generate_series(1, %s) g
        """, [[c.tenant_id for c in contracts], [c.pk for c in contracts], [c.client_id for c in contracts],
              now, user_id, now, BULK])
        cursor.execute("""
            INSERT INTO sla_slaclock (tenant_id, order_id, metric, target, warning_threshold_pct, started_at,
                pauses, due_at, warn_at)
            SELECT o.tenant_id, o.id, m.metric, interval '48 hours', 75, %s, '[]'::jsonb, %s, %s
            FROM orders_order o CROSS JOIN (VALUES ('response'), ('resolution')) AS m(metric)
        """, [now, now + dt.timedelta(days=365), now + dt.timedelta(days=365)])
    return time.perf_counter() - start  # the deferred checks ran at the commit, inside the timing


def _sweep(now):
    from sla.services import sla_sweep

    tick = now + dt.timedelta(minutes=5)
    with _cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("""
            UPDATE sla_slaclock SET due_at = %s, warn_at = %s WHERE id IN (
                SELECT id FROM sla_slaclock WHERE breached_at IS NULL ORDER BY id LIMIT %s)
        """, [tick - dt.timedelta(seconds=1), tick - dt.timedelta(hours=1), DUE])
    start = time.perf_counter()
    result = sla_sweep(now=tick)
    elapsed = time.perf_counter() - start
    assert len(result.breached) == DUE, len(result.breached)
    return elapsed


def _single(contracts, user_id, now, offset):
    from django.db import transaction

    from tenancy.db_router import cross_tenant_alias

    start = time.perf_counter()
    for i in range(SINGLE):
        contract = contracts[i % len(contracts)]
        with transaction.atomic(using=cross_tenant_alias()), _cursor() as cursor:
            cursor.execute("""
                INSERT INTO orders_order (tenant_id, number, contract_id, client_id, kind, title, description,
                    expected_result, priority, reported_at, reported_by_id, state, created_at, is_breached)
                VALUES (%s, %s, %s, %s, 'request', 'bench', '', '', 'normal', %s, %s, 'new', %s, false) RETURNING id
            """, [contract.tenant_id, f"S-{offset + i}", contract.pk, contract.client_id, now, user_id, now])
            order_id = cursor.fetchone()[0]
            cursor.execute("""
                INSERT INTO sla_slaclock (tenant_id, order_id, metric, target, warning_threshold_pct, started_at,
                    pauses, due_at, warn_at)
                VALUES (%s, %s, 'response', interval '24 hours', 75, %s, '[]'::jsonb, %s, %s),
                       (%s, %s, 'resolution', interval '48 hours', 75, %s, '[]'::jsonb, %s, %s)
            """, [contract.tenant_id, order_id, now, now, now] * 2)
    return time.perf_counter() - start


def _run():
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from tenancy.context import cross_tenant
    from tests.factories import ContractFactory, TenantFactory

    now = timezone.now()
    user_id = get_user_model().objects.create_user("bench").pk
    contracts = [ContractFactory(tenant=TenantFactory()) for _ in range(10)]
    timings = {True: {"bulk": [], "sweep": [], "single": []}, False: {"bulk": [], "sweep": [], "single": []}}
    with cross_tenant(reason="benchmark of the composite keys"):
        with _cursor() as cursor:
            keys = _keys(cursor)
        for round_ in range(ROUNDS):
            for with_keys in ((True, False) if round_ % 2 == 0 else (False, True)):  # neither always first
                if not with_keys:
                    _drop_keys(keys)
                _empty()
                timings[with_keys]["bulk"].append(_bulk(contracts, user_id, now))
                timings[with_keys]["sweep"].append(_sweep(now))
                timings[with_keys]["single"].append(_single(contracts, user_id, now, round_ * SINGLE * 2))
                if not with_keys:
                    _add_keys(keys)
    med = {k: {m: statistics.median(v) for m, v in t.items()} for k, t in timings.items()}
    return {
        "date": now.date().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "composite_keys": len(keys), "rounds": ROUNDS, "bulk_orders": BULK, "bulk_clocks": BULK * 2,
        "sweep_breaches": DUE, "single_orders": SINGLE,
        "with_keys": {
            "bulk_ms": round(med[True]["bulk"] * 1000, 1), "sweep_ms": round(med[True]["sweep"] * 1000, 1),
            "single_ms_per_order": round(med[True]["single"] * 1000 / SINGLE, 3),
        },
        "without_keys": {
            "bulk_ms": round(med[False]["bulk"] * 1000, 1), "sweep_ms": round(med[False]["sweep"] * 1000, 1),
            "single_ms_per_order": round(med[False]["single"] * 1000 / SINGLE, 3),
        },
        "all_runs_ms": {("with" if k else "without"): {m: [round(x * 1000, 1) for x in v] for m, v in t.items()}
                        for k, t in timings.items()},
    }


def _table(results):
    w, wo = results["with_keys"], results["without_keys"]

    def row(what, key, unit=" ms"):
        change = (w[key] - wo[key]) / wo[key] * 100
        return f"| {what} | {wo[key]:,}{unit} | {w[key]:,}{unit} | {change:+.0f} % |"

    return "\n".join([
        f"{results['composite_keys']} composite keys and the unique keys they reference; median of {results['rounds']} alternating rounds; "
        f"{results['machine']}; {results['date']}",
        "",
        "| write | without the keys | with them | change |",
        "| --- | ---: | ---: | ---: |",
        row(f"{results['bulk_orders']:,} orders and {results['bulk_clocks']:,} clocks, two INSERT … SELECT, one commit",
            "bulk_ms"),
        row(f"the sweep breaching {results['sweep_breaches']:,} clocks (one statement)", "sweep_ms"),
        row("one order with its two clocks per transaction (per order)", "single_ms_per_order"),
    ])


if __name__ == "__main__":
    sys.exit(main())
