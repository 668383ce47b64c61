"""Seed the numbering service's counters so that numbering continues where it stood.

Per tenant: orders and acts were numbered by counting rows, so each (series, year) starts from the
highest number already given; invoices and credit notes had counters of their own in billing
(`InvoiceNumberCounter`, removed by billing 0002 after this), which are copied — or the highest
existing number, if that is higher. Runs per tenant inside that tenant's context, so row-level
security lets exactly its rows through, whichever role runs the migration.
"""

import re

from django.db import migrations

from tenancy.context import reset_tenant, set_tenant

NUMBER = re.compile(r"^([A-Z]+)-(\d{4})-(\d+)$")


def _highest(numbers, series: str, into: dict) -> None:
    for number in numbers:
        match = NUMBER.match(number or "")
        if match and match.group(1) == series:
            key = (series, int(match.group(2)))
            into[key] = max(into.get(key, 0), int(match.group(3)))


def seed(apps, schema_editor):
    alias = schema_editor.connection.alias
    Tenant = apps.get_model("tenancy", "Tenant")
    NumberCounter = apps.get_model("tenancy", "NumberCounter")
    InvoiceNumberCounter = apps.get_model("billing", "InvoiceNumberCounter")
    numbered = [
        ("ORD", apps.get_model("orders", "Order")),
        ("ACT", apps.get_model("confirmations", "Act")),
        ("INV", apps.get_model("billing", "Invoice")),
        ("CN", apps.get_model("billing", "CreditNote")),
    ]
    for tenant_id in list(Tenant.objects.using(alias).values_list("pk", flat=True)):
        token = set_tenant(tenant_id)
        try:
            last: dict[tuple[str, int], int] = {}
            for series, model in numbered:
                numbers = (model.objects.using(alias).filter(tenant_id=tenant_id, number__startswith=f"{series}-")
                           .values_list("number", flat=True))
                _highest(numbers.iterator(), series, last)
            for counter in InvoiceNumberCounter.objects.using(alias).filter(tenant_id=tenant_id):
                key = (counter.series, counter.year)
                last[key] = max(last.get(key, 0), counter.last)
            for (series, year), value in sorted(last.items()):
                row, created = NumberCounter.objects.using(alias).get_or_create(
                    tenant_id=tenant_id, series=series, year=year, defaults={"last": value})
                if not created and row.last < value:
                    row.last = value
                    row.save(update_fields=["last"])
        finally:
            reset_tenant(token)


def unseed(apps, schema_editor):
    """Back to billing's own counters (recreated empty by reversing billing 0002)."""
    alias = schema_editor.connection.alias
    Tenant = apps.get_model("tenancy", "Tenant")
    NumberCounter = apps.get_model("tenancy", "NumberCounter")
    InvoiceNumberCounter = apps.get_model("billing", "InvoiceNumberCounter")
    for tenant_id in list(Tenant.objects.using(alias).values_list("pk", flat=True)):
        token = set_tenant(tenant_id)
        try:
            for counter in NumberCounter.objects.using(alias).filter(tenant_id=tenant_id, series__in=["INV", "CN"]):
                InvoiceNumberCounter.objects.using(alias).update_or_create(
                    tenant_id=tenant_id, series=counter.series, year=counter.year, defaults={"last": counter.last})
        finally:
            reset_tenant(token)


class Migration(migrations.Migration):

    dependencies = [
        ("tenancy", "0004_number_counter"),
        ("orders", "0002_orderattachment"),
        ("confirmations", "0001_initial"),
        ("billing", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
