"""Benchmark of acts and invoices on PostgreSQL: PDF render and seal per act, render per invoice page,
and the month-end run for 1,000 contracts, without PDFs in one process, then with PDFs across workers.

Run with `make bench` (needs DATABASE_URL pointing at PostgreSQL; it creates and drops its own
database `<name>_bench_billing`; REDIS_URL is the broker when set, else the filesystem broker in a
temporary directory). Writes bench/results/acts_invoices.json and prints a Markdown table.

BENCH_CONTRACTS (default 1000) contracts in BENCH_TENANTS (10) tenants are invoiced; all their invoices,
or the first BENCH_PDF_INVOICES when set (the whole run is then projected from them), are rendered by a
real `celery worker --concurrency=2` consuming a queue of its own; BENCH_ACTS (20) acts are rendered and
sealed. With every PDF the run takes about 5 minutes on a 2-core VM.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import dj_database_url  # noqa: E402
import django  # noqa: E402

from tests.bench.support import cross_tenant_on, drop_database, recreate_database, write_readme  # noqa: E402

CONTRACTS = int(os.environ.get("BENCH_CONTRACTS", "1000"))
TENANTS = max(1, min(int(os.environ.get("BENCH_TENANTS", "10")), CONTRACTS))
PDF_INVOICES = int(os.environ.get("BENCH_PDF_INVOICES", "0"))  # 0: every invoice
ACTS = int(os.environ.get("BENCH_ACTS", "20"))
ACT_LINES = 3
INVOICE_BREACHES = 120  # the long invoice: fee, quality, 120 penalties and the cap line
INVOICE_RUNS = 5
WORKERS = 2
QUEUE = "billing-bench"
# Month-end: the beat task runs on 1 November 2026, 09:00 in Moscow, and invoices October.
INVOICE_DAY = dt.datetime(2026, 11, 1, 6, 0, tzinfo=dt.UTC)
OCT_START, OCT_END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("make bench needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2
    base = dj_database_url.parse(url)
    bench_db = f"{base['NAME']}_bench_billing"
    recreate_database(base, bench_db)
    scratch = Path(tempfile.mkdtemp(prefix="bench-billing-"))
    # The worker started below inherits all of this: same database, same files, same broker.
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + bench_db
    cross_tenant_on(bench_db)
    os.environ["MEDIA_ROOT"] = str(scratch / "media")
    if not os.environ.get("REDIS_URL"):
        os.environ["VAR_DIR"] = str(scratch)  # the filesystem broker and results live under VAR_DIR
    django.setup()
    from django.core.management import call_command

    for name in ("weasyprint", "billing.tasks"):  # rendering steps, "built N invoice(s) of tenant T"
        logging.getLogger(name).setLevel(logging.WARNING)

    call_command("migrate", verbosity=0)
    from config.celery import app

    app.conf.task_always_eager = False
    app.conf.task_default_queue = QUEUE
    app.conf.task_routes = {}  # every task to that queue, whatever CELERY_TASK_ROUTES names
    worker = None
    try:
        results = _run_single()
        worker = _start_worker(scratch)
        results["pdf_run"] = _pdf_run(worker, results.pop("_invoices"))
        results["broker"] = app.conf.broker_url.split("://", 1)[0]
    except BaseException:
        if worker is not None and worker.poll() is None:
            print((scratch / "worker.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if worker is not None:
            _stop_worker(worker)
        try:
            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(QUEUE)
        except Exception as exc:  # noqa: BLE001 — cleanup must go on to drop the database
            print(f"could not purge {QUEUE}: {exc}", file=sys.stderr)
        from django.db import connections

        connections.close_all()
        drop_database(base, bench_db)
        shutil.rmtree(scratch, ignore_errors=True)
    out = ROOT / "bench" / "results" / "acts_invoices.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    table = _table(results)
    print(table)
    write_readme("acts_invoices", table)
    print(f"\nwritten to {out.relative_to(ROOT)} and README.md")
    return 0


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _pages(pdf: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(io.BytesIO(pdf), strict=False).root["/Pages"]["/Count"])


# --- acts: render and seal ------------------------------------------------------------------------


def _bench_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user("bench", email="")


def _acts(user):
    """ACTS + 1 sent acts of a few lines each (the first warms WeasyPrint up and issues the tenant's
    certificate); each is rendered and hashed by the render task's service, accepted, and sealed by
    the seal task's service. Also times the pure render and seal on the same bytes."""
    from confirmations import services
    from confirmations.models import Act, ActLine, ActState, SignatureEvidence
    from confirmations.pdf import render_act_pdf
    from confirmations.signing import seal_pdf
    from tenancy.context import tenant_context
    from tests.factories import ContractFactory, TenantFactory

    contract = ContractFactory(tenant=TenantFactory(name="Bench acts"), state="active", invoice_day=15)
    now = timezone_now()
    with tenant_context(contract.tenant):
        acts = Act.objects.bulk_create([
            Act(tenant_id=contract.tenant_id, number=f"ACT-2026-{n:05d}", contract=contract, client=contract.client,
                period_start=OCT_START, period_end=OCT_END, language="ru", currency=contract.currency,
                amount=Decimal("0.00"), state=ActState.SENT, revision=1, sent_at=now, sent_by=user,
                accept_by=now + dt.timedelta(days=5), created_by=user)
            for n in range(1, ACTS + 2)
        ])
        lines = []
        for act in acts:
            for position in range(1, ACT_LINES + 1):
                price = Decimal(15000 * position)
                lines.append(ActLine(tenant_id=contract.tenant_id, act=act, position=position, quantity=Decimal("1"),
                                     description=f"Работы по заявке ORD-{act.pk}-{position}: обслуживание "
                                                 f"серверной и рабочих мест за октябрь 2026",
                                     unit_price=price, amount=price))
        ActLine.objects.bulk_create(lines)
        for act in acts:
            act.amount = sum((line.amount for line in lines if line.act_id == act.pk), Decimal("0.00"))
        Act.objects.bulk_update(acts, ["amount"])

        render, seal, pure_render, pure_seal, sizes = [], [], [], [], []
        for act in acts:
            start = time.perf_counter()
            rendered = services.act_render(act_id=act.pk, revision=1)
            render.append(time.perf_counter() - start)
            assert rendered.pdf_sha256, "the act was not rendered"
            Act.objects.filter(pk=act.pk).update(state=ActState.SIGNED)
            SignatureEvidence.objects.create(act=act, signer=user, signer_name="Бенчмарк Б. Б.",
                                             method=SignatureEvidence.Method.PASSWORD, signed_at=timezone_now(),
                                             document_sha256=rendered.pdf_sha256, consent_text="bench")
            start = time.perf_counter()
            sealed = services.act_seal(act_id=act.pk)
            seal.append(time.perf_counter() - start)
            assert sealed.sealed_sha256, "the act was not sealed"
            reloaded = Act.objects.select_related("contract__provider", "contract__client", "contract__tenant").get(
                pk=act.pk)
            start = time.perf_counter()
            pdf = render_act_pdf(reloaded)
            pure_render.append(time.perf_counter() - start)
            start = time.perf_counter()
            seal_pdf(pdf, reason=f"Act {act.number} r1: bench", signer_name="Бенчмарк Б. Б.")
            pure_seal.append(time.perf_counter() - start)
            sizes.append(len(pdf))
    warm = slice(1, None)
    return {
        "acts": ACTS, "lines_per_act": ACT_LINES, "pages_per_act": _pages(pdf),
        "first_render_ms": _ms(render[0]), "first_seal_ms": _ms(seal[0]),
        "render_ms_median": _ms(statistics.median(render[warm])),
        "render_ms_max": _ms(max(render[warm])),
        "seal_ms_median": _ms(statistics.median(seal[warm])),
        "seal_ms_max": _ms(max(seal[warm])),
        "pdf_only_render_ms_median": _ms(statistics.median(pure_render[warm])),
        "pdf_only_seal_ms_median": _ms(statistics.median(pure_seal[warm])),
        "pdf_bytes_median": int(statistics.median(sizes[warm])),
    }


