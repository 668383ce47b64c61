"""The compliance trend of the home pages by closed month, counted ahead of the views.

A month of the trend that has ended changes only as late clocks of its orders stop or breach. Its
clocks are counted per contract and metric into `ComplianceMonth` rows (`count_months`): every ten
minutes by a beat task (`reviews.tasks.count_compliance`), and at once for a month no count has
reached yet (the first view that needs one queues it). A view then sums its scope's rows in one
query instead of counting a year of clocks, whatever the tenant's history (`reviews.dashboard`).

The rows of a month are as old as its last count: at most ten minutes with the beat running, as the
per-view cache they replace. Months are the organisation's time zone's; a changed zone is counted
anew under its own name.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing.services import month_bounds
from sla.models import Metric, SLAClock
from tenancy.context import require_tenant_id

from .metrics import month_key, period_window
from .models import ComplianceMonth, CountedMonth

METRICS = (Metric.RESPONSE, Metric.RESOLUTION)
COUNT_EVERY_SECONDS = 10 * 60  # the beat's period (config.settings CELERY_BEAT_SCHEDULE)
_LOCK = 0x636F6D70  # "comp": one count of a tenant at a time (a PostgreSQL advisory lock with the tenant)


def clock_counts(scope: QuerySet | None, window: tuple[dt.datetime, dt.datetime], zone, *,
                 per_contract: bool = False) -> list[tuple]:
    """(month, metric, [contract,] met, breached, clocks) of the clocks started in `window`, in one
    aggregate query; `scope` (contract ids) limits it to some contracts.

    A clock starts when its order is reported (sla.services), so the window is put on the orders'
    `reported_at`: the planner then starts from the window's orders and reaches their clocks by the
    (order, metric) index instead of scanning every clock (the clocks table has no index on its start)."""
    clocks = SLAClock.objects.filter(metric__in=METRICS, order__reported_at__gte=window[0],
                                     order__reported_at__lt=window[1])
    if scope is not None:
        clocks = clocks.filter(order__contract__in=scope)
    groups = ("month", "metric", "order__contract_id") if per_contract else ("month", "metric")
    rows = (clocks.annotate(month=TruncMonth("order__reported_at", tzinfo=zone)).values(*groups)
            .annotate(met=Count("id", filter=Q(breached_at__isnull=True, stopped_at__isnull=False)),
                      breached=Count("id", filter=Q(breached_at__isnull=False)), clocks=Count("id"))
            .order_by(*groups))
    return [(month_key(row["month"]), *[row[name] for name in groups[1:]], row["met"], row["breached"], row["clocks"])
            for row in rows]


def count_months(*, time_zone: str, firsts: list[dt.date]) -> int:
    """Count the clocks of the months beginning on `firsts` (consecutive, in `time_zone`) per
    contract and metric, replacing those months' rows, and mark them counted. Two counts of a tenant
    run one after the other (an advisory lock on PostgreSQL; SQLite writes one at a time anyway)."""
    if not firsts:
        return 0
    tenant_id = require_tenant_id()
    firsts = sorted(firsts)
    window = period_window(time_zone, firsts[0], month_bounds(firsts[-1])[1])
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK, tenant_id])
        rows = clock_counts(None, window, zoneinfo.ZoneInfo(time_zone), per_contract=True)
        ComplianceMonth.objects.filter(time_zone=time_zone, month__in=firsts).delete()
        ComplianceMonth.objects.bulk_create([
            ComplianceMonth(tenant_id=tenant_id, time_zone=time_zone, month=dt.date.fromisoformat(f"{month}-01"), metric=metric,
                            contract_id=contract_id, met=met, breached=breached, clocks=clocks)
            for month, metric, contract_id, met, breached, clocks in rows])
        now = timezone.now()
        CountedMonth.objects.filter(time_zone=time_zone, month__in=firsts).delete()
        CountedMonth.objects.bulk_create([CountedMonth(tenant_id=tenant_id, time_zone=time_zone, month=first,
                                                       counted_at=now)
                                          for first in firsts])
    return len(firsts)


def counted_sums(scope: QuerySet | None, *, scope_key: str, time_zone: str, firsts: list[dt.date]) -> list[tuple] | None:
    """(month, metric, met, breached, clocks) of the months beginning on `firsts` summed over the
    scope's contracts from their counted rows, or None when a month is not counted yet. The sums are
    kept in the cache under the scope (`scope_key`) and the months' last count, so a view reads them
    in one small query until the next count."""
    counted = CountedMonth.objects.filter(time_zone=time_zone, month__in=firsts).aggregate(
        months=Count("id"), last=Max("counted_at"))
    if counted["months"] < len(firsts):
        return None
    key = f"dashboard:compliance-counted:{scope_key}:{time_zone}:{min(firsts)}:{counted['last'].timestamp()}"
    sums = cache.get(key)
    if sums is None:
        rows = ComplianceMonth.objects.filter(time_zone=time_zone, month__in=firsts)
        if scope is not None:
            rows = rows.filter(contract__in=scope)
        sums = [(month_key(row["month"]), row["metric"], row["met_sum"], row["breached_sum"], row["clocks_sum"])
                for row in rows.values("month", "metric").annotate(
                    met_sum=Sum("met"), breached_sum=Sum("breached"), clocks_sum=Sum("clocks")).order_by("month", "metric")]
        cache.set(key, sums, 2 * COUNT_EVERY_SECONDS)
    return sums


def count_closed_months() -> int:
    """Count the current tenant's closed months of the trend (the body of `count_compliance`), and
    forget the rows of months that left it or of a former time zone."""
    from tenancy.models import Tenant

    from .dashboard import Months

    tenant = Tenant.objects.get(pk=require_tenant_id())
    months = Months.of(now=timezone.now(), time_zone=tenant.time_zone)
    firsts = months.closed_firsts
    done = count_months(time_zone=tenant.time_zone, firsts=firsts)
    for model in (ComplianceMonth, CountedMonth):
        model.objects.filter(Q(month__lt=firsts[0]) | ~Q(time_zone=tenant.time_zone)).delete()
    return done
