"""Benchmark of review reports and the dashboard on PostgreSQL: the SLA report's figures of one quarter
for every contract, the report with its PDF for a sample, and the account manager's home with 300
contracts, in server time.

Run with `make bench` (needs DATABASE_URL pointing at PostgreSQL; it creates and drops its own
database `<name>_bench_reviews`). Writes bench/results/reviews.json and prints a Markdown table.

Sizes (environment): BENCH_REVIEW_CONTRACTS (default 1000) contracts in BENCH_REVIEW_TENANTS (10)
tenants, BENCH_REVIEW_ORDERS (50) orders each in the quarter; BENCH_REVIEW_PDFS (20) reports rendered
to PDF (the whole run is projected from them); BENCH_DASHBOARD_CONTRACTS (300) contracts of one
account manager, each with a year of orders, for the dashboard, timed BENCH_DASHBOARD_RUNS (15) times.
Goals: a report's figures ≤ 50 ms per contract; the manager's dashboard ≤ 150 ms.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import platform
import statistics
import sys
import time
import zoneinfo
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import dj_database_url  # noqa: E402
import django  # noqa: E402

from tests.bench.support import cross_tenant_on, drop_database, recreate_database, write_readme  # noqa: E402

CONTRACTS = int(os.environ.get("BENCH_REVIEW_CONTRACTS", "1000"))
TENANTS = max(1, min(int(os.environ.get("BENCH_REVIEW_TENANTS", "10")), CONTRACTS))
ORDERS = int(os.environ.get("BENCH_REVIEW_ORDERS", "50"))
PDFS = int(os.environ.get("BENCH_REVIEW_PDFS", "20"))
DASHBOARD_CONTRACTS = min(int(os.environ.get("BENCH_DASHBOARD_CONTRACTS", "300")), CONTRACTS)
DASHBOARD_RUNS = int(os.environ.get("BENCH_DASHBOARD_RUNS", "15"))
OPEN_ORDERS = 5  # per dashboard contract: running clocks, some due within 24 h
ZONE = zoneinfo.ZoneInfo("Europe/Moscow")
# The quarter reviewed, and the moment the dashboard is looked at (a Thursday morning in Moscow).
Q_START, Q_END = dt.date(2026, 7, 1), dt.date(2026, 9, 30)
NOW = dt.datetime(2026, 10, 15, 9, 0, tzinfo=ZONE)
# The dashboard's contracts also have the three quarters before: a year of history for its trends.
HISTORY = [(dt.date(2025, 10, 1), dt.date(2025, 12, 31)), (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
           (dt.date(2026, 4, 1), dt.date(2026, 6, 30)), (Q_START, Q_END)]
PRIORITIES = ("low", "normal", "normal", "high", "critical")


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("make bench needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2
    base = dj_database_url.parse(url)
    bench_db = f"{base['NAME']}_bench_reviews"
    recreate_database(base, bench_db)
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + bench_db
    cross_tenant_on(bench_db)
    django.setup()
    from django.core.management import call_command

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    try:
        results = _run()
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(base, bench_db)
    out = ROOT / "bench" / "results" / "reviews.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    table = _table(results)
    print(table)
    write_readme("reviews", table)
    print(f"\nwritten to {out.relative_to(ROOT)} and README.md")
    return 0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _stats(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"n": len(times), "median_ms": _ms(statistics.median(ordered)),
            "p90_ms": _ms(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]),
            "mean_ms": _ms(statistics.fmean(ordered)), "max_ms": _ms(ordered[-1])}


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZONE)


# --- the data ---------------------------------------------------------------------------------------


def _people(tenant, client):
    from tests.factories import MembershipFactory, UserFactory

    manager = UserFactory(username=f"bench-manager-{tenant.pk}", first_name="Bench", last_name="Manager")
    admin = UserFactory(username=f"bench-admin-{tenant.pk}")
    viewer = UserFactory(username=f"bench-client-{tenant.pk}")
    MembershipFactory(tenant=tenant, user=manager, role="account_manager")
    MembershipFactory(tenant=tenant, user=admin, role="admin")
    MembershipFactory(tenant=tenant, user=viewer, role="client_admin", client=client)
    return manager, admin, viewer


def _contracts(tenant, client, provider, count, manager):
    from contracts.models import Contract, ContractRole

    contracts = Contract.objects.bulk_create([
        Contract(tenant_id=tenant.pk, number=f"SC-{tenant.pk}-{n:05d}", title=f"ИТ-аутсорсинг {n}",
                 client=client, provider=provider, state="active", start_date=dt.date(2025, 1, 1),
                 end_date=dt.date(2027, 12, 31), currency="RUB", monthly_fee=Decimal(100000 + 2500 * (n % 40)))
        for n in range(1, count + 1)
    ])
    ContractRole.objects.bulk_create([ContractRole(tenant_id=tenant.pk, contract=c, role="account_manager",
                                                   user=manager) for c in contracts])
    return contracts


def _quarter(tenant, client, contracts, user, calendar, start: dt.date, end: dt.date, counts: dict) -> None:
    """ORDERS orders per contract over the quarter, each with its two clocks (business calendar for low
    and normal priority, 24×7 above), some paused, about 6 % of responses and 11 % of resolutions
    breached (every fourth breach waived), delivery events; a signed act per month with its rating and
    five order ratings; an issued invoice per month with its fee, penalty and quality lines."""
    orders, clocks, breaches = _quarter_orders(tenant, client, contracts, user, calendar, start, end)
    acts, confirmations, invoices = _quarter_papers(tenant, client, contracts, user, start)
    ratings = _order_ratings(tenant, orders, confirmations)
    for key, value in (("orders", len(orders)), ("clocks", len(clocks)), ("breaches", len(breaches)),
                       ("acts", len(acts)), ("invoices", len(invoices)), ("order_ratings", len(ratings))):
        counts[key] = counts.get(key, 0) + value


def _quarter_orders(tenant, client, contracts, user, calendar, start: dt.date, end: dt.date):
    """The quarter's orders with their clocks, breaches and delivery events, saved; returns
    (orders, clocks, breaches)."""
    from orders.models import Order, OrderEvent
    from sla.models import Breach, SLAClock

    days = (end - start).days + 1
    orders, clocks, events, breaches = [], [], [], []
    for i, contract in enumerate(contracts):
        for j in range(ORDERS):
            reported = _local(start + dt.timedelta(days=j * days // ORDERS), 9 + (i + j) % 8, (7 * j) % 60)
            priority = PRIORITIES[(i + j) % len(PRIORITIES)]
            order = Order(tenant_id=tenant.pk, number=f"ORD-{contract.pk}-{start:%y%m}-{j + 1}", contract=contract,
                          client=client, kind="incident" if j % 5 == 0 else "request", priority=priority,
                          title="Не работает почта", reported_by=user, reported_at=reported, state="accepted")
            orders.append(order)
            office = calendar if priority in ("low", "normal") else None
            delivered = _order_clocks(tenant, contract, order, office, i, j, clocks=clocks, breaches=breaches)
            events.append(OrderEvent(tenant_id=tenant.pk, order=order, kind="transition", transition="deliver",
                                     from_state="in_progress", to_state="delivered", actor_label="bench",
                                     at=delivered))
    Order.objects.bulk_create(orders, batch_size=5000)
    for row in (*clocks, *events):
        row.order_id = row.order.pk
    SLAClock.objects.bulk_create(clocks, batch_size=5000)
    OrderEvent.objects.bulk_create(events, batch_size=5000)
    for breach in breaches:
        breach.clock_id, breach.order_id = breach.clock.pk, breach.order.pk
    Breach.objects.bulk_create(breaches, batch_size=5000)
    return orders, clocks, breaches


def _order_clocks(tenant, contract, order, office, i: int, j: int, *, clocks: list, breaches: list) -> dt.datetime:
    """Append the order's response and resolution clocks to `clocks` and their breaches to `breaches`
    (every fourth breach of the quarter waived); return when the order was delivered."""
    from sla.models import Breach, SLAClock

    reported = order.reported_at
    response_breached, resolution_breached = (i + j) % 17 == 0, (i + j) % 9 == 0
    took_response = dt.timedelta(hours=30 if response_breached else 1 + j % 6, minutes=j % 50)
    took_resolution = dt.timedelta(hours=60 if resolution_breached else 4 + j % 40, minutes=j % 45)
    pauses = [[(reported + dt.timedelta(hours=2)).astimezone(dt.UTC).isoformat(),
               (reported + dt.timedelta(hours=5)).astimezone(dt.UTC).isoformat()]] if j % 13 == 0 else []
    for metric, target, took, breached, paused in (
            ("response", 24, took_response, response_breached, []),
            ("resolution", 48, took_resolution, resolution_breached, pauses)):
        due = reported + dt.timedelta(hours=target)
        clock = SLAClock(tenant_id=tenant.pk, order=order, metric=metric, target=dt.timedelta(hours=target),
                         calendar=office, started_at=reported, pauses=paused, due_at=due,
                         stopped_at=reported + took, breached_at=due if breached else None)
        clocks.append(clock)
        if breached:
            breaches.append(Breach(tenant_id=tenant.pk, clock=clock, order=order, contract=contract,
                                   provider_id=contract.provider_id, metric=metric, due_at=due, breached_at=due,
                                   penalty=Decimal("1000.00"),
                                   waived_at=due if len(breaches) % 4 == 3 else None))
    return reported + took_resolution


def _quarter_papers(tenant, client, contracts, user, start: dt.date):
    """A signed act with its confirmation and an issued invoice with three lines per contract and
    month of the quarter, saved; returns (acts, confirmations, invoices)."""
    from billing.models import Invoice, InvoiceLine, LineKind
    from confirmations.models import Act, Confirmation

    months = [dt.date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1) for m in range(3)]
    acts, confirmations, invoices = [], [], []
    for i, contract in enumerate(contracts):
        for m, first in enumerate(months):
            last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            act = Act(tenant_id=tenant.pk, number=f"ACT-{contract.pk}-{first:%y%m}", contract=contract,
                      client=client, period_start=first, period_end=last, currency="RUB",
                      amount=contract.monthly_fee, state="signed", revision=1, created_by=user)
            acts.append(act)
            rating = 1 + (i * 3 + m * 2 + 3) % 5
            confirmations.append(Confirmation(tenant_id=tenant.pk, act=act, contract=contract, client=client,
                                              kind="signed", rating=rating, comment="медленно" if rating <= 2 else "",
                                              confirmed_by=user, confirmed_at=_local(last + dt.timedelta(days=3), 12)))
            invoices.append(Invoice(tenant_id=tenant.pk, contract=contract, client=client, period_start=first,
                                    period_end=last, currency="RUB", vat_rate=Decimal("22.00"), state="issued",
                                    number=f"INV-{contract.pk}-{first:%y%m}", fee=contract.monthly_fee))
    Act.objects.bulk_create(acts, batch_size=5000)
    for confirmation in confirmations:
        confirmation.act_id = confirmation.act.pk
    Confirmation.objects.bulk_create(confirmations, batch_size=5000)
    Invoice.objects.bulk_create(invoices, batch_size=5000)
    lines = []
    for invoice in invoices:
        for position, (kind, amount) in enumerate(((LineKind.FEE, invoice.fee), (LineKind.PENALTY, "-2000.00"),
                                                    (LineKind.QUALITY, "1500.00")), start=1):
            lines.append(InvoiceLine(tenant_id=tenant.pk, invoice=invoice, position=position, kind=kind,
                                     description=kind, amount=Decimal(amount), vat=Decimal("0.00")))
    InvoiceLine.objects.bulk_create(lines, batch_size=5000)
    return acts, confirmations, invoices


def _order_ratings(tenant, orders: list, confirmations: list) -> list:
    """Five of its contract's orders rated with each confirmation, saved."""
    from confirmations.models import OrderRating

    by_contract: dict[int, list] = {}
    for order in orders:
        by_contract.setdefault(order.contract_id, []).append(order)
    ratings = []
    for k, confirmation in enumerate(confirmations):
        rated = by_contract[confirmation.contract_id][(k % 3) * 5:(k % 3) * 5 + 5]
        ratings += [OrderRating(tenant_id=tenant.pk, confirmation=confirmation, order=order,
                                rating=1 + (k + n) % 5, comment="плохо" if (k + n) % 5 < 2 else "")
                    for n, order in enumerate(rated)]
    OrderRating.objects.bulk_create(ratings, batch_size=5000)
    return ratings


