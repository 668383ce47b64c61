"""The 24/48 rule through the order services and the sweep, with time travel."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import connections

from contracts import services as contract_services
from orders import services
from sla.models import Breach, BusinessCalendar, SLAClock, SLAPolicy
from sla.services import sla_sweep
from tenancy.db_router import separate_connection
from tenancy.errors import ActionForbidden, DomainError
from tenancy.models import Notification
from tests.conftest import postgres_only
from tests.factories import ContractFactory

MONDAY_9 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def active_contract(world):
    contract = ContractFactory(tenant=world.tenant, client=world.client, start_date=dt.date(2026, 1, 1))
    with world.context():
        contract_services.contract_role_assign(contract=contract, actor=world.admin, role="account_manager",
                                               user=world.account_manager)
        contract_services.contract_role_assign(contract=contract, actor=world.admin, role="coordinator",
                                               user=world.engineer)
        contract_services.contract_role_assign(contract=contract, actor=world.admin, role="client_signatory",
                                               user=world.client_signatory)
        contract_services.contract_submit(contract=contract, actor=world.admin)
        return contract_services.contract_activate(contract=contract, actor=world.admin)


def clocks(world, order):
    with world.context():
        return {c.metric: c for c in SLAClock.objects.filter(order=order)}


@pytest.mark.django_db
def test_response_met_and_resolution_breached_once_on_a_24x7_contract(world_a, django_capture_on_commit_callbacks):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False), world_a.context():
        order = services.order_create(actor=world_a.client_admin, contract=contract, title="Mail is down",
                                      kind="incident", priority="high")
    c = clocks(world_a, order)
    assert c["response"].due_at == MONDAY_9 + dt.timedelta(hours=24)
    assert c["response"].warn_at == MONDAY_9 + dt.timedelta(hours=18)
    assert c["resolution"].due_at == MONDAY_9 + dt.timedelta(hours=48)

    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=5), tick=False), world_a.context():
        services.order_transition(order=order, name="acknowledge", actor=world_a.engineer)
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=37), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        result = sla_sweep()
    assert len(result.warned) == 1 and result.breached == []  # resolution at 75 % of 48 h
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=49), tick=False), \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert len(sla_sweep().breached) == 1
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=49), tick=False), \
            django_capture_on_commit_callbacks(execute=True) as idle:
        assert sla_sweep().breached == []
    # the tenant's notification task (whose notices queue their e-mails), and nothing for the idle re-run
    assert callbacks and idle == []
    with world_a.context():
        breach = Breach.objects.get()
        assert breach.metric == "resolution"
        assert breach.due_at == MONDAY_9 + dt.timedelta(hours=48)
        assert breach.provider_id == contract.provider_id
        assert Notification.objects.filter(user=world_a.engineer, kind="sla_breach").count() == 1
        assert Notification.objects.filter(user=world_a.account_manager).count() == 2


@pytest.mark.django_db
def test_waiting_on_the_client_pauses_the_resolution_clock(world_a):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False), world_a.context():
        order = services.order_create(actor=world_a.client_admin, contract=contract, title="VPN", kind="incident")
    steps = [(1, "acknowledge", ""), (2, "start_incident", ""), (10, "wait_on_client", "need logs"), (30, "resume", "")]
    for hours, name, note in steps:
        with time_machine.travel(MONDAY_9 + dt.timedelta(hours=hours), tick=False), world_a.context():
            services.order_transition(order=order, name=name, actor=world_a.engineer, note=note)
    assert clocks(world_a, order)["resolution"].due_at == MONDAY_9 + dt.timedelta(hours=68)
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=60), tick=False):
        assert sla_sweep().breached == []


@pytest.mark.django_db
def test_business_calendar_moves_the_due_time_past_the_weekend(world_a):
    contract = active_contract(world_a)
    with world_a.context():
        calendar = BusinessCalendar.objects.create(
            name="Moscow office", time_zone="Europe/Moscow",
            working_hours={str(d): [["09:00", "18:00"]] for d in range(5)},
        )
        SLAPolicy.objects.create(contract=contract, priority="normal", calendar=calendar,
                                 penalty_per_breach=Decimal("5000.00"))
    friday_17_msk = dt.datetime(2026, 11, 6, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(friday_17_msk, tick=False), world_a.context():
        order = services.order_create(actor=world_a.client_admin, contract=contract, title="Printer")
    # 1 h on Friday, then 9 h a day: Monday 9, Tuesday 9, Wednesday 5 → Wednesday 14:00 MSK
    assert clocks(world_a, order)["response"].due_at == dt.datetime(2026, 11, 11, 11, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_engineer_registers_a_phone_call_from_yesterday(world_a):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False), world_a.context():
        order = services.order_create(actor=world_a.engineer, contract=contract, title="Called in",
                                      reported_at=MONDAY_9 - dt.timedelta(hours=20))
    assert clocks(world_a, order)["response"].due_at == MONDAY_9 + dt.timedelta(hours=4)


@pytest.mark.django_db
def test_orders_only_on_active_contracts_and_by_the_right_side(world_a, world_b):
    draft = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    contract = active_contract(world_a)
    with world_a.context():
        with pytest.raises(DomainError):
            services.order_create(actor=world_a.client_admin, contract=draft, title="x")
        with pytest.raises(ActionForbidden):
            services.order_create(actor=world_b.client_admin, contract=contract, title="x")
        order = services.order_create(actor=world_a.client_admin, contract=contract, title="x")
        with pytest.raises(ActionForbidden):
            services.order_transition(order=order, name="acknowledge", actor=world_a.client_admin)


@postgres_only("two sweeps racing need real row locks")
@pytest.mark.skipif("cross_tenant" not in settings.DATABASES,
                    reason="two sweeps race on the cross-tenant role's own connections; set CROSS_TENANT_DATABASE_URL")
@pytest.mark.django_db(transaction=True, databases=["default", "cross_tenant"])
def test_two_concurrent_sweeps_record_one_breach(world_a):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False), world_a.context():
        order = services.order_create(actor=world_a.client_admin, contract=contract, title="Race")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            with separate_connection():  # as in production: each worker its own cross-tenant connection
                barrier.wait()
                results.append(sla_sweep(now=MONDAY_9 + dt.timedelta(hours=50)))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(len(r.breached) for r in results) == [0, 2]
    with world_a.context():
        assert Breach.objects.filter(order=order).count() == 2  # response and resolution, once each


@pytest.mark.django_db
def test_rework_runs_the_resolution_clock_again_without_the_clients_review_time(world_a):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False), world_a.context():
        order = services.order_create(actor=world_a.client_admin, contract=contract, title="Printer", kind="incident")
    steps = [(1, "acknowledge", "", world_a.engineer), (2, "start_incident", "", world_a.engineer),
             (20, "deliver", "", world_a.engineer),
             (30, "send_back", "still jams", world_a.client_admin)]  # the client took 10 h to look
    for hours, name, note, actor in steps:
        with time_machine.travel(MONDAY_9 + dt.timedelta(hours=hours), tick=False), world_a.context():
            services.order_transition(order=order, name=name, actor=actor, note=note)
    resolution = clocks(world_a, order)["resolution"]
    assert resolution.stopped_at is None
    assert resolution.due_at == MONDAY_9 + dt.timedelta(hours=58)  # 48 h + the 10 h under review
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=57), tick=False):
        assert sla_sweep().breached == []
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=59), tick=False):
        assert len(sla_sweep().breached) == 1


@pytest.mark.django_db
def test_raising_the_priority_retargets_the_running_clocks(world_a):
    from sla.services import policy_create

    contract = active_contract(world_a)
    with world_a.context():
        policy_create(actor=world_a.account_manager, contract=contract, priority="critical",
                      response_target=dt.timedelta(hours=2), resolution_target=dt.timedelta(hours=8))
    with time_machine.travel(MONDAY_9, tick=False), world_a.context():
        order = services.order_create(actor=world_a.client_admin, contract=contract, title="Site down")
    assert clocks(world_a, order)["resolution"].due_at == MONDAY_9 + dt.timedelta(hours=48)
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=1), tick=False), world_a.context():
        services.order_update(order=order, actor=world_a.engineer, priority="critical")
    c = clocks(world_a, order)
    assert c["response"].due_at == MONDAY_9 + dt.timedelta(hours=2)  # counted from the report, not the change
    assert c["resolution"].due_at == MONDAY_9 + dt.timedelta(hours=8)
    assert c["resolution"].policy_id is not None
