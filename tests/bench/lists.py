"""Benchmark of the lists and the API on PostgreSQL, over HTTP through the whole stack: the orders API
(first and last page, default sort and every filter), one order, the orders page, the contracts, acts,
invoices and breaches lists, each against a plain-DRF (or plain Django) baseline in the same run; the
same at 5,000 and at 500,000 orders; order creation at both sizes and two tenants creating at once.

Run with `make bench` or `make bench-lists` (needs DATABASE_URL pointing at PostgreSQL, and `wrk`,
which the Makefile installs from Debian when missing). It creates and drops its own database
`<name>_bench_lists`, seeds it with bulk SQL, and serves it with gunicorn (2 sync workers, as `make demo`'s
web) on a free port, DEBUG off, as the application's role (row-level security on), authenticated by
a real API key (a session cookie for the HTML pages). The baselines live in tests/bench/lists_urls.py,
mounted by tests/bench/lists_settings.py beside the product's URLs: same middleware, authentication,
permission and tenant wall, only the view differs. Each comparison runs project, baseline, project,
baseline for BENCH_LIST_SECONDS (10) each with `wrk`, 16 connections; filters and creation run
BENCH_LIST_SHORT_SECONDS (5). Writes bench/results/lists.json and prints a Markdown table.

Sizes: BENCH_LIST_SIZES (default "5000,500000") orders in the big tenant, in that order; two small
tenants hold BENCH_LIST_SMALL_ORDERS (300) each. The whole run takes about 13 minutes on 2 cores.
BENCH_LIST_QUICK=1 measures only the orders API's first page against its baseline, at the first size,
and beside it the same list of one order and a bare view (the floor any list stands on), and keeps
them in lists.json under "orders_api_quick" beside the last full run (a line under the table).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import dj_database_url  # noqa: E402
import django  # noqa: E402

from tests.bench.support import cross_tenant_on, drop_database, recreate_database, write_readme  # noqa: E402

SIZES = [int(s) for s in os.environ.get("BENCH_LIST_SIZES", "5000,500000").split(",") if s.strip()]
SMALL_ORDERS = int(os.environ.get("BENCH_LIST_SMALL_ORDERS", "300"))
SECONDS = int(os.environ.get("BENCH_LIST_SECONDS", "10"))
SHORT_SECONDS = int(os.environ.get("BENCH_LIST_SHORT_SECONDS", "5"))
CONNECTIONS = 16
WEB_WORKERS = 2
QUEUE = "lists-bench"  # tests/bench/lists_settings.py
CONTRACTS, CLIENTS, STAFF, TEAMS, MONTHS = 400, 40, 20, 4, 12  # of the big tenant; acts and invoices a month
PAGE = 50
# A URL whose one request takes longer is not loaded with wrk (its figures are that request's).
SLOW_SECONDS = float(os.environ.get("BENCH_LIST_SLOW_SECONDS", "5"))

# The global search page at each size: a word in a fifth of the orders' titles, and a word in none.
SEARCH_PAGE = {"a common word": "сервер", "no match": "zzzz"}
# The other pages a person opens every day, timed at each size: the home page counts this month's
# clocks and breaches, the breaches page lists them newest first; contracts, acts and billing do not
# grow with the orders (the seeding's documents are the same at both sizes) and stand beside them.
PAGES = {"home `/`": "/", "breaches `/breaches/`": "/breaches/", "contracts `/contracts/`": "/contracts/",
         "acts `/acts/`": "/acts/", "billing desk `/billing/`": "/billing/"}

# Order's denormalized list columns, filled after the clocks when the model has them (one line each).
DENORMALIZED = {
    "next_due_at": "(SELECT min(c.due_at) FROM sla_slaclock c WHERE c.order_id = o.id AND c.stopped_at IS NULL)",
    "is_breached": "EXISTS (SELECT 1 FROM sla_slaclock c WHERE c.order_id = o.id AND c.breached_at IS NOT NULL)",
}


# --- seeding: bulk SQL ---------------------------------------------------------------------------------


def sql_ints(ids) -> str:
    return "ARRAY[" + ",".join(str(int(i)) for i in ids) + "]::bigint[]"


def sql_ts(moment: dt.datetime) -> str:
    return f"'{moment.isoformat()}'::timestamptz"


def insert_select(cursor, model, values: dict[str, str], source: str) -> int:
    """INSERT INTO the model's table SELECT ... FROM `source`: `values` maps a field's attname to an SQL
    expression over the source; every other column takes the field's default (a column without one
    and not nullable is an error naming it: give it a line in `values`)."""
    from django.db import connection

    columns, expressions, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.attname in values:
            expressions.append(values[f.attname])
        elif f.primary_key:
            continue
        else:
            default = f.get_default()
            if default is None and not f.null:
                raise ValueError(f"the list benchmark's seeding gives no value to {model.__name__}.{f.attname}")
            expressions.append("%s")
            params.append(f.get_db_prep_save(default, connection))
        columns.append(connection.ops.quote_name(f.column))
    unknown = set(values) - {f.attname for f in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no {sorted(unknown)}")
    # Every piece is this module's own SQL: ints, timestamps it formatted, the model's table and columns.
    cursor.execute(f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "  # noqa: S608
                   f"SELECT {', '.join(expressions)} FROM {source}", params)
    return cursor.rowcount


@dataclass
class Shop:
    """One tenant of the benchmark: its administrator (who made the API key), clients, contracts, staff."""

    tenant: object
    admin: object
    key: str
    contracts: list[int]
    contract_clients: list[int]
    clients: list[int]
    staff: list[int]
    teams: list[int]
    orders: int = 0
    extra: dict = field(default_factory=dict)


def seed_shop(name: str, *, contracts: int, clients: int, staff: int, teams: int) -> Shop:
    """A tenant with an administrator and an API key (read and write), clients, active contracts,
    engineers and teams."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from contracts.models import Client, Contract
    from orders.models import Team
    from tenancy.context import tenant_context
    from tenancy.models import Membership
    from tenancy.services import api_key_create
    from tests.factories import TenantFactory, own_provider

    users = get_user_model()
    slug = name.lower().replace(" ", "-")
    tenant = TenantFactory(name=name, slug=slug)
    provider = own_provider(tenant)
    admin = users.objects.create_user(f"{slug}-admin", email=f"{slug}-admin@example.com",
                                      first_name="Bench", last_name="Admin")
    people = users.objects.bulk_create([users(username=f"{slug}-eng-{n}", first_name="Инженер", last_name=f"№{n}",
                                              password="!") for n in range(staff)])
    with tenant_context(tenant, user=admin):
        Membership.objects.bulk_create([Membership(tenant=tenant, user=admin, role="admin")] + [
            Membership(tenant=tenant, user=user, role="engineer") for user in people])
        client_rows = Client.objects.bulk_create([
            Client(tenant=tenant, name=f"Контрагент {n}", legal_name=f"ООО «Контрагент {n}»", tax_id=f"77{n:08d}")
            for n in range(1, clients + 1)])
        today = timezone.now().date()
        contract_rows = Contract.objects.bulk_create([
            Contract(tenant=tenant, number=f"SC-{n:05d}", title=f"ИТ-аутсорсинг {n}", client=client_rows[n % clients],
                     provider=provider, state="active", start_date=today - dt.timedelta(days=400),
                     end_date=today + dt.timedelta(days=700), currency="RUB", monthly_fee=100000 + 2500 * (n % 40))
            for n in range(1, contracts + 1)])
        team_rows = Team.objects.bulk_create([Team(tenant=tenant, name=f"Группа {n}", provider=provider)
                                              for n in range(1, teams + 1)])
        _, raw = api_key_create(actor=admin, name="bench", scopes=["read", "write"])
    return Shop(tenant=tenant, admin=admin, key=raw, contracts=[c.pk for c in contract_rows],
                contract_clients=[c.client_id for c in contract_rows], clients=[c.pk for c in client_rows],
                staff=[u.pk for u in people], teams=[t.pk for t in team_rows])