def _open_orders(tenant, client, contracts, user, calendar) -> int:
    """OPEN_ORDERS open orders per contract reported before NOW, their clocks running; some due within 24 h."""
    from orders.models import Order
    from sla.models import SLAClock

    orders, clocks = [], []
    for i, contract in enumerate(contracts):
        for j in range(OPEN_ORDERS):
            reported = NOW - dt.timedelta(hours=1 + (i + 7 * j) % 40)
            order = Order(tenant_id=tenant.pk, number=f"ORD-{contract.pk}-OPEN-{j + 1}", contract=contract,
                          client=client, title="Открытая заявка", reported_by=user, reported_at=reported,
                          state="in_progress", priority=PRIORITIES[j])
            orders.append(order)
            for metric, target in (("response", 24), ("resolution", 48)):
                due = reported + dt.timedelta(hours=target)
                clocks.append(SLAClock(tenant_id=tenant.pk, order=order, metric=metric,
                                       target=dt.timedelta(hours=target), calendar=None, started_at=reported,
                                       due_at=due, warn_at=reported + dt.timedelta(hours=target * 0.75),
                                       stopped_at=reported + dt.timedelta(hours=1) if metric == "response" else None))
    Order.objects.bulk_create(orders, batch_size=5000)
    for clock in clocks:
        clock.order_id = clock.order.pk
    SLAClock.objects.bulk_create(clocks, batch_size=5000)
    return len(orders)


