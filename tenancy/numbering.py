"""One numbering service for every numbered document: orders, acts, invoices and credit notes.

A number is `SERIES-YEAR-NNNNN`, counted per tenant, per series and per year, the year taken in the
tenant's time zone (an order raised at 00:30 on 1 January in Moscow is numbered in the new year,
although it is still 31 December in UTC). The counter is one `NumberCounter` row, advanced by one
statement:

    INSERT ... VALUES (tenant, series, year, 1)
    ON CONFLICT (tenant, series, year) DO UPDATE SET last = last + 1 RETURNING last

It takes the lock of that one row only (never the tenant's row), and holds it until the caller's
transaction ends: a second caller of the same series waits there and then gets the next number,
a rollback gives the number back, so numbers have no gaps and no duplicates; other series and other
tenants never wait. Callers take it as their last lock (the lock order in billing/services.py).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db import connections, router
from django.utils import timezone

from .context import (
    TenantMismatch,
    current_tenant_id,
    is_cross_tenant,
    require_tenant_id,
    reset_tenant,
    set_tenant,
)
from .models import NumberCounter, Tenant

# Each series keeps the format it has always had: the minimum width of its running number.
SERIES_WIDTHS = {
    "ORD": 5,  # orders:       ORD-2026-00001
    "ACT": 5,  # acts:         ACT-2026-00001
    "INV": 6,  # invoices:     INV-2026-000001
    "CN": 6,   # credit notes: CN-2026-000001
    "AM": 4,   # amendments:   AM-2026-0001
    "DSP": 4,  # disputes:     DSP-2026-0001
}


def number_year(*, tenant: Tenant, at: dt.datetime | None = None) -> int:
    """The year of the moment `at` (default now) in the tenant's time zone."""
    return timezone.localtime(at or timezone.now(), zoneinfo.ZoneInfo(tenant.time_zone)).year


def format_number(series: str, year: int, value: int) -> str:
    return f"{series}-{year}-{value:0{SERIES_WIDTHS[series]}d}"


def next_number(*, series: str, tenant_id: int | None = None, at: dt.datetime | None = None) -> str:
    """The next number of `series` for the tenant (default: the current one) in the year of `at`
    (default: now) in the tenant's time zone.

    Call it inside the transaction that stores the number, as late as it can be: the counter row
    stays locked until that transaction ends.
    """
    if series not in SERIES_WIDTHS:
        raise ValueError(f"Unknown number series {series!r}; known: {', '.join(SERIES_WIDTHS)}")
    current = current_tenant_id()
    if tenant_id is None:
        tenant_id = require_tenant_id()
    elif current is not None and current != tenant_id and not is_cross_tenant():
        raise TenantMismatch(f"Numbering for tenant {tenant_id} while tenant {current} is current.")
    alias = router.db_for_write(NumberCounter)
    connection = connections[alias]
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() runs inside the transaction that stores the number (gapless numbering).")
    tenant = Tenant.objects.using(alias).only("time_zone").get(pk=tenant_id)
    year = number_year(tenant=tenant, at=at)
    table = connection.ops.quote_name(NumberCounter._meta.db_table)
    token = set_tenant(tenant_id)  # row-level security lets exactly this tenant's counter through
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (tenant_id, series, year, last) VALUES (%s, %s, %s, 1) "  # noqa: S608
                f"ON CONFLICT (tenant_id, series, year) DO UPDATE SET last = {table}.last + 1 "
                f"RETURNING last",
                [tenant_id, series, year],
            )
            (value,) = cursor.fetchone()
    finally:
        reset_tenant(token)
    return format_number(series, year, value)