def seed_orders(shop: Shop, upto: int, now: dt.datetime) -> dict:
    """Orders of the shop up to `upto` (numbers B-1 … B-upto, the higher the older, one every 41 s), each with
    its response and resolution clocks (about 11 % open, 6 % of clocks late and breached, every open
    order's clock due in the past breached too), a breach per breached clock, then the order's
    denormalized list columns. All by INSERT ... SELECT over generate_series."""
    from orders.models import Order
    from sla.models import Breach, SLAClock
    from tenancy.context import cross_tenant
    from tenancy.db_router import cross_tenant_connection

    first = shop.orders + 1
    if upto < first:
        return {}
    counts = {}
    n_contracts, n_staff, n_teams = len(shop.contracts), len(shop.staff), len(shop.teams)
    with cross_tenant(reason="benchmark seeding"), cross_tenant_connection().cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM orders_order")
        last_order = cursor.fetchone()[0]
        cursor.execute("SELECT coalesce(max(id), 0) FROM sla_slaclock")
        last_clock = cursor.fetchone()[0]
        state = ("CASE WHEN g %% 100 < 2 THEN 'new' WHEN g %% 100 < 4 THEN 'acknowledged' "
                 "WHEN g %% 100 < 9 THEN 'in_progress' WHEN g %% 100 < 10 THEN 'waiting_on_client' "
                 "WHEN g %% 100 < 11 THEN 'rework' WHEN g %% 100 < 13 THEN 'delivered' "
                 "WHEN g %% 100 < 23 THEN 'cancelled' ELSE 'accepted' END")
        reported = f"{sql_ts(now)} - g * interval '41 seconds'"
        counts["orders"] = insert_select(cursor, Order, {
            "tenant_id": str(shop.tenant.pk),
            "number": "'B-' || g",
            "contract_id": f"({sql_ints(shop.contracts)})[1 + g %% {n_contracts}]",
            "client_id": f"({sql_ints(shop.contract_clients)})[1 + g %% {n_contracts}]",
            "kind": "CASE WHEN g %% 6 = 0 THEN 'incident' ELSE 'request' END",
            "title": "(ARRAY['Не работает почта', 'Замена картриджа', 'Сервер недоступен', 'Настроить VPN', "
                     "'Рабочее место новому сотруднику'])[1 + g %% 5] || ' #' || g",
            "description": "'Описание заявки ' || g",
            "priority": "(ARRAY['low', 'normal', 'normal', 'high', 'critical'])[1 + (g / 7) %% 5]",
            "reported_at": reported,
            "reported_by_id": str(shop.admin.pk),
            "team_id": f"({sql_ints(shop.teams)})[1 + g %% {n_teams}]" if n_teams else "NULL",
            "assignee_id": (f"CASE WHEN g %% 100 < 2 THEN NULL ELSE ({sql_ints(shop.staff)})[1 + (g / 3) %% {n_staff}] END"
                            if n_staff else "NULL"),
            "state": state,
            "created_at": reported,
        }, f"generate_series({first}, {upto}) AS g")
        # The orders' words for the search (orders.search.words; the seeded texts have no number with leading zeros).
        from orders.models import OrderSearchTerm

        counts["search_terms"] = insert_select(cursor, OrderSearchTerm, {
            "tenant_id": "w.tenant_id", "order_id": "w.id", "term": "w.term"}, f"""(
            SELECT DISTINCT o.tenant_id, o.id, left(t, 64) AS term
            FROM orders_order o, regexp_split_to_table(lower(o.number || ' ' || o.title || ' ' || o.description), '\\W+') t
            WHERE o.tenant_id = {int(shop.tenant.pk)} AND o.id > {int(last_order)} AND t <> '') AS w""")  # noqa: S608
        # Per clock: late (about 6 %) stops after its due time, or is still running past it.
        clock_rows = f"""(
            SELECT o.tenant_id, o.id AS order_id, m.metric, make_interval(hours => m.hours) AS target,
                   o.reported_at AS started, o.reported_at + make_interval(hours => m.hours) AS due,
                   CASE WHEN m.metric = 'response' AND o.state <> 'new'
                          THEN o.reported_at + CASE WHEN o.id %% 17 = 0 THEN interval '30 hours' ELSE interval '2 hours' END
                        WHEN m.metric = 'resolution' AND o.state IN ('delivered', 'accepted', 'cancelled')
                          THEN o.reported_at + CASE WHEN o.id %% 17 = 0 THEN interval '60 hours' ELSE interval '20 hours' END
                   END AS stop,
                   m.metric = 'resolution' AND o.state = 'waiting_on_client' AS paused
            FROM orders_order o CROSS JOIN (VALUES ('response', 24), ('resolution', 48)) AS m(metric, hours)
            WHERE o.tenant_id = {int(shop.tenant.pk)} AND o.id > {int(last_order)}
        ) AS s"""  # noqa: S608 — ints only
        breached = f"CASE WHEN s.stop > s.due OR (s.stop IS NULL AND s.due < {sql_ts(now)}) THEN s.due END"
        counts["clocks"] = insert_select(cursor, SLAClock, {
            "tenant_id": "s.tenant_id", "order_id": "s.order_id", "metric": "s.metric", "target": "s.target",
            "started_at": "s.started", "due_at": "s.due", "warn_at": "s.started + s.target * 0.75",
            "stopped_at": "s.stop", "breached_at": breached, "warned_at": breached,
            "paused_since": "CASE WHEN s.paused THEN s.started + interval '3 hours' END",
        }, clock_rows)
        counts["breaches"] = insert_select(cursor, Breach, {
            "tenant_id": "c.tenant_id", "clock_id": "c.id", "order_id": "c.order_id", "contract_id": "o.contract_id",
            "provider_id": "k.provider_id", "metric": "c.metric", "due_at": "c.due_at", "breached_at": "c.breached_at",
            "penalty": "1000 + 500 * (c.id %% 5)",
        }, f"""sla_slaclock c JOIN orders_order o ON o.id = c.order_id JOIN contracts_contract k ON k.id = o.contract_id
               WHERE c.id > {int(last_clock)} AND c.tenant_id = {int(shop.tenant.pk)} AND c.breached_at IS NOT NULL""")
        columns = {f.attname for f in Order._meta.concrete_fields}
        denormalized = {name: sql for name, sql in DENORMALIZED.items() if name in columns}
        if denormalized:
            assignments = ", ".join(f"{Order._meta.get_field(name).column} = {sql}" for name, sql in denormalized.items())
            cursor.execute(f"UPDATE orders_order o SET {assignments} "  # noqa: S608
                           f"WHERE o.tenant_id = {int(shop.tenant.pk)} AND o.id > {int(last_order)}")
        counts["denormalized_columns"] = sorted(denormalized)
    shop.orders = upto
    return counts


