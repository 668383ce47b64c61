"""The numbering service: gapless per tenant, series and year in the tenant's time zone, and no lock
on anything but one counter row (so two tenants, or two series, never wait for each other)."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo

import pytest
import time_machine
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from tenancy.context import TenantMismatch, tenant_context
from tenancy.models import NumberCounter, Tenant
from tenancy.numbering import next_number
from tests.clock import local_today
from tests.conftest import postgres_only

pytestmark = pytest.mark.django_db

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def number(world, series="ORD", **kwargs) -> str:
    with world.context(), transaction.atomic():
        return next_number(series=series, **kwargs)


def test_each_series_keeps_its_format_and_counts_from_one(world_a):
    year = local_today(world_a.tenant).year
    assert [number(world_a, "ORD") for _ in range(3)] == [f"ORD-{year}-0000{n}" for n in (1, 2, 3)]
    assert number(world_a, "ACT") == f"ACT-{year}-00001"
    assert number(world_a, "INV") == f"INV-{year}-000001"
    assert number(world_a, "CN") == f"CN-{year}-000001"
    with world_a.context():
        assert NumberCounter.objects.get(series="ORD", year=year).last == 3


def test_tenants_count_independently(world_a, world_b):
    year = local_today(world_a.tenant).year
    assert [number(world_a), number(world_a)] == [f"ORD-{year}-00001", f"ORD-{year}-00002"]
    assert number(world_b) == f"ORD-{year}-00001"
    assert number(world_a) == f"ORD-{year}-00003"


def test_the_year_is_the_tenants_not_utcs(world_a, world_b):
    world_b.tenant.time_zone = "UTC"
    world_b.tenant.save(update_fields=["time_zone"])
    year = timezone.now().year
    # 31 December 21:30 UTC is already 1 January 00:30 in Moscow
    with time_machine.travel(dt.datetime(year, 12, 31, 21, 30, tzinfo=dt.UTC), tick=False):
        assert number(world_a) == f"ORD-{year + 1}-00001"
        assert number(world_a) == f"ORD-{year + 1}-00002"
        assert number(world_b) == f"ORD-{year}-00001"
    with time_machine.travel(dt.datetime(year, 12, 31, 20, 59, tzinfo=dt.UTC), tick=False):
        assert number(world_a) == f"ORD-{year}-00001"  # 23:59 in Moscow: still the old year


def test_a_new_year_starts_again_at_one(world_a):
    year = local_today(world_a.tenant).year
    assert number(world_a) == f"ORD-{year}-00001"
    assert number(world_a) == f"ORD-{year}-00002"
    next_year = dt.datetime(year + 1, 1, 1, 0, 0, tzinfo=MOSCOW)
    assert number(world_a, at=next_year) == f"ORD-{year + 1}-00001"
    assert number(world_a) == f"ORD-{year}-00003"


def test_a_rolled_back_number_is_given_again(world_a):
    year = local_today(world_a.tenant).year
    with pytest.raises(RuntimeError), world_a.context(), transaction.atomic():
        assert next_number(series="INV") == f"INV-{year}-000001"
        raise RuntimeError("the invoice was not saved")
    assert number(world_a, "INV") == f"INV-{year}-000001"


@pytest.mark.django_db(transaction=True)  # a real autocommit outside atomic(), not the test's own transaction
def test_numbering_outside_a_transaction_or_for_another_tenant_is_refused(world_a, world_b):
    with world_a.context():
        with pytest.raises(RuntimeError, match="inside the transaction"):
            next_number(series="ORD")
        with pytest.raises(ValueError, match="Unknown number series"), transaction.atomic():
            next_number(series="XYZ")
        with pytest.raises(TenantMismatch), transaction.atomic():
            next_number(series="ORD", tenant_id=world_b.tenant.pk)


def test_orders_are_numbered_by_the_service(world_a):
    """The counter rows are the numbers' source: seeding a counter moves the next order's number."""
    from tests.contracts.api_support import active_contract
    from tests.support import raise_order

    contract = active_contract(world_a)
    year = local_today(world_a.tenant).year
    with world_a.context():
        NumberCounter.objects.create(series="ORD", year=year, last=41)
    assert raise_order(world_a, contract).number == f"ORD-{year}-00042"


# --- under concurrency (PostgreSQL) -----------------------------------------------------------


def _run(threads: list[threading.Thread], timeout: float = 60) -> None:
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (a lock never released)"


@postgres_only("concurrent transactions need a real server")
@pytest.mark.django_db(transaction=True)
def test_concurrent_numbers_have_no_gaps_even_when_some_transactions_roll_back(world_a, world_b):
    per_tenant = 8
    barrier = threading.Barrier(2 * per_tenant)
    committed = {world_a.tenant.pk: [], world_b.tenant.pk: []}
    errors = []

    def work(tenant, index):
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=30)
                try:
                    with transaction.atomic():
                        value = next_number(series="INV")
                        if index % 3 == 0:
                            raise LookupError("rolled back: the number goes back")
                    committed[tenant.pk].append(value)
                except LookupError:
                    pass
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connection.close()

    _run([threading.Thread(target=work, args=(world.tenant, i))
          for world in (world_a, world_b) for i in range(per_tenant)])
    assert not errors
    for world in (world_a, world_b):
        numbers = sorted(committed[world.tenant.pk])
        year = local_today(world.tenant).year
        kept = len([i for i in range(per_tenant) if i % 3 != 0])
        assert numbers == [f"INV-{year}-{n:06d}" for n in range(1, kept + 1)]


def _hold_a_number(world, series, taken: threading.Event, release: threading.Event, errors: list):
    def hold():
        try:
            with tenant_context(world.tenant), transaction.atomic():
                next_number(series=series)
                taken.set()
                release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=hold)


def _within_a_second(work):
    """Run `work` in a transaction that gives up on any lock it waits for more than a second."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
        return work()


