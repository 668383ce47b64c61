"""Helpers of the audit tests: events of several tables, linked rows read back, raw SQL tampering."""

from __future__ import annotations

import datetime as dt
import itertools

from django.db import connection
from django.utils import timezone

from billing.models import Invoice, InvoiceEvent
from confirmations.models import Act, ActEvent
from contracts.models import ContractEvent
from tenancy.chain import chain_link, table_label
from tenancy.events import event_models
from tests.contracts.api_support import active_contract
from tests.support import raise_order

_seq = itertools.count(1)


def act_of(world, contract) -> Act:
    today = timezone.localdate()
    with world.context():
        return Act.objects.create(number=f"ACT-T-{next(_seq)}", contract=contract, client=contract.client,
                                  period_start=today.replace(day=1), period_end=today, currency=contract.currency,
                                  created_by=world.admin)


def invoice_of(world, contract) -> Invoice:
    today = timezone.localdate()
    with world.context():
        return Invoice.objects.create(contract=contract, client=contract.client, period_start=today.replace(day=1),
                                      period_end=today, currency=contract.currency, vat_rate=world.tenant.vat_rate)


def contract_with_trail(world, **fields):
    """An active contract with an order, an act and an invoice, each with events in its own table."""
    contract = active_contract(world, **fields)
    order = raise_order(world, contract)
    act, invoice = act_of(world, contract), invoice_of(world, contract)
    with world.context(user=world.admin):
        ActEvent.record(act, kind="created", actor=world.admin, note="act drafted")
        InvoiceEvent.record(invoice, kind="built", actor=world.accountant, data={"lines": 2, "b": {"z": 1, "a": [1]}})
        ContractEvent.record(contract, kind="updated", actor=world.admin, note="terms checked")
    return contract, order, act, invoice


def link(world) -> int:
    return chain_link(world.tenant.pk)


def linked_rows(world) -> list[tuple]:
    """(seq, table, id, hash) of every event row of the tenant, by number (unlinked: seq None)."""
    rows = []
    with world.context():
        for model in event_models():
            rows += [(seq, table_label(model), pk, digest)
                     for pk, seq, digest in model.objects.values_list("id", "chain_seq", "chain_hash")]
    return sorted(rows, key=lambda row: (row[0] is None, row[0] or 0, row[1], row[2]))


def tables_of(world) -> set[str]:
    return {table for _seq, table, _pk, _hash in linked_rows(world)}


def model_of(label: str):
    return next(model for model in event_models() if table_label(model) == label)


def raw(sql: str, params=()) -> int:
    """What an attacker or a careless administrator runs: SQL, no ORM, no events."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def raw_on(world, label: str, sql: str, params=()) -> int:
    """`sql` with {table} naming the event table `label`, inside the tenant (PostgreSQL's policies)."""
    with world.context():
        return raw(sql.format(table=model_of(label)._meta.db_table), params)


def local_moment(tenant, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    import zoneinfo

    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(tenant.time_zone))