def seed_documents(shop: Shop, now: dt.datetime, months: int = MONTHS) -> dict:
    """A signed act and an issued invoice per contract and month, for the `months` months before this one."""
    from billing.models import Invoice
    from confirmations.models import Act
    from tenancy.context import cross_tenant
    from tenancy.db_router import cross_tenant_connection

    start = f"(date_trunc('month', {sql_ts(now)}) - make_interval(months => m + 1))::date"
    end = f"({start} + interval '1 month' - interval '1 day')::date"
    source = (f"contracts_contract k CROSS JOIN generate_series(0, {months - 1}) AS m "
              f"WHERE k.tenant_id = {int(shop.tenant.pk)}")
    with cross_tenant(reason="benchmark seeding"), cross_tenant_connection().cursor() as cursor:
        acts = insert_select(cursor, Act, {
            "tenant_id": "k.tenant_id", "number": "'ACT-B-' || k.id || '-' || m", "contract_id": "k.id",
            "client_id": "k.client_id", "period_start": start, "period_end": end, "language": "'ru'",
            "currency": "k.currency", "amount": "k.monthly_fee",
            "state": "CASE WHEN m = 0 THEN 'sent' WHEN m %% 11 = 5 THEN 'deemed_accepted' ELSE 'signed' END",
            "revision": "1", "created_by_id": str(shop.admin.pk), "sent_by_id": str(shop.admin.pk),
            "sent_at": f"{end} + interval '2 days'", "accept_by": f"{end} + interval '7 days'",
            "created_at": f"{end} + interval '1 day'",
        }, source)
        invoices = insert_select(cursor, Invoice, {
            "tenant_id": "k.tenant_id", "number": "'INV-B-' || k.id || '-' || m", "contract_id": "k.id",
            "client_id": "k.client_id", "period_start": start, "period_end": end, "currency": "k.currency",
            "vat_rate": "22", "fee": "k.monthly_fee", "subtotal": "k.monthly_fee",
            "vat_amount": "round(k.monthly_fee * 0.22, 2)", "total": "round(k.monthly_fee * 1.22, 2)",
            "state": "CASE WHEN m = 0 THEN 'issued' ELSE 'paid' END", "issue_date": f"{end} + 1",
            "due_date": f"{end} + 15", "built_at": f"{end} + interval '1 day'",
            "issued_at": f"{end} + interval '1 day'", "created_at": f"{end} + interval '1 day'",
        }, source)
    return {"acts": acts, "invoices": invoices}


def analyze() -> None:
    """Fresh statistics and visibility maps after a bulk load, as autovacuum would leave them (the
    application's role owns the tables)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("orders_order", "orders_ordersearchterm", "sla_slaclock", "sla_breach", "confirmations_act", "billing_invoice",
                      "contracts_contract", "contracts_client"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def count_months(shop: Shop) -> None:
    """What the beat does every ten minutes: count the shop's closed months for the home page's trend
    (reviews.compliance), so that the home page is timed as a tenant's users meet it."""
    from reviews.tasks import count_compliance

    start = time.perf_counter()
    count_compliance(shop.tenant.pk)
    print(f"counted the closed months in {time.perf_counter() - start:.1f} s", flush=True)


def session_cookie(shop: Shop) -> str:
    """A signed-in browser session of the shop's administrator, in its tenant."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from tenancy.middleware import SESSION_KEY as TENANT_KEY

    session = SessionStore()
    session[SESSION_KEY] = str(shop.admin.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = shop.admin.get_session_auth_hash()
    session[TENANT_KEY] = shop.tenant.pk
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# --- HTTP: the server, probes and wrk ------------------------------------------------------------------

WRK_SCRIPT = r"""
wrk.method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
if body and body ~= "" then wrk.body = body; wrk.headers["Content-Type"] = "application/json" end
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
wrk.headers["Accept-Language"] = "en"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, \"connect_errors\": %d, " ..
    "\"read_errors\": %d, \"write_errors\": %d, \"status_errors\": %d, \"timeouts\": %d, " ..
    "\"p50_us\": %d, \"p90_us\": %d, \"p95_us\": %d, \"p99_us\": %d, \"mean_us\": %.1f, \"max_us\": %d}\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.mean, latency.max))