def _seed() -> tuple[dict, list, dict]:
    """The dashboard tenant (DASHBOARD_CONTRACTS contracts, a year of history) and the other tenants
    (the rest of CONTRACTS, the reviewed quarter only). Returns the counts, (tenant, contracts) pairs
    and the dashboard tenant's people."""
    from django.db import connection

    from sla.models import BusinessCalendar
    from tenancy.context import tenant_context
    from tests.factories import ClientFactory, TenantFactory, own_provider

    counts: dict = {"tenants": TENANTS, "contracts": 0}
    tenants, dashboard = [], {}
    others = CONTRACTS - DASHBOARD_CONTRACTS
    rest = max(TENANTS - 1, 1)
    shares = [DASHBOARD_CONTRACTS] + [others // rest + (1 if t < others % rest else 0) for t in range(rest)]
    for t, share in enumerate(shares):
        if not share:
            continue
        tenant = TenantFactory(name=f"Bench tenant {t + 1}")
        client = ClientFactory(tenant=tenant, name=f"Bench client {t + 1}")
        manager, admin, viewer = _people(tenant, client)
        with tenant_context(tenant):
            calendar = BusinessCalendar.objects.create(
                name="Office", time_zone="Europe/Moscow", holiday_country="RU",
                working_hours={str(d): [["09:00", "18:00"]] for d in range(5)})
            contracts = _contracts(tenant, client, own_provider(tenant), share, manager)
            quarters = HISTORY if t == 0 else [(Q_START, Q_END)]
            for start, end in quarters:
                _quarter(tenant, client, contracts, manager, calendar, start, end, counts)
            if t == 0:
                counts["open_orders"] = _open_orders(tenant, client, contracts, manager, calendar)
                dashboard = {"tenant": tenant, "manager": manager, "admin": admin, "viewer": viewer,
                             "contracts": contracts}
        counts["contracts"] += len(contracts)
        tenants.append((tenant, contracts))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts, tenants, dashboard


# --- the reports --------------------------------------------------------------------------------------


def _reports(tenants) -> dict:
    """The SLA report's figures of the quarter, contract by contract, as preparing a review computes them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reviews.metrics import sla_metrics
    from tenancy.context import tenant_context

    times, queries, clocks = [], None, 0
    for tenant, contracts in tenants:
        with tenant_context(tenant):
            for contract in contracts:
                start = time.perf_counter()
                report = sla_metrics(contract_ids=[contract.pk], period_start=Q_START, period_end=Q_END,
                                     time_zone=tenant.time_zone)
                times.append(time.perf_counter() - start)
                clocks += report["times"]["response"]["count"] + report["times"]["resolution"]["count"]
            if queries is None:
                with CaptureQueriesContext(connection) as captured:
                    sla_metrics(contract_ids=[contracts[0].pk], period_start=Q_START, period_end=Q_END,
                                time_zone=tenant.time_zone)
                queries = len(captured)
    warm = times[1:] or times
    return {**_stats(warm), "contracts": len(times), "total_seconds": round(sum(times), 1), "queries": queries,
            "first_ms": _ms(times[0]), "stopped_clocks_per_contract": round(clocks / len(times), 1)}


def _pdfs(dashboard: dict) -> dict:
    """A review per sampled contract: prepared (figures frozen into the snapshot), then its PDF rendered."""
    from reviews import services
    from reviews.models import Review
    from reviews.report import render_pdf
    from tenancy.context import tenant_context

    tenant, manager = dashboard["tenant"], dashboard["manager"]
    sample = dashboard["contracts"][: PDFS + 1]  # the first warms WeasyPrint up
    prepare, render, total, sizes = [], [], [], []
    with tenant_context(tenant, user=manager):
        reviews = Review.objects.bulk_create([
            Review(tenant_id=tenant.pk, contract=c, client_id=c.client_id, kind="quarterly", period_start=Q_START,
                   period_end=Q_END, proposed_meeting_date=dt.date(2026, 10, 20)) for c in sample])
        for review in reviews:
            start = time.perf_counter()
            review = services.review_prepare(review=Review.objects.select_related("contract__tenant").get(pk=review.pk),
                                             actor=manager)
            middle = time.perf_counter()
            pdf = render_pdf(Review.objects.select_related("contract", "contract__tenant", "client")
                             .prefetch_related("items").get(pk=review.pk), language="ru")
            end = time.perf_counter()
            prepare.append(middle - start)
            render.append(end - middle)
            total.append(end - start)
            sizes.append(len(pdf))
    warm = slice(1, None) if len(total) > 1 else slice(None)
    mean_total = statistics.fmean(total[warm])
    return {"sample": len(total[warm]), "first_ms": _ms(total[0]),
            "prepare": _stats(prepare[warm]), "pdf": _stats(render[warm]), "prepare_and_pdf": _stats(total[warm]),
            "pdf_bytes_median": int(statistics.median(sizes)),
            "all_contracts_projected_seconds_one_process": round(mean_total * CONTRACTS, 1),
            "all_contracts_projected_seconds_two_workers": round(mean_total * CONTRACTS / 2, 1)}


# --- the dashboard ------------------------------------------------------------------------------------


def _page_times(user, url: str, tenant) -> dict:
    """Server time of a GET through the whole stack (middleware, tenant, view, template), and its
    queries, with the trend's closed months counted (`reviews.compliance`, as the beat leaves them);
    `cold`: the same before they are counted (the first view after a month ends), which counts them
    at the view."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from reviews import dashboard
    from reviews.models import CountedMonth
    from reviews.tasks import count_compliance
    from tenancy.context import tenant_context

    # The first view of a month not counted queues its count to the broker: the benchmark times the
    # count itself below instead, and leaves no task in a queue after its database is gone.
    dashboard._queue_count = lambda months: None
    count_compliance(tenant.pk)
    client = Client()
    client.force_login(user)
    for _ in range(2):  # warm: session, membership, templates
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times, cold = [], []
    for _ in range(DASHBOARD_RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    counting = []
    for _ in range(max(DASHBOARD_RUNS // 3, 1)):  # the trend's closed months not counted yet
        with tenant_context(tenant):
            CountedMonth.objects.all().delete()
        cache.clear()
        start = time.perf_counter()
        client.get(url)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        count_compliance(tenant.pk)  # what the beat does for the tenant every ten minutes
        counting.append(time.perf_counter() - start)
    return {**_stats(times), "queries": len(captured), "bytes": len(response.content), "cold": _stats(cold),
            "count": _stats(counting)}


def _dashboard(dashboard: dict) -> dict:
    import time_machine

    from reviews.dashboard import provider_dashboard
    from tenancy.context import tenant_context

    tenant, manager = dashboard["tenant"], dashboard["manager"]
    with time_machine.travel(NOW, tick=True):
        pages = {"manager": _page_times(manager, "/", tenant), "admin": _page_times(dashboard["admin"], "/", tenant),
                 "portal": _page_times(dashboard["viewer"], "/portal/", tenant)}
        selector = []
        with tenant_context(tenant, user=manager):
            for _ in range(DASHBOARD_RUNS):
                start = time.perf_counter()
                figures = provider_dashboard(user=manager, role="account_manager", time_zone=tenant.time_zone,
                                             now=NOW, billing=True)
                selector.append(time.perf_counter() - start)
    pages["figures_only"] = _stats(selector)
    pages["contracts"] = figures["contracts"]["total"]
    pages["due_soon"] = figures["due_soon_count"]
    return pages


def _run() -> dict:
    results = {"date": dt.datetime.now(dt.UTC).date().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "weasyprint": version("weasyprint"), "quarter": f"{Q_START}..{Q_END}", "orders_per_contract": ORDERS}
    start = time.perf_counter()
    counts, tenants, dashboard = _seed()
    counts["seed_seconds"] = round(time.perf_counter() - start, 1)
    results["data"] = counts
    print(f"seeded {counts} ", flush=True)
    results["reports"] = _reports(tenants)
    print(f"reports: {results['reports']}", flush=True)
    results["dashboard"] = _dashboard(dashboard)
    print(f"dashboard: {results['dashboard']}", flush=True)
    results["pdfs"] = _pdfs(dashboard) if PDFS > 0 else None
    return results


# --- output ---------------------------------------------------------------------------------------------


def _table(results) -> str:
    data, reports, board, pdfs = results["data"], results["reports"], results["dashboard"], results["pdfs"]
    lines = [
        f"{data['contracts']:,} contracts in {data['tenants']} tenants, {results['orders_per_contract']} orders each "
        f"in the quarter ({data['orders']:,} orders, {data['clocks']:,} clocks, {data['breaches']:,} breaches in all); "
        f"{results['machine']}; WeasyPrint {results['weasyprint']}; {results['date']}",
        "",
        "| what | median | p90 | goal |",
        "| --- | ---: | ---: | ---: |",
        f"| report figures of one contract's quarter ({reports['queries']} queries, "
        f"{reports['stopped_clocks_per_contract']:g} stopped clocks in business time; all {reports['contracts']:,}: "
        f"{reports['total_seconds']:,} s) | {reports['median_ms']} ms | {reports['p90_ms']} ms | ≤ 50 ms |",
    ]
    if pdfs:
        lines += [
            f"| report with its PDF: prepare (snapshot) + render, ru (sample of {pdfs['sample']}; all "
            f"{data['contracts']:,} ≈ {pdfs['all_contracts_projected_seconds_one_process']:,.0f} s in one process, "
            f"≈ {pdfs['all_contracts_projected_seconds_two_workers']:,.0f} s on 2 workers) "
            f"| {pdfs['prepare_and_pdf']['median_ms']:,} ms | {pdfs['prepare_and_pdf']['p90_ms']:,} ms | — |",
            f"| of which the PDF alone | {pdfs['pdf']['median_ms']:,} ms | {pdfs['pdf']['p90_ms']:,} ms | — |",
        ]
    lines += [
        f"| manager's dashboard, {board['contracts']} contracts with a year of orders, server time of `GET /` "
        f"({board['manager']['queries']} queries) | {board['manager']['median_ms']} ms "
        f"| {board['manager']['p90_ms']} ms | ≤ 150 ms |",
        f"| of which the figures (reviews.dashboard) | {board['figures_only']['median_ms']} ms "
        f"| {board['figures_only']['p90_ms']} ms | — |",
        f"| the same page before the trend's closed months are counted (the first view after a month ends) "
        f"| {board['manager']['cold']['median_ms']} ms | {board['manager']['cold']['p90_ms']} ms | — |",
        f"| counting the tenant's closed months (the beat, every 10 minutes; `reviews.tasks.count_compliance`) "
        f"| {board['manager']['count']['median_ms']} ms | {board['manager']['count']['p90_ms']} ms | — |",
        f"| administrator's dashboard, same tenant | {board['admin']['median_ms']} ms | {board['admin']['p90_ms']} ms | — |",
        f"| client's portal home, {board['contracts']} contracts ({board['portal']['queries']} queries) "
        f"| {board['portal']['median_ms']} ms | {board['portal']['p90_ms']} ms | — |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
