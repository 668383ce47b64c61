"""Benchmark of the SLA sweep on PostgreSQL: 1,000,000 open clocks, 1,000 and 10,000 newly due.

Run with `make bench` (needs DATABASE_URL pointing at PostgreSQL; it creates and drops its own
database `<name>_bench`). Writes bench/results/sla_sweep.json and prints a Markdown table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import dj_database_url  # noqa: E402
import django  # noqa: E402

from tests.bench.support import cross_tenant_on, drop_database, recreate_database, write_readme  # noqa: E402

OPEN_CLOCKS = int(os.environ.get("BENCH_CLOCKS", "1000000"))


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("make bench needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2
    base = dj_database_url.parse(url)
    bench_db = f"{base['NAME']}_bench"
    recreate_database(base, bench_db)
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + bench_db
    cross_tenant_on(bench_db)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from config.celery import app

    # The sweep publishes its notification message as in production, but to a queue of its own
    # that no worker reads and that is emptied afterwards.
    app.conf.task_always_eager = False
    app.conf.task_default_queue = "sla-bench"
    app.conf.task_routes = {}  # the named queues too
    try:
        results = _run()
        results["broker"] = app.conf.broker_url.split("://", 1)[0]
    finally:
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("sla-bench")
        from django.db import connections

        connections.close_all()
        drop_database(base, bench_db)
    out = ROOT / "bench" / "results" / "sla_sweep.json"
    out.write_text(json.dumps(results, indent=2) + "\n")
    table = _table(results)
    print(table)
    write_readme("sla_sweep", table)
    print(f"\nwritten to {out.relative_to(ROOT)} and README.md")
    return 0


def _seed(now):
    """Tenants, one active contract each, and OPEN_CLOCKS open clocks due far in the future."""
    from django.contrib.auth import get_user_model

    from tenancy.context import cross_tenant
    from tenancy.db_router import cross_tenant_connection
    from tests.factories import ContractFactory, TenantFactory

    user = get_user_model().objects.create_user("bench")
    contracts = [ContractFactory(tenant=TenantFactory()) for _ in range(10)]
    orders = OPEN_CLOCKS // 2
    far = now + dt.timedelta(days=365)
    with cross_tenant(reason="benchmark seeding"), cross_tenant_connection().cursor() as cursor:
        ids = [c.pk for c in contracts]
        tenants = [c.tenant_id for c in contracts]
        clients = [c.client_id for c in contracts]
        cursor.execute("""
            INSERT INTO orders_order (tenant_id, number, contract_id, client_id, kind, title, description,
                expected_result, priority, reported_at, reported_by_id, state, created_at, is_breached)
            SELECT (%s::bigint[])[1 + g %% 10], 'B-' || g, (%s::bigint[])[1 + g %% 10], (%s::bigint[])[1 + g %% 10],
                   'request', 'bench', '', '', 'normal', %s, %s, 'in_progress', %s, false
            FROM generate_series(1, %s) g
        """, [tenants, ids, clients, now, user.pk, now, orders])
        cursor.execute("""
            INSERT INTO sla_slaclock (tenant_id, order_id, metric, target, warning_threshold_pct, started_at,
                pauses, due_at, warn_at)
            SELECT o.tenant_id, o.id, m.metric, interval '48 hours', 75, %s, '[]'::jsonb, %s, %s
            FROM orders_order o CROSS JOIN (VALUES ('response'), ('resolution')) AS m(metric)
        """, [now, far, far])
        cursor.execute("ANALYZE")
        cursor.execute("SELECT count(*) FROM sla_slaclock WHERE stopped_at IS NULL")
        return cursor.fetchone()[0]


def _make_due(n, now):
    from tenancy.context import cross_tenant
    from tenancy.db_router import cross_tenant_connection

    with cross_tenant(reason="benchmark"), cross_tenant_connection().cursor() as cursor:
        cursor.execute("""
            UPDATE sla_slaclock SET due_at = %s, warn_at = %s WHERE id IN (
                SELECT id FROM sla_slaclock WHERE breached_at IS NULL AND stopped_at IS NULL
                ORDER BY id LIMIT %s)
        """, [now - dt.timedelta(seconds=1), now - dt.timedelta(hours=1), n])


def _timed_sweep(now):
    from django.test.utils import CaptureQueriesContext

    from sla.services import sla_sweep
    from tenancy.db_router import cross_tenant_connection

    with CaptureQueriesContext(cross_tenant_connection()) as queries:
        start = time.perf_counter()
        result = sla_sweep(now=now)
        elapsed = time.perf_counter() - start
    if os.environ.get("BENCH_VERBOSE"):
        for q in queries.captured_queries:
            print(q["time"], q["sql"][150:260].replace("\n", " "))
    return elapsed, len(result.breached), len(queries)


def _orm_loop(now):
    """The baseline: what a per-row loop over the same due clocks costs."""
    from django.db import transaction

    from sla.models import Breach, SLAClock
    from tenancy.context import cross_tenant
    from tenancy.db_router import cross_tenant_alias

    start = time.perf_counter()
    count = 0
    with cross_tenant(reason="benchmark baseline"), transaction.atomic(using=cross_tenant_alias()):
        for clock in SLAClock.objects.select_related("order", "order__contract").filter(
            stopped_at__isnull=True, breached_at__isnull=True, due_at__lte=now
        ):
            Breach.objects.create(tenant_id=clock.tenant_id, clock=clock, order=clock.order,
                                  contract_id=clock.order.contract_id, provider_id=clock.order.contract.provider_id,
                                  metric=clock.metric, due_at=clock.due_at, breached_at=now)
            clock.warned_at = clock.warned_at or now
            clock.breached_at = now
            clock.save(update_fields=["warned_at", "breached_at"])
            count += 1
    return time.perf_counter() - start, count


def _run():
    from django.utils import timezone

    now = timezone.now()
    seed_start = time.perf_counter()
    open_clocks = _seed(now)
    results = {
        "date": now.date().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "open_clocks": open_clocks, "seed_seconds": round(time.perf_counter() - seed_start, 1), "runs": [],
    }
    # In production the sweep runs every minute inside a worker, on warm database and broker
    # connections: one sweep with nothing due and one message published first.
    _timed_sweep(now)
    from sla.tasks import fan_out_notifications

    fan_out_notifications.delay({})
    for n in (1_000, 10_000):
        tick = now + dt.timedelta(minutes=n // 1000)
        _make_due(n, tick)
        first, breached, statements = _timed_sweep(tick)
        again, rebreached, statements_again = _timed_sweep(tick + dt.timedelta(seconds=60))
        _make_due(n, tick)
        baseline, loop_count = _orm_loop(tick + dt.timedelta(seconds=120))
        results["runs"].append({
            "newly_due": n, "sweep_ms": round(first * 1000, 1), "breaches": breached, "statements": statements,
            "ms_per_1000_due": round(first * 1000 * 1000 / n, 1),
            "rerun_ms": round(again * 1000, 2), "rerun_breaches": rebreached, "rerun_statements": statements_again,
            "orm_loop_ms": round(baseline * 1000, 1), "orm_loop_rows": loop_count,
        })
    return results


def _table(results):
    lines = [
        f"{results['open_clocks']:,} open clocks; {results['machine']}; broker {results.get('broker', '?')}; "
        f"{results['date']}",
        "",
        "| newly due | sweep | per 1,000 due | statements | re-run | re-run statements | per-row ORM loop |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results["runs"]:
        lines.append(
            f"| {r['newly_due']:,} | {r['sweep_ms']} ms | {r['ms_per_1000_due']} ms | {r['statements']} "
            f"| {r['rerun_ms']} ms | {r['rerun_statements']} | {r['orm_loop_ms']:,} ms |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