end
"""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect (to the login page, say) is an answer to check, not to follow: wrk does not follow it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class Web:
    """gunicorn serving the bench database, and the requests made to it."""

    def __init__(self, scratch: Path, env: dict):
        self.scratch, self.env = scratch, env
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.script = scratch / "bench.lua"
        self.script.write_text(WRK_SCRIPT)
        self.process = None
        self.cheapest = 1.0  # the quickest cheap request seen: what "the workers are free" looks like
        self.timed: dict[str, float] = {}  # each path's last request time

    def start(self) -> None:
        log = open(self.scratch / "gunicorn.log", "wb")  # noqa: SIM115 — gunicorn writes to it until stopped
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(WEB_WORKERS), "--log-level", "warning"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited:\n" + self.log_tail())
            try:
                self.get("/api/v1/")  # any answer: the server is up
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
                continue
            for _ in range(5):
                start = time.perf_counter()
                self.get("/api/v1/")
                self.cheapest = min(self.cheapest, time.perf_counter() - start)
            return
        raise RuntimeError("gunicorn did not answer within 90 s:\n" + self.log_tail())

    def log_tail(self) -> str:
        path = self.scratch / "gunicorn.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def drain(self, limit: float = 120) -> None:
        """Wait until the requests wrk left queued are served: gunicorn's sync workers answer every
        request they accepted even after wrk has hung up, and the next measurement would queue behind
        them. A cheap request (an unauthenticated API call, 401) answered quickly twice in a row means
        the workers are free."""
        deadline, quick = time.monotonic() + limit, 0
        while quick < 2 and time.monotonic() < deadline:
            start = time.perf_counter()
            self.get("/api/v1/")
            elapsed = time.perf_counter() - start
            self.cheapest = min(self.cheapest, elapsed)
            quick = quick + 1 if elapsed < max(0.05, 3 * self.cheapest) else 0

    def get(self, path: str, *, auth: str | None = None, cookie: str | None = None, method: str = "GET",
            body: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept-Language": "en"}
        if auth:
            headers["Authorization"] = auth
        if cookie:
            headers["Cookie"] = cookie
        if body:
            headers["Content-Type"] = "application/json"
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(url, data=body.encode() if body else None, headers=headers, method=method)  # noqa: S310
        start = time.perf_counter()
        try:
            with _OPENER.open(request, timeout=300) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        finally:
            self.timed[path] = time.perf_counter() - start

    def json(self, path: str, *, auth: str) -> dict:
        status, content = self.get(path, auth=auth)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {content[:500]!r}")
        return json.loads(content)

    def wrk(self, path: str, *, seconds: int, connections: int = CONNECTIONS, auth: str | None = None,
            cookie: str | None = None, method: str = "GET", body: str | None = None, expect: int = 200) -> dict:
        """`wrk` against `path`; the first request is checked for `expect` (a 302 or 404 would be fast and wrong)."""
        status, content = self.get(path, auth=auth, cookie=cookie, method=method, body=body)
        if status != expect:
            raise RuntimeError(f"{method} {path} answered {status}, not {expect}: {content[:500]!r}")
        env = {**os.environ, "BENCH_AUTH": auth or "", "BENCH_COOKIE": cookie or "", "BENCH_METHOD": method,
               "BENCH_BODY": body or ""}
        out = subprocess.run(
            ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
             "-s", str(self.script), self.base + path],
            env=env, capture_output=True, text=True, check=True)
        self.drain()
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no figures:\n{out.stdout}\n{out.stderr}")
        raw = json.loads(line[len("WRK_JSON "):])
        if raw["requests"] == 0:  # not one answer within the run: slower than the run itself
            return {**_too_slow(raw["duration_us"] / 1e6), "requests": 0}
        errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts"))
        if errors:
            print(f"  wrk {method} {path}: {errors} errors ({raw})", file=sys.stderr, flush=True)
        seconds_run = raw["duration_us"] / 1e6
        return {"requests": raw["requests"], "rps": round(raw["requests"] / seconds_run, 1), "errors": errors,
                "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000, "p95_ms": raw["p95_us"] / 1000,
                "p99_ms": raw["p99_us"] / 1000, "mean_ms": round(raw["mean_us"] / 1000, 2),
                "max_ms": raw["max_us"] / 1000, "bytes_per_request": raw["bytes"] // max(raw["requests"], 1)}


def _side(runs: list[dict]) -> dict:
    """Two or more runs of one side: mean rps and mean percentiles, and the runs themselves."""
    keys = ("rps", "p50_ms", "p95_ms", "p99_ms", "mean_ms")
    merged = {k: round(statistics.fmean(r[k] for r in runs), 2) for k in keys}
    merged["errors"] = sum(r["errors"] for r in runs)
    merged["runs"] = runs
    return merged


# --- the measurements ------------------------------------------------------------------------------------


@dataclass
class Bench:
    web: Web
    shop: Shop
    cookie: str
    results: dict = field(default_factory=dict)

    @property
    def auth(self) -> str:
        return f"Bearer {self.shop.key}"

    def credentials(self, cookie: bool) -> dict:
        return {"cookie": self.cookie} if cookie else {"auth": self.auth}

    def probe(self, path: str, *, cookie: bool = False) -> float | None:
        """One request, timed (it also warms a worker); its time when it is too slow to load with wrk (or
        when gunicorn's worker timeout cut it off). A path already seen too slow is not asked again."""
        known = self.web.timed.get(path)
        if known is not None and known > SLOW_SECONDS:
            return known
        start = time.perf_counter()
        try:
            status, content = self.web.get(path, **self.credentials(cookie))
        except OSError:  # timed out, or the worker was killed by gunicorn's timeout
            return time.perf_counter() - start
        elapsed = time.perf_counter() - start
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {content[:500]!r}")
        return elapsed if elapsed > SLOW_SECONDS else None

    def load(self, path: str, *, seconds: int, cookie: bool = False) -> dict:
        return self.web.wrk(path, seconds=seconds, **self.credentials(cookie))

    def compare(self, project: str, baseline: str, *, seconds: int = SECONDS, cookie: bool = False,
                rounds: int = 2) -> dict:
        """project, baseline, project, baseline…, `seconds` each; a side whose one request takes more than
        SLOW_SECONDS is not loaded (its figures are that request's)."""
        slow = {"project": self.probe(project, cookie=cookie), "baseline": self.probe(baseline, cookie=cookie)}
        paths = {"project": project, "baseline": baseline}
        for side, path in paths.items():
            for _ in range(WEB_WORKERS - 1 if slow[side] is None else 0):
                self.web.get(path, **self.credentials(cookie))
        runs = {"project": [], "baseline": []}
        for _ in range(rounds):
            for side, path in paths.items():
                if slow[side] is None:
                    runs[side].append(self.load(path, seconds=seconds, cookie=cookie))
        out = {"project_url": project, "baseline_url": baseline}
        for side in paths:
            out[side] = _too_slow(slow[side]) if slow[side] is not None else _side(runs[side])
        out["rps_ratio"] = round(out["project"]["rps"] / out["baseline"]["rps"], 2) if out["baseline"]["rps"] else None
        print(f"  {project:<60} {_said(out['project'])} | baseline {_said(out['baseline'])} | ×{out['rps_ratio']}",
              flush=True)
        return out

    def single(self, path: str, *, seconds: int = SHORT_SECONDS, cookie: bool = False) -> dict:
        slow = self.probe(path, cookie=cookie)
        if slow is not None:
            run = _too_slow(slow)
        else:
            for _ in range(WEB_WORKERS - 1):
                self.web.get(path, **self.credentials(cookie))
            run = self.load(path, seconds=seconds, cookie=cookie)
        print(f"  {path:<60} {_said(run)}", flush=True)
        return {"url": path, **run}


def _too_slow(seconds: float) -> dict:
    """A side too slow to load: one request's time stands for its latency (a lower bound: 16 at once
    would queue), its inverse for its rate."""
    ms = round(seconds * 1000, 1)
    return {"too_slow": True, "rps": round(1 / seconds, 2), "p50_ms": ms, "p95_ms": ms, "p99_ms": ms, "mean_ms": ms,
            "errors": 0, "runs": []}


def _said(side: dict) -> str:
    if side.get("too_slow"):
        return f"one request took {side['mean_ms'] / 1000:.1f} s: not loaded"
    return f"{side['rps']:>7} rps p50 {side['p50_ms']:>7.1f} ms p95 {side['p95_ms']:>7.1f} ms"


def _keyset_end(token: str, model) -> str | None:
    """A cursor of `tenancy.keyset` (the product's keyset pages) for the same sort, placed beyond the
    list's last row and read backwards: its page is the last page. Signed with the server's key, which
    this process shares. None when the token is not one of those (then `next` is followed)."""
    if model is None:
        return None
    try:
        import importlib

        from django.core import signing
        from django.db.models import Max, Min

        from tenancy.context import cross_tenant

        keyset = importlib.import_module("tenancy.keyset")  # the product's keyset pages, where it has them
        data = signing.loads(token, salt=keyset.SALT)
        sort = keyset.Sort.parse(data["o"], model)
        if sort.nullable:  # the rows without a value come last, newest first: the end is below id 1
            return sort.token(1, [0], backwards=True, scope=data.get("q", ""))
        with cross_tenant(reason="benchmark: a position beyond every row"):
            edges = model.objects.aggregate(low=Min(sort.field), high=Max(sort.field), top=Max("id"))
        if sort.descending:
            position = [edges["low"], 0]
        else:
            position = [edges["high"], (edges["top"] or 0) + 1]
        return sort.token(0, [keyset._plain(position[0]), position[1]], backwards=True, scope=data.get("q", ""))
    except Exception as exc:  # noqa: BLE001 — another pagination than tenancy.keyset: follow `next`
        print(f"  no keyset cursor to the end ({exc!r}): following next", file=sys.stderr, flush=True)
        return None


def last_page(web: Web, path: str, *, auth: str, model=None) -> tuple[str, str, int | None]:
    """The URL of the last page of the list at `path` and how it was found: page numbers (`count`), a
    keyset cursor to the end (`model` is the list's model), or else by following `next` for at most
    30 s (then the deepest page reached, said so). Also the list's `count`, when it gives one."""
    try:
        data = web.json(path, auth=auth)
    except OSError:  # the first page did not answer (gunicorn's worker timeout): neither will the last
        return path, "not found: the first page did not answer", None
    count = data.get("count")
    following = data.get("next")
    if not following:
        return path, "the only page", count
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(following).query)
    split = urllib.parse.urlsplit(path)
    params = urllib.parse.parse_qs(split.query)
    if "page" in query and data.get("count") is not None:
        pages = max(1, math.ceil(data["count"] / max(len(data.get("results") or []), 1)))
        params["page"] = [str(pages)]
        return f"{split.path}?{urllib.parse.urlencode(params, doseq=True)}", f"page {pages:,} of {pages:,}", count
    if "cursor" in query:
        end = _keyset_end(query["cursor"][0], model)
        if end is not None:
            params["cursor"] = [end]
            url = f"{split.path}?{urllib.parse.urlencode(params, doseq=True)}"
            status, _ = web.get(url, auth=auth)
            if status == 200:
                return url, "a cursor to the end, read backwards", count
    deadline, depth = time.monotonic() + 30, 1
    url = path
    while following and time.monotonic() < deadline:
        parts = urllib.parse.urlsplit(following)
        url = f"{parts.path}?{parts.query}"
        following = web.json(url, auth=auth).get("next")
        depth += 1
    return url, f"page {depth:,} by following next" + ("" if not following else " (not the last: 30 s spent)"), count