def timezone_now():
    from django.utils import timezone

    return timezone.now()


# --- one invoice of many lines: time per page ------------------------------------------------------


def _long_invoice(user):
    """An October invoice with INVOICE_BREACHES penalty lines (plus fee, quality and cap), rendered
    INVOICE_RUNS times as the export does (load with lines and evidence, render)."""
    from billing.pdf import render_invoices_pdf
    from billing.selectors import invoice_get
    from billing.services import invoice_build
    from tenancy.context import tenant_context
    from tests.factories import ClientFactory, TenantFactory, own_provider

    tenant = TenantFactory(name="Bench invoice")
    client = ClientFactory(tenant=tenant)
    with tenant_context(tenant):
        contracts = _contracts(tenant, client, own_provider(tenant), 1, invoice_day=15, prefix="LONG")
        _evidence(tenant, client, contracts, user, acts_per_contract=4, breaches_of=lambda i: INVOICE_BREACHES)
        invoice = invoice_build(contract=contracts[0], period=OCT_START, actor=None)
        times, pdf = [], b""
        for _ in range(INVOICE_RUNS):
            start = time.perf_counter()
            pdf = render_invoices_pdf([invoice_get(invoice_id=invoice.pk)], language="ru")
            times.append(time.perf_counter() - start)
        lines = invoice.lines.count()
    pages = _pages(pdf)
    median = statistics.median(times[1:])
    return {"lines": lines, "pages": pages, "runs": INVOICE_RUNS - 1, "render_ms_median": _ms(median),
            "first_render_ms": _ms(times[0]), "ms_per_page": _ms(median / pages), "pdf_bytes": len(pdf)}


