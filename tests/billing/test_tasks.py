"""The invoice day's beat task, and building and numbering under concurrency (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from billing import services
from billing.models import Invoice
from billing.tasks import build_due_invoices
from tests.clock import local_today
from tests.conftest import postgres_only

from .support import billed_contract, build

# 1 November 2026, 00:30 in Moscow (UTC+3): already the invoice day there, still October in UTC
INVOICE_DAY = dt.datetime(2026, 10, 31, 21, 30, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_the_task_invoices_the_previous_month_once_on_the_contracts_invoice_day(world_a, world_b):
    due = billed_contract(world_a, invoice_day=1)
    later = billed_contract(world_a, invoice_day=5)
    other_tenant = billed_contract(world_b, invoice_day=1)
    with time_machine.travel(INVOICE_DAY, tick=False):
        assert build_due_invoices() == 2
        assert build_due_invoices() == 0
        assert build_due_invoices() == 0
    with world_a.context():
        invoices = list(Invoice.objects.all())
    assert [(i.contract_id, i.period_start, i.state) for i in invoices] == [(due.pk, dt.date(2026, 10, 1), "draft")]
    with world_b.context():
        assert Invoice.objects.get().contract_id == other_tenant.pk
    with world_a.context():
        assert not Invoice.objects.filter(contract=later).exists()


@pytest.mark.django_db
def test_the_task_skips_a_day_that_is_not_yet_the_invoice_day_in_the_tenants_zone(world_a):
    billed_contract(world_a, invoice_day=1)
    with time_machine.travel(INVOICE_DAY - dt.timedelta(hours=1), tick=False):  # 31 October 23:30 in Moscow
        assert build_due_invoices(tenant_id=world_a.tenant.pk) == 0


def _in_threads(count, work):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


@postgres_only("concurrent transactions need a real server")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_builds_give_one_invoice(world_a):
    contract = billed_contract(world_a)

    def work():
        with world_a.context(user=world_a.accountant):
            return services.invoice_build(contract=contract, period="2026-10", actor=world_a.accountant).pk

    results, errors = _in_threads(2, work)
    assert not errors and len(set(results)) == 1
    with world_a.context():
        assert Invoice.objects.count() == 1


@postgres_only("concurrent transactions need a real server")
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_number_without_gaps_or_duplicates(world_a):
    invoices = [build(world_a, billed_contract(world_a)) for _ in range(6)]
    queue = list(invoices)
    lock = threading.Lock()

    def work():
        with lock:
            invoice = queue.pop()
        with world_a.context(user=world_a.accountant):
            return services.invoice_issue(invoice=invoice, actor=world_a.accountant).number

    results, errors = _in_threads(6, work)
    assert not errors
    year = local_today(world_a.tenant).year
    assert sorted(results) == [f"INV-{year}-{n:06d}" for n in range(1, 7)]