def measure_size(bench: Bench, size: int) -> dict:
    """The orders API and page at this size: first and last pages, every filter, one order, creation."""
    shop, web, auth = bench.shop, bench.web, bench.auth
    api, base = "/api/v1/orders/", "/bench-baseline/api/orders/"
    out: dict = {"orders": size}
    print(f"{size:,} orders", flush=True)
    out["first_page"] = bench.compare(api, base)
    from orders.models import Order

    project_last, how, _ = last_page(web, api, auth=auth, model=Order)
    baseline_last, baseline_how, _ = last_page(web, base, auth=auth)
    out["last_page"] = bench.compare(project_last, baseline_last)
    out["last_page"].update(how=how, baseline_how=baseline_how)
    filters = {
        "state=in_progress": "state=in_progress",
        "client": f"client={shop.clients[3]}",
        "contract": f"contract={shop.contracts[7]}",
        "team": f"team={shop.teams[1]}",
        "assignee": f"assignee={shop.staff[5]}",
        "priority=critical": "priority=critical",
        "breached=true": "breached=true",
        "ordering=-reported_at (newest)": "ordering=-reported_at",
        "ordering=reported_at (oldest)": "ordering=reported_at",
        "search, a common word": "search=" + urllib.parse.quote("сервер"),
        "search, a number": "search=B-4321",
        "search, no match": "search=zzzz",
    }
    out["filters"] = {}
    for name, query in filters.items():
        first = f"{api}?{query}"
        deep, deep_how, count = last_page(web, first, auth=auth, model=Order)
        out["filters"][name] = {"first": bench.single(first), "last": bench.single(deep), "last_how": deep_how,
                                "count": count}
    order_id = web.json(base, auth=auth)["results"][0]["id"]
    out["one_order"] = bench.single(f"{api}{order_id}/")
    out["page"] = bench.compare("/orders/", "/bench-baseline/orders-page/", cookie=True)
    out["search_page"] = {what: bench.single(f"/search/?q={urllib.parse.quote(text)}", cookie=True)
                          for what, text in SEARCH_PAGE.items()}
    out["pages"] = {what: bench.single(url, cookie=True) for what, url in PAGES.items()}
    out["create"] = measure_create(bench)
    return out