# --- the month-end data ----------------------------------------------------------------------------


def _contracts(tenant, client, provider, count, *, invoice_day=1, prefix="SC"):
    from contracts.models import Contract

    return Contract.objects.bulk_create([
        Contract(tenant_id=tenant.pk, number=f"{prefix}-{tenant.pk}-{n:05d}", title=f"ИТ-аутсорсинг {n}",
                 client=client, provider=provider, state="active", start_date=dt.date(2026, 1, 1),
                 end_date=dt.date(2027, 12, 31), currency="RUB", monthly_fee=Decimal(100000 + 2500 * (n % 40)),
                 quality_share_pct=Decimal("20.00"), penalty_cap_pct=Decimal("15.00"), invoice_day=invoice_day)
        for n in range(1, count + 1)
    ])


def _evidence(tenant, client, contracts, user, *, acts_per_contract, breaches_of):
    """Accepted acts of October with their confirmations (ratings 1–5, every seventh deemed accepted,
    without one), and SLA breaches with penalties (order, clock, breach), as rows."""
    from confirmations.models import Act, ActState, Confirmation
    from orders.models import Order
    from sla.models import Breach, SLAClock

    acts, confirmations = [], []
    for i, contract in enumerate(contracts):
        for k in range(acts_per_contract):
            deemed = (i + k) % 7 == 0
            acts.append(Act(tenant_id=tenant.pk, number=f"ACT-{contract.pk}-{k + 1}", contract=contract, client=client,
                            period_start=OCT_START, period_end=OCT_END, currency="RUB", amount=contract.monthly_fee,
                            state=ActState.DEEMED_ACCEPTED if deemed else ActState.SIGNED, revision=1,
                            created_by=user))
            confirmations.append(dict(
                contract=contract, client=client, kind=Confirmation.Kind.DEEMED if deemed else Confirmation.Kind.SIGNED,
                rating=None if deemed else 1 + (i * 3 + k * 2) % 5,
                confirmed_by=None if deemed else user,
                confirmed_at=dt.datetime(2026, 10, 6 + 7 * k, 12, 0, tzinfo=dt.UTC)))
    Act.objects.bulk_create(acts, batch_size=2000)
    Confirmation.objects.bulk_create([Confirmation(tenant_id=tenant.pk, act=act, **fields)
                                      for act, fields in zip(acts, confirmations, strict=True)], batch_size=2000)
    orders, clocks, breaches = [], [], []
    for i, contract in enumerate(contracts):
        heavy = i % 10 == 9  # every tenth contract's penalties reach the cap
        for b in range(breaches_of(i)):
            at = dt.datetime(2026, 10, 2 + b % 27, 8 + b % 10, 0, tzinfo=dt.UTC)
            order = Order(tenant_id=tenant.pk, number=f"ORD-{contract.pk}-{b + 1}", contract=contract, client=client,
                          title="Сервер недоступен", reported_by=user, reported_at=at - dt.timedelta(hours=50),
                          state="accepted")
            clock = SLAClock(tenant_id=tenant.pk, order=order, metric="resolution", target=dt.timedelta(hours=48),
                             started_at=order.reported_at, due_at=at, warn_at=at - dt.timedelta(hours=12),
                             warned_at=at - dt.timedelta(hours=12), breached_at=at)
            orders.append(order)
            clocks.append(clock)
            breaches.append(Breach(tenant_id=tenant.pk, clock=clock, order=order, contract=contract,
                                   provider_id=contract.provider_id, metric="resolution", due_at=at, breached_at=at,
                                   penalty=Decimal("9000.00" if heavy else 1000 + 500 * (b % 5))))
    Order.objects.bulk_create(orders, batch_size=2000)
    for clock in clocks:
        clock.order_id = clock.order.pk
    SLAClock.objects.bulk_create(clocks, batch_size=2000)
    for breach in breaches:
        breach.clock_id, breach.order_id = breach.clock.pk, breach.order.pk
    Breach.objects.bulk_create(breaches, batch_size=2000)
    return len(acts), len(breaches)


