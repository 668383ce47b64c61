"""The order's list columns under concurrency: the sweep and an order's transition across the two
apps (sla writes the clock, the database writes the order) never deadlock, and never lose a breach."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from orders import services
from orders.models import Order
from sla.services import sla_sweep
from tenancy.db_router import separate_connection
from tests.conftest import postgres_only
from tests.contracts.api_support import active_contract

pytestmark = [
    postgres_only("row locks of concurrent transactions need a real server"),
    pytest.mark.skipif("cross_tenant" not in settings.DATABASES,
                       reason="the sweep runs on the cross-tenant role's own connection; set CROSS_TENANT_DATABASE_URL"),
    pytest.mark.django_db(transaction=True, databases=["default", "cross_tenant"]),
]


def _raise(world, contract, title: str, at: dt.datetime) -> Order:
    with time_machine.travel(at, tick=False), world.context(user=world.engineer):
        return services.order_create(actor=world.engineer, contract=contract, title=title, kind="incident")


def test_the_sweep_skips_an_order_a_transaction_holds_and_breaches_it_next_time(world_a):
    contract = active_contract(world_a)
    start = timezone.now() - dt.timedelta(days=30)
    held, free = _raise(world_a, contract, "Held", start), _raise(world_a, contract, "Free", start)
    locked, release, errors = threading.Event(), threading.Event(), []

    def hold():
        try:
            with world_a.context(user=world_a.engineer), transaction.atomic():
                Order.objects.select_for_update().get(pk=held.pk)  # a transition in progress
                locked.set()
                release.wait(timeout=30)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
            locked.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    assert locked.wait(timeout=30)
    try:
        with separate_connection():
            first = sla_sweep()  # does not wait for the held order
    finally:
        release.set()
        thread.join()
    assert errors == []
    with world_a.context():
        assert Order.objects.get(pk=free.pk).is_breached is True
        assert Order.objects.get(pk=held.pk).is_breached is False
    with separate_connection():
        second = sla_sweep()
    with world_a.context():
        assert Order.objects.get(pk=held.pk).is_breached is True
    assert len(first.breached) == 2 and len(second.breached) == 2  # each order: response and resolution


def test_transitions_and_sweeps_at_once_never_deadlock(world_a):
    """Engineers move orders (each move locks the order, then its clocks) while sweeps breach their
    clocks (the order first, skipping held ones, then the clocks; the trigger writes the order)."""
    contract = active_contract(world_a)
    start = timezone.now() - dt.timedelta(days=30)
    orders = [_raise(world_a, contract, f"Race {i}", start + dt.timedelta(minutes=i)) for i in range(6)]
    errors: list[Exception] = []
    barrier = threading.Barrier(3)

    def move(batch):
        try:
            barrier.wait()
            for order in batch:
                for name in ("acknowledge", "start_incident", "wait_on_client", "resume"):
                    with world_a.context(user=world_a.engineer):
                        services.order_transition(order=Order.objects.get(pk=order.pk), name=name,
                                                  actor=world_a.engineer, note="race")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    def sweep():
        try:
            with separate_connection():
                barrier.wait()
                for _ in range(6):
                    sla_sweep()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=move, args=(orders[:3],)), threading.Thread(target=move, args=(orders[3:],)),
               threading.Thread(target=sweep)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with separate_connection():
        sla_sweep()
    with world_a.context():
        # every order's response clock was past due before anyone acknowledged it: breached, once
        assert all(order.is_breached for order in Order.objects.filter(pk__in=[o.pk for o in orders]))
        assert all(order.state == "in_progress" for order in Order.objects.filter(pk__in=[o.pk for o in orders]))