def _order_body(shop: Shop) -> str:
    return json.dumps({"contract": shop.contracts[0], "title": "Не работает принтер", "kind": "request",
                       "priority": "normal", "description": "Создано бенчмарком"})


def measure_create(bench: Bench) -> dict:
    """Creating orders through the API: one connection (latency), then 16 (throughput)."""
    shop, web = bench.shop, bench.web
    body = _order_body(shop)
    single = web.wrk("/api/v1/orders/", seconds=SHORT_SECONDS, connections=1, auth=bench.auth, method="POST",
                     body=body, expect=201)
    many = web.wrk("/api/v1/orders/", seconds=SHORT_SECONDS, auth=bench.auth, method="POST", body=body, expect=201)
    print(f"  POST /api/v1/orders/: 1 connection {single['rps']} rps p50 {single['p50_ms']} ms; "
          f"16 connections {many['rps']} rps p95 {many['p95_ms']} ms", flush=True)
    return {"one_connection": single, "sixteen_connections": many}


def measure_two_tenants(bench: Bench, other: Shop) -> dict:
    """Two tenants creating orders, each alone and then both at once, one connection each: alone a tenant
    keeps one of the two workers busy, together both; if the tenants did not wait for each other the
    two at once make about twice the orders of one alone (as far as the cores allow)."""
    from concurrent.futures import ThreadPoolExecutor

    web, per = bench.web, 1
    shops = {"big": (bench.shop, f"Bearer {bench.shop.key}"), "small": (other, f"Bearer {other.key}")}

    def run(name):
        shop, auth = shops[name]
        return web.wrk("/api/v1/orders/", seconds=SHORT_SECONDS, connections=per, auth=auth, method="POST",
                       body=_order_body(shop), expect=201)

    alone = {name: run(name) for name in shops}
    with ThreadPoolExecutor(2) as pool:
        together = dict(zip(shops, pool.map(run, shops), strict=True))
    alone_sum = sum(r["rps"] for r in alone.values())
    together_sum = sum(r["rps"] for r in together.values())
    out = {"connections_each": per, "alone": alone, "together": together,
           "alone_rps_sum": round(alone_sum, 1), "together_rps_sum": round(together_sum, 1),
           "together_vs_one_alone": round(together_sum / statistics.fmean(r["rps"] for r in alone.values()), 2)}
    print(f"  two tenants creating: alone {[r['rps'] for r in alone.values()]} rps, together "
          f"{[r['rps'] for r in together.values()]} rps (×{out['together_vs_one_alone']} of one alone)", flush=True)
    return out


def measure_lists(bench: Bench) -> dict:
    out = {}
    for name, path in (("contracts", "/api/v1/contracts/"), ("acts", "/api/v1/acts/"),
                       ("invoices", "/api/v1/invoices/"), ("breaches", "/api/v1/breaches/")):
        out[name] = bench.compare(path, f"/bench-baseline/api/{name}/")
    return out


# --- the run ---------------------------------------------------------------------------------------------


def main() -> int:
    if sys.argv[1:2] == ["--table"]:  # the table again from a results file: lists.py --table bench/results/lists.json
        table = _table(json.loads(Path(sys.argv[2]).read_text()))
        print(table)
        write_readme("lists", table)
        return 0
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("make bench needs DATABASE_URL pointing at PostgreSQL", file=sys.stderr)
        return 2
    if shutil.which("wrk") is None:
        print("the list benchmark needs wrk (apt-get install wrk; the Makefile's bench target does it)", file=sys.stderr)
        return 2
    started = time.monotonic()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop gunicorn and drop the database
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.bench.lists_settings"  # here, not on import (the test imports us)
    base = dj_database_url.parse(url)
    bench_db = f"{base['NAME']}_bench_lists"
    recreate_database(base, bench_db)
    scratch = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + bench_db
    cross_tenant_on(bench_db)
    os.environ["VAR_DIR"] = str(scratch)
    # The server's key: the session made here for the pages must be valid there.
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    web_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.bench.lists_settings", "DEBUG": "0",
               "ALLOWED_HOSTS": "127.0.0.1,localhost",
               "SECURE_SSL_REDIRECT": "0", "SECURE_COOKIES": "0", "SECURE_HSTS_SECONDS": "0", "LOG_LEVEL": "WARNING",
               "VAR_DIR": str(scratch),
               # The rate limits stay on (both sides count every request), above what wrk sends: at the
               # default 600 reads a minute a key, most of a run's answers would be quick 429s.
               "RATE_LIMIT_READS_PER_MINUTE": "100000000", "RATE_LIMIT_WRITES_PER_MINUTE": "100000000"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=web_env,
                   check=True)
    web = Web(scratch, web_env)
    quick = os.environ.get("BENCH_LIST_QUICK") == "1"
    try:
        results = _run_quick(web) if quick else _run(web)
    except BaseException:
        print(web.log_tail(), file=sys.stderr)
        raise
    finally:
        web.stop()
        _purge_queue()
        from django.db import connections

        connections.close_all()
        drop_database(base, bench_db)
        shutil.rmtree(scratch, ignore_errors=True)
    results["run_seconds"] = seconds = round(time.monotonic() - started)
    out = ROOT / "bench" / "results" / "lists.json"
    if quick:  # kept beside the last full run's figures, which it does not replace
        full = json.loads(out.read_text()) if out.exists() else {}
        full["orders_api_quick"] = results
        results = full
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    table = _table(results)
    print(table)
    write_readme("lists", table)
    print(f"\nwritten to {out.relative_to(ROOT)} and README.md ({seconds} s)")  # this run's, quick or full
    return 0


