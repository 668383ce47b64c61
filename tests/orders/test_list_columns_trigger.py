"""The database keeps the order's list columns whatever changes a clock: after each change below, made
as the sweep and the services make them (one UPDATE of the clocks), `next_due_at` and `is_breached`
are what the order's clocks say; the sweep marks its own orders (orders 0009)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from orders.models import Order
from sla.models import SLAClock
from sla.services import SWEEP_MARKS_ORDERS, sla_sweep
from tenancy.context import cross_tenant
from tenancy.db_router import cross_tenant_connection
from tests.contracts.api_support import active_contract
from tests.support import raise_order


def _expected(order_id: int) -> tuple[dt.datetime | None, bool]:
    clocks = list(SLAClock.objects.filter(order_id=order_id))
    running = [c.due_at for c in clocks if c.stopped_at is None and c.due_at is not None]
    return (min(running) if running else None), any(c.breached_at is not None for c in clocks)


def _kept(order_id: int) -> tuple[dt.datetime | None, bool]:
    order = Order.objects.get(pk=order_id)
    return order.next_due_at, order.is_breached


def _clocks(order_id: int) -> tuple[SLAClock, SLAClock]:
    response, resolution = sorted(SLAClock.objects.filter(order_id=order_id), key=lambda c: c.metric != "response")
    return response, resolution


@pytest.mark.django_db
def test_every_kind_of_clock_change_leaves_the_orders_columns_true(world_a):
    contract = active_contract(world_a)
    orders = [raise_order(world_a, contract, actor=world_a.engineer, title=f"Order {n}").pk for n in range(2)]
    now = timezone.now()
    with world_a.context():
        first, second = orders
        response, resolution = _clocks(first)
        assert response.breached_at is None and resolution.breached_at is None
        steps = [
            # only breached, as the sweep breaches: breached, the soonest due time kept
            ("breach one clock", SLAClock.objects.filter(pk=response.pk), {"breached_at": now}),
            # the order's other clock breached too: nothing changes on the order
            ("breach the other", SLAClock.objects.filter(pk=resolution.pk), {"breached_at": now}),
            # a breach cleared (a correction): the order is still breached by the other clock
            ("clear one", SLAClock.objects.filter(pk=response.pk), {"breached_at": None}),
            ("clear both", SLAClock.objects.filter(order_id=first), {"breached_at": None}),
            # breached and moved in one change
            ("breach and move", SLAClock.objects.filter(pk=resolution.pk),
             {"breached_at": now, "due_at": now + dt.timedelta(hours=5)}),
            # a breached clock stopped: the soonest due time is the other's
            ("stop", SLAClock.objects.filter(pk=resolution.pk), {"stopped_at": now}),
            # both orders' clocks breached in one statement, as a sweep of many orders
            ("sweep both orders", SLAClock.objects.filter(order_id__in=orders, breached_at__isnull=True),
             {"breached_at": now}),
            ("stop everything", SLAClock.objects.filter(order_id__in=orders), {"stopped_at": now}),
        ]
        for name, clocks, change in steps:
            clocks.update(**change)
            for order_id in orders:
                assert _kept(order_id) == _expected(order_id), name
        assert _kept(first)[1] is True and _kept(second) == (None, True)


@pytest.mark.django_db
def test_the_sweep_marks_its_orders_itself_and_the_trigger_is_back_after_it(world_a):
    contract = active_contract(world_a)
    orders = [raise_order(world_a, contract, actor=world_a.engineer, title=f"Order {n}").pk for n in range(3)]
    with world_a.context():
        due = {order_id: _kept(order_id)[0] for order_id in orders}
        # the third order's clocks are due later than the sweep looks
        SLAClock.objects.filter(order_id=orders[2]).update(due_at=timezone.now() + dt.timedelta(days=900),
                                                           warn_at=None)
    swept = sla_sweep(now=max(due[orders[0]], due[orders[1]]) + dt.timedelta(days=400))
    assert swept.breached
    with world_a.context():
        for order_id in orders:
            assert _kept(order_id) == _expected(order_id)
        assert [_kept(order_id)[1] for order_id in orders] == [True, True, False]
    with cross_tenant(reason="test: the sweep's setting"):
        connection = cross_tenant_connection()
        if connection.vendor == "postgresql":  # the sweep's setting is off after it, even in the test's transaction
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting(%s, true)", [SWEEP_MARKS_ORDERS])
                assert cursor.fetchone()[0] in (None, "", "off")
    with world_a.context():  # and the trigger keeps the columns again for every other writer
        SLAClock.objects.filter(order_id=orders[2]).update(breached_at=timezone.now())
        assert _kept(orders[2]) == _expected(orders[2]) and _kept(orders[2])[1] is True