def _seed_month_end(user):
    """TENANTS tenants with one client each and CONTRACTS running contracts between them, invoiced
    on the 1st; 3 accepted acts a contract, and 0–3 breaches."""
    from tenancy.context import cross_tenant, tenant_context
    from tenancy.db_router import cross_tenant_connection
    from tests.factories import ClientFactory, TenantFactory, own_provider

    counts = {"tenants": TENANTS, "contracts": 0, "acts": 0, "breaches": 0}
    for t in range(TENANTS):
        tenant = TenantFactory(name=f"Bench tenant {t + 1}")
        client = ClientFactory(tenant=tenant)
        share = CONTRACTS // TENANTS + (1 if t < CONTRACTS % TENANTS else 0)
        with tenant_context(tenant):
            contracts = _contracts(tenant, client, own_provider(tenant), share)
            acts, breaches = _evidence(tenant, client, contracts, user, acts_per_contract=3,
                                       breaches_of=lambda i: i % 4)
        counts["contracts"] += len(contracts)
        counts["acts"] += acts
        counts["breaches"] += breaches
    with cross_tenant(reason="benchmark: fresh statistics after seeding"), cross_tenant_connection().cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


def _month_end():
    """The beat task's path, in this process: every tenant, every contract due today."""
    import time_machine
    from django.db import connection

    from billing.models import Invoice, InvoiceLine
    from billing.tasks import build_due_invoices
    from tenancy.context import cross_tenant

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    with time_machine.travel(INVOICE_DAY, tick=True), connection.execute_wrapper(count):
        start = time.perf_counter()
        built = build_due_invoices()
        elapsed = time.perf_counter() - start
    with cross_tenant(reason="benchmark: what the month-end built"):
        invoices = list(Invoice.objects.filter(period_start=OCT_START, contract__invoice_day=1)
                        .order_by("pk").values_list("tenant_id", "pk"))
        lines = InvoiceLine.objects.filter(invoice__contract__invoice_day=1).count()
    return {"invoices_built": built, "seconds": round(elapsed, 2), "ms_per_contract": _ms(elapsed / max(built, 1)),
            "statements": statements, "statements_per_contract": round(statements / max(built, 1), 1),
            "invoice_lines": lines}, invoices


def _run_single():
    user = _bench_user()
    now = timezone_now()
    results = {"date": now.date().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "weasyprint": version("weasyprint")}
    results["act"] = _acts(user)
    results["invoice_pages"] = _long_invoice(user)
    seed_start = time.perf_counter()
    seeded = _seed_month_end(user)
    seeded["seed_seconds"] = round(time.perf_counter() - seed_start, 1)
    results["month_end"] = seeded
    built, invoices = _month_end()
    if built["invoices_built"] != seeded["contracts"]:
        raise RuntimeError(f"month-end built {built['invoices_built']} invoices for {seeded['contracts']} contracts")
    results["month_end"].update(built)
    results["_invoices"] = invoices
    return results