def _purge_queue() -> None:
    try:
        from config.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(QUEUE)
    except Exception as exc:  # noqa: BLE001 — cleanup must go on to drop the database
        print(f"could not purge {QUEUE}: {exc}", file=sys.stderr)


def _machine() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    return {"machine": f"{platform.machine()}, {os.cpu_count()} cores", "python": platform.python_version(),
            "postgresql": server.split(" ")[0], "django": version("django"), "djangorestframework":
            version("djangorestframework"), "gunicorn": f"{version('gunicorn')}, {WEB_WORKERS} sync workers",
            "wrk": wrk_version.strip(), "connections": CONNECTIONS, "seconds_per_run": SECONDS,
            "short_seconds_per_run": SHORT_SECONDS, "slow_seconds": SLOW_SECONDS}


def _run(web: Web) -> dict:
    from django.utils import timezone

    now = timezone.now()
    results = {"date": now.date().isoformat(), **_machine(), "load_average_at_start": os.getloadavg(), "sizes": {}}
    big = seed_shop("Bench big", contracts=CONTRACTS, clients=CLIENTS, staff=STAFF, teams=TEAMS)
    smalls = [seed_shop(f"Bench small {n}", contracts=3, clients=2, staff=2, teams=1) for n in (1, 2)]
    for shop in smalls:
        seed_orders(shop, SMALL_ORDERS, now)
        seed_documents(shop, now, months=3)
    documents = seed_documents(big, now)
    cookie = session_cookie(big)
    results["seed"] = {"tenants": 1 + len(smalls), "contracts": CONTRACTS, "clients": CLIENTS, "staff": STAFF,
                       **documents, "small_tenant_orders": SMALL_ORDERS, "seconds": {}}
    web.start()
    bench = Bench(web=web, shop=big, cookie=cookie)
    for size in SIZES:
        start = time.perf_counter()
        counts = seed_orders(big, size, now)
        analyze()
        seconds = round(time.perf_counter() - start, 1)
        count_months(big)
        results["seed"]["seconds"][str(size)] = seconds
        print(f"seeded {size:,} orders ({counts}) in {seconds} s", flush=True)
        results["sizes"][str(size)] = measure = measure_size(bench, size)
        measure["seeded"] = counts
        _tenant_wall(web, big, smalls[0])
    for name, measure in (("lists", lambda: measure_lists(bench)),
                          ("two_tenants_creating", lambda: measure_two_tenants(bench, smalls[0])),
                          ("flatness", lambda: _flatness(results))):
        try:
            results[name] = measure()
        except Exception as exc:  # noqa: BLE001 — keep what was measured; the error is in the results
            print(f"{name} failed: {exc!r}", file=sys.stderr, flush=True)
            results.setdefault("errors", {})[name] = repr(exc)
    results["load_average_at_end"] = os.getloadavg()
    return results


def _run_quick(web: Web) -> dict:
    """BENCH_LIST_QUICK=1: the orders API's first page against its baseline only, at the first of
    BENCH_LIST_SIZES, `BENCH_LIST_SECONDS` a run — a check between full runs."""
    from django.utils import timezone

    now = timezone.now()
    size = SIZES[0]
    results = {"date": now.date().isoformat(), **_machine(), "load_average_at_start": os.getloadavg(),
               "orders": size}
    big = seed_shop("Bench big", contracts=CONTRACTS, clients=CLIENTS, staff=STAFF, teams=TEAMS)
    seed_documents(big, now)
    cookie = session_cookie(big)
    seed_orders(big, size, now)
    analyze()
    web.start()
    bench = Bench(web=web, shop=big, cookie=cookie)
    results["first_page"] = bench.compare("/api/v1/orders/", "/bench-baseline/api/orders/")
    # where the limit is: the same list with one order, and a view that reads nothing (docs/SCALING.md)
    results["page_of_one"] = bench.compare("/api/v1/orders/?page_size=1", "/bench-baseline/api/orders/")
    results["bare_view"] = bench.compare("/bench-baseline/api/bare/", "/bench-baseline/api/orders/")
    results["load_average_at_end"] = os.getloadavg()
    return results


def _tenant_wall(web: Web, big: Shop, small: Shop) -> None:
    """The small tenant's key sees its own orders only, and another tenant's order is a 404."""
    data = web.json("/api/v1/orders/", auth=f"Bearer {small.key}")
    count = data.get("count")
    if count not in (None, small.orders):
        raise RuntimeError(f"the small tenant's key sees {count} orders, not its {small.orders}")
    foreign = web.json("/bench-baseline/api/orders/", auth=f"Bearer {big.key}")["results"][0]["id"]
    status, _ = web.get(f"/api/v1/orders/{foreign}/", auth=f"Bearer {small.key}")
    if status != 404:
        raise RuntimeError(f"another tenant's order answered {status}")


def _flatness(results: dict) -> dict:
    """Time (mean latency) at the largest size over the smallest, per measurement; goal ≤ 1.5."""
    sizes = results["sizes"]
    if len(sizes) < 2:
        return {}
    small, large = sizes[str(min(map(int, sizes)))], sizes[str(max(map(int, sizes)))]

    def ratio(a, b):
        return round(b["mean_ms"] / a["mean_ms"], 2) if a["mean_ms"] and b["mean_ms"] else None

    out = {"first_page": ratio(small["first_page"]["project"], large["first_page"]["project"]),
           "last_page": ratio(small["last_page"]["project"], large["last_page"]["project"]),
           "one_order": ratio(small["one_order"], large["one_order"]),
           "page": ratio(small["page"]["project"], large["page"]["project"]),
           "create_one_connection": ratio(small["create"]["one_connection"], large["create"]["one_connection"])}
    for what in large.get("search_page", {}):
        if what in small.get("search_page", {}):
            out[f"search page, {what}"] = ratio(small["search_page"][what], large["search_page"][what])
    for what in large.get("pages", {}):
        if what in small.get("pages", {}):
            out[f"page, {what}"] = ratio(small["pages"][what], large["pages"][what])
    for name in large["filters"]:
        out[f"{name}: first"] = ratio(small["filters"][name]["first"], large["filters"][name]["first"])
        out[f"{name}: last"] = ratio(small["filters"][name]["last"], large["filters"][name]["last"])
    return out


# --- output ------------------------------------------------------------------------------------------------


