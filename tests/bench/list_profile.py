"""Per-request time of the hot API lists against a plain DRF `ModelSerializer(fields="__all__")` +
`ListAPIView` over the same table, page size 50, on PostgreSQL (helper's profiling script).

    DATABASE_URL=postgres://…/contracts_hN python tests/bench/list_profile.py [ROWS] [REPEAT] [--profile NAME]

Seeds ROWS (200) contracts, acts, invoices and breaches in one tenant of the database named by
DATABASE_URL (once; a second run reuses them) and prints the median milliseconds per request of
each list and of its plain counterpart, interleaved so that machine load hits both alike.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import os
import pstats
import statistics
import sys
import time
import types
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework import generics, serializers  # noqa: E402

from billing.models import Invoice  # noqa: E402
from confirmations.models import Act  # noqa: E402
from contracts.models import Client as Customer  # noqa: E402
from contracts.models import Contract, Provider  # noqa: E402
from orders.models import Order  # noqa: E402
from sla.models import Breach, SLAClock  # noqa: E402
from tenancy.context import tenant_context  # noqa: E402
from tenancy.models import Membership, Tenant  # noqa: E402
from tenancy.services import api_key_create  # noqa: E402

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 200
REPEAT = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2].isdigit() else 40
PROFILE = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else ""
MODELS = {"orders": Order, "contracts": Contract, "acts": Act, "invoices": Invoice, "breaches": Breach}


def _plain_view(model):
    meta = type("Meta", (), {"model": model, "fields": "__all__"})
    serializer = type(f"Plain{model.__name__}Serializer", (serializers.ModelSerializer,), {"Meta": meta})
    return type(f"Plain{model.__name__}List", (generics.ListAPIView,), {
        "serializer_class": serializer, "get_queryset": lambda self: model.objects.order_by("-id")})


urls = types.ModuleType("list_profile_urls")
urls.urlpatterns = [
    *[path(f"plain/{name}/", _plain_view(model).as_view()) for name, model in MODELS.items()],
    path("", include(settings.ROOT_URLCONF)),
]
sys.modules["list_profile_urls"] = urls


def seed() -> str:
    tenant = Tenant.objects.filter(slug="list-profile").first()
    if tenant is None:
        tenant = Tenant.objects.create(name="List profile", slug="list-profile")
    user = get_user_model().objects.filter(username="list-profile").first() or get_user_model().objects.create_user(
        "list-profile", email="lp@example.com", first_name="List", last_name="Profile")
    with tenant_context(tenant):
        Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": "admin"})
        if Contract.objects.count() < ROWS:
            provider = Provider.objects.filter(is_own=True).first() or Provider.objects.create(
                tenant=tenant, name="Own", is_own=True)
            customers = [Customer.objects.create(tenant=tenant, name=f"Client {n}", tax_id=f"77{n:08d}")
                         for n in range(20)]
            today = dt.date(2026, 11, 15)
            contracts = Contract.objects.bulk_create([
                Contract(tenant=tenant, client=customers[n % 20], provider=provider, number=f"LP-{n:04d}",
                         title=f"IT outsourcing {n}", state="active", start_date=dt.date(2026, 1, 1),
                         end_date=dt.date(2027, 12, 31), monthly_fee=Decimal("250000.00"))
                for n in range(ROWS)])
            Act.objects.bulk_create([
                Act(tenant=tenant, number=f"ACT-LP-{n}", contract=c, client=c.client, period_start=dt.date(2026, 10, 1),
                    period_end=dt.date(2026, 10, 31), currency="RUB", amount=Decimal("250000.00"),
                    state="signed" if n % 2 else "sent", pdf_sha256="a" * 64, sealed_sha256="b" * 64 if n % 2 else "",
                    revision=1, sent_at=dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC), created_by=user)
                for n, c in enumerate(contracts)])
            Invoice.objects.bulk_create([
                Invoice(tenant=tenant, contract=c, client=c.client, period_start=dt.date(2026, 10, 1),
                        period_end=dt.date(2026, 10, 31), currency="RUB", vat_rate=Decimal("22.00"), state="issued",
                        number=f"INV-LP-{n}", fee=Decimal("250000.00"), subtotal=Decimal("250000.00"),
                        vat_amount=Decimal("55000.00"), total=Decimal("305000.00"), issue_date=today)
                for n, c in enumerate(contracts)])
            orders = Order.objects.bulk_create([
                Order(tenant=tenant, number=f"ORD-LP-{n}", contract=c, client=c.client, title=f"Server down {n}",
                      reported_by=user, reported_at=dt.datetime(2026, 10, 10, 9, tzinfo=dt.UTC))
                for n, c in enumerate(contracts)])
            due = dt.datetime(2026, 10, 12, 9, tzinfo=dt.UTC)
            clocks = SLAClock.objects.bulk_create([
                SLAClock(tenant=tenant, order=o, metric="resolution", target=dt.timedelta(hours=48),
                         started_at=due - dt.timedelta(hours=48), due_at=due, breached_at=due) for o in orders])
            Breach.objects.bulk_create([
                Breach(tenant=tenant, clock=k, order=k.order, contract=k.order.contract, provider=provider,
                       metric="resolution", due_at=due, breached_at=due, penalty=Decimal("1000.00")) for k in clocks])
            from django.db import connection

            with connection.cursor() as cursor:  # the planner's statistics of the fresh rows, as autovacuum would
                cursor.execute("ANALYZE")
        _key, raw = api_key_create(actor=user, name=f"profile {time.time()}", scopes=["read"])
    return raw


def timed(client: Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    assert len(response.json()["results"]) == 50, url
    return elapsed


def main() -> None:
    call_command("migrate", verbosity=0)
    raw = seed()
    client = Client(headers={"authorization": f"Bearer {raw}"})
    with override_settings(ROOT_URLCONF="list_profile_urls"):
        if PROFILE:
            profiler = cProfile.Profile()
            for _ in range(3):
                client.get(PROFILE)
            profiler.enable()
            for _ in range(REPEAT):
                client.get(PROFILE)
            profiler.disable()
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(int(os.environ.get("LINES", "45")))
            return
        print(f"{'list':<10} {'ours ms':>8} {'plain ms':>9} {'ratio':>6}   (median of {REPEAT}, 50 rows a page)")
        for name in MODELS:
            ours, plain = [], []
            for _ in range(3):
                timed(client, f"/api/v1/{name}/")
                timed(client, f"/plain/{name}/")
            for _ in range(REPEAT):
                ours.append(timed(client, f"/api/v1/{name}/"))
                plain.append(timed(client, f"/plain/{name}/"))
            o, p = statistics.median(ours) * 1000, statistics.median(plain) * 1000
            print(f"{name:<10} {o:8.1f} {p:9.1f} {p / o:6.2f}")


if __name__ == "__main__":
    main()