# --- month-end PDFs across a real worker pool -------------------------------------------------------


def _start_worker(scratch: Path) -> subprocess.Popen:
    log = open(scratch / "worker.log", "wb")  # noqa: SIM115 — the worker writes to it until stopped
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", f"--concurrency={WORKERS}", "-Q", QUEUE,
         "-n", f"bench-billing-{os.getpid()}@%h", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


def _stop_worker(worker: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM to the worker we started), then kill its process group if it lingers."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def _pdf_run(worker: subprocess.Popen, invoices: list[tuple[int, int]]) -> dict:
    """One render task per invoice through the broker, after a warm-up that both pool processes see."""
    from celery.result import ResultSet

    from billing.tasks import render_invoice_pdf

    def enqueue(batch):
        return ResultSet([render_invoice_pdf.apply_async((tenant_id, pk), queue=QUEUE) for tenant_id, pk in batch])

    warm_start = time.perf_counter()
    warm = enqueue(invoices[: WORKERS * 2])
    warm.get(timeout=300, propagate=True)
    warm_seconds = time.perf_counter() - warm_start
    if worker.poll() is not None:
        raise RuntimeError("the celery worker exited")
    limit = min(PDF_INVOICES, len(invoices)) if PDF_INVOICES > 0 else len(invoices)
    batch = invoices[:limit]
    if len(batch) < len(invoices):
        print(f"month-end PDFs: rendering {len(batch)} of the {len(invoices)} invoices (BENCH_PDF_INVOICES="
              f"{PDF_INVOICES}; unset or 0 renders them all)", flush=True)
    start = time.perf_counter()
    results = enqueue(batch)
    sizes = results.get(timeout=1800, propagate=True)
    elapsed = time.perf_counter() - start
    for result in [*warm.results, *results.results]:
        result.forget()
    return {"invoices": len(batch), "of": len(invoices), "limited": len(batch) < len(invoices),
            "workers": WORKERS, "pool": "prefork", "wall_seconds": round(elapsed, 2),
            "invoices_per_second": round(len(batch) / elapsed, 2),
            "all_invoices_projected_seconds": round(elapsed * len(invoices) / len(batch), 1),
            "ms_per_invoice_per_worker": _ms(elapsed * WORKERS / len(batch)),
            "pdf_bytes_median": int(statistics.median(sizes)), "startup_and_warmup_seconds": round(warm_seconds, 1)}


# --- output ------------------------------------------------------------------------------------------


def _table(results):
    act, page, month, pdf = results["act"], results["invoice_pages"], results["month_end"], results["pdf_run"]
    limited = (f"{pdf['invoices']:,} of the {pdf['of']:,} invoices (BENCH_PDF_INVOICES; all of them "
               f"≈ {pdf['all_invoices_projected_seconds']:,.0f} s)" if pdf["limited"]
               else f"all {pdf['invoices']:,} invoices")
    lines = [
        f"{month['contracts']:,} contracts in {month['tenants']} tenants; {results['machine']}; "
        f"broker {results.get('broker', '?')}; WeasyPrint {results['weasyprint']}; {results['date']}",
        "",
        "| what | time | per unit |",
        "| --- | ---: | ---: |",
        f"| act PDF: render, hash, store (median of {act['acts']}, {act['lines_per_act']} lines, "
        f"{act['pages_per_act']} page) | {act['render_ms_median']} ms | — |",
        f"| act seal: PAdES under the tenant's certificate, store (median of {act['acts']}) "
        f"| {act['seal_ms_median']} ms | — |",
        f"| invoice PDF: {page['lines']} lines on {page['pages']} pages (median of {page['runs']}) "
        f"| {page['render_ms_median']:,} ms | {page['ms_per_page']} ms per page |",
        f"| month-end without PDFs: {month['invoices_built']:,} invoices built by the beat task, one process "
        f"| {month['seconds']} s | {month['ms_per_contract']} ms per contract |",
        f"| month-end PDFs: {limited}, {pdf['workers']} worker processes "
        f"| {pdf['wall_seconds']} s | {pdf['invoices_per_second']} invoices/s |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