@postgres_only("row locks need a real server")
@pytest.mark.django_db(transaction=True)
def test_a_number_being_taken_blocks_neither_another_tenant_nor_the_tenant_row(world_a, world_b):
    taken, release, errors = threading.Event(), threading.Event(), []
    holder = _hold_a_number(world_a, "ORD", taken, release, errors)
    holder.start()
    try:
        assert taken.wait(timeout=30)
        year = local_today(world_b.tenant).year
        with world_b.context():
            assert _within_a_second(lambda: next_number(series="ORD")) == f"ORD-{year}-00001"
        with world_a.context():
            assert _within_a_second(lambda: next_number(series="ACT")) == f"ACT-{year}-00001"
        # the tenant's own row is not locked: changing the tenant does not wait for the numbering
        assert _within_a_second(lambda: Tenant.objects.filter(pk=world_a.tenant.pk).update(name="Renamed A")) == 1
        # ... while the same series of the same tenant does wait (so this test can fail)
        with world_a.context(), pytest.raises(OperationalError, match="lock timeout"):
            _within_a_second(lambda: next_number(series="ORD"))
    finally:
        release.set()
        holder.join(timeout=30)
    assert not errors


# --- the data migration that seeds the counters ------------------------------------------------


@pytest.mark.django_db(transaction=True)  # creates a table of the migration's past, outside any transaction
def test_the_migration_continues_numbering_after_the_numbers_already_given(world_a, world_b):
    import importlib

    from django.db.migrations.loader import MigrationLoader

    from billing.models import Invoice
    from confirmations.models import Act
    from orders.models import Order
    from tests.billing.support import accepted_act, billed_contract, build
    from tests.support import raise_order

    migration = importlib.import_module("tenancy.migrations.0005_seed_number_counters")
    year = local_today(world_a.tenant).year
    contract = billed_contract(world_a)
    orders = [raise_order(world_a, contract) for _ in range(2)]
    order_b = raise_order(world_b, billed_contract(world_b))
    act, _ = accepted_act(world_a, contract)
    invoice = build(world_a, contract)
    with world_a.context():
        Order.objects.filter(pk=orders[0].pk).update(number=f"ORD-{year - 1}-00007")
        Order.objects.filter(pk=orders[1].pk).update(number=f"ORD-{year}-00012")
        Act.objects.filter(pk=act.pk).update(number=f"ACT-{year}-00003")
        Invoice.objects.filter(pk=invoice.pk).update(number=f"INV-{year}-000009")
    for world in (world_a, world_b):
        with world.context():
            NumberCounter.objects.all().delete()  # as before the migration: no counters yet

    # billing's own counters, as they were before billing 0002 removed them
    apps = MigrationLoader(connection).project_state(("tenancy", "0005_seed_number_counters"), at_end=False).apps
    old_counter = apps.get_model("billing", "InvoiceNumberCounter")
    with connection.schema_editor() as editor:
        editor.create_model(old_counter)
    try:
        old_counter.objects.create(tenant_id=world_a.tenant.pk, series="INV", year=year, last=5)
        old_counter.objects.create(tenant_id=world_a.tenant.pk, series="CN", year=year, last=2)
        with connection.schema_editor() as editor:
            migration.seed(apps, editor)
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(old_counter)

    with world_a.context():
        assert sorted(NumberCounter.objects.values_list("series", "year", "last")) == [
            ("ACT", year, 3), ("CN", year, 2), ("INV", year, 9), ("ORD", year - 1, 7), ("ORD", year, 12)]
    with world_b.context():
        assert list(NumberCounter.objects.values_list("series", "year", "last")) == [
            ("ORD", year, int(order_b.number.rsplit("-", 1)[1]))]
    assert raise_order(world_a, contract).number == f"ORD-{year}-00013"
    assert number(world_a, "INV") == f"INV-{year}-000010"