def _search_page_rows(small: dict, large: dict, flat: dict, ms) -> list[str]:
    return [f"| global search page `/search/`, {what} | {ms(small['search_page'][what])} | — "
            f"| {ms(large['search_page'][what])} | — | ×{flat.get('search page, ' + what)} | — |"
            for what in large.get("search_page", {}) if what in small.get("search_page", {})] + [
        f"| {what} page | {ms(small['pages'][what])} | — | {ms(large['pages'][what])} | — "
        f"| ×{flat.get('page, ' + what)} | — |" for what in large.get("pages", {}) if what in small.get("pages", {})]


def _table(results: dict) -> str:
    sizes = sorted(results["sizes"], key=int)
    small, large = results["sizes"][sizes[0]], results["sizes"][sizes[-1]]
    flat = results.get("flatness", {})

    def cells(side):
        if side.get("too_slow"):
            return f"{side['rps']:.2f}* | {side['mean_ms']:,.0f}*"
        return f"{side['rps']:,.0f} | {side['p50_ms']:.0f} / {side['p95_ms']:.0f} / {side['p99_ms']:.0f}"

    def cmp_row(what, c, goal):
        return f"| {what} | {cells(c['project'])} | {cells(c['baseline'])} | ×{c['rps_ratio']} | {goal} |"

    def ms(side):
        if not side["mean_ms"]:
            return "— (no answer within the run)"
        return f"{side['mean_ms']:,.1f} ms" + ("*" if side.get("too_slow") else "")

    lines = [
        f"{int(sizes[0]):,} and {int(sizes[-1]):,} orders in the big tenant (+ two small tenants); {results['machine']}; "
        f"PostgreSQL {results['postgresql']}; gunicorn {results['gunicorn']}; wrk {results['wrk'].split()[1].split('/')[-1]}, "
        f"{results['connections']} "
        f"connections, {results['seconds_per_run']} s a run, project and baseline interleaved twice; "
        f"{results['date']}; the whole run {results.get('run_seconds', 0) // 60} min; load average "
        f"{results['load_average_at_start'][0]:.1f} at the start, {results['load_average_at_end'][0]:.1f} at the end",
        "",
        f"\\* one request took more than {results['slow_seconds']:g} s: not loaded with wrk, its time stands for the "
        "latency and its inverse for the rate.",
        "",
        "| what | project rps | p50 / p95 / p99 ms | baseline rps | p50 / p95 / p99 ms | ratio | goal |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size in sizes:
        s = results["sizes"][size]
        n = f"{int(size):,}"
        lines.append(cmp_row(f"orders API, first page, {n} orders", s["first_page"], "≥ ×2, p95 ≤ 60 ms"))
        lines.append(cmp_row(f"orders API, last page ({s['last_page']['how']}), {n} orders", s["last_page"], "—"))
        lines.append(cmp_row(f"orders page `/orders/` vs a plain 25-row page, {n} orders", s["page"], "—"))
    for name, c in results.get("lists", {}).items():
        lines.append(cmp_row(f"{name} API, first page", c, "≥ ×1.5"))
    lines += [
        "",
        f"Flat in the table's size: mean latency at {int(sizes[-1]):,} orders over {int(sizes[0]):,} "
        f"({results['short_seconds_per_run']} s a run for filters and creation); goal ≤ 1.5.",
        "",
        f"| orders API | {int(sizes[0]):,}: first page | last page | {int(sizes[-1]):,}: first page | last page "
        f"| ratio first | ratio last |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| default sort | {ms(small['first_page']['project'])} | {ms(small['last_page']['project'])} "
        f"| {ms(large['first_page']['project'])} | {ms(large['last_page']['project'])} "
        f"| ×{flat.get('first_page')} | ×{flat.get('last_page')} |",
    ]
    for name in large["filters"]:
        a, b = small["filters"][name], large["filters"][name]
        lines.append(f"| `{name}` | {ms(a['first'])} | {ms(a['last'])} | {ms(b['first'])} "
                     f"| {ms(b['last'])} | ×{flat.get(name + ': first')} | ×{flat.get(name + ': last')} |")
    lines.append(f"| one order | {ms(small['one_order'])} | — | {ms(large['one_order'])} | — "
                 f"| ×{flat.get('one_order')} | — |")
    lines += _search_page_rows(small, large, flat, ms)
    two = results.get("two_tenants_creating")
    lines += [
        "",
        "| creating orders (`POST /api/v1/orders/`) | " + " | ".join(f"{int(s):,} orders" for s in sizes) + " |",
        "| --- | " + " | ".join("---:" for _ in sizes) + " |",
        "| one connection: p50 / p95 ms | " + " | ".join(
            f"{results['sizes'][s]['create']['one_connection']['p50_ms']:.0f} / "
            f"{results['sizes'][s]['create']['one_connection']['p95_ms']:.0f}" for s in sizes) + " |",
        "| 16 connections: orders/s | " + " | ".join(
            f"{results['sizes'][s]['create']['sixteen_connections']['rps']:,.0f}" for s in sizes) + " |",
    ]
    if two:
        lines += [
            "",
            f"Two tenants creating orders, {two['connections_each']} connection each: alone "
            f"{two['alone']['big']['rps']:,.1f} and {two['alone']['small']['rps']:,.1f} orders/s, at once "
            f"{two['together']['big']['rps']:,.1f} + {two['together']['small']['rps']:,.1f} = "
            f"{two['together_rps_sum']:,.1f} orders/s (×{two['together_vs_one_alone']} of one alone; "
            "about ×2 when neither waits for the other).",
        ]
    quick = results.get("orders_api_quick")
    if quick:
        c = quick["first_page"]
        lines += [
            "",
            f"Quick run ({quick['date']}, `BENCH_LIST_QUICK=1`, {quick['orders']:,} orders, {quick['seconds_per_run']} s "
            f"a run, ratios comparable across machines, rates not; load average {quick['load_average_at_start'][0]:.1f} "
            f"at the start): orders API first page {c['project']['rps']:,.0f} rps against the baseline's "
            f"{c['baseline']['rps']:,.0f}, ×{c['rps_ratio']} (goal ≥ ×2).",
        ]
        if "bare_view" in quick:  # since 2026-12-07
            one, bare = quick["page_of_one"], quick["bare_view"]
            lines[-1] += (f" Against the same baseline: the list with one order (`?page_size=1`) "
                          f"{one['project']['rps']:,.0f} rps, ×{one['rps_ratio']}; a view behind the same key and "
                          f"middleware that reads nothing {bare['project']['rps']:,.0f} rps, ×{bare['rps_ratio']}.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
