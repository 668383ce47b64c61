"""Background work through a real Celery worker on the configured broker (Redis in CI)."""

from __future__ import annotations

import datetime
import threading

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.conf import settings
from django.db import connection, connections

from config.celery import app as celery_app
from contracts import services
from contracts.models import ContractEvent, ContractState
from contracts.tasks import expire_ended_contracts
from tests.conftest import postgres_only
from tests.factories import ContractFactory


def _active_contract(world, **kwargs):
    contract = ContractFactory(tenant=world.tenant, client=world.client, **kwargs)
    with world.context():
        services.contract_role_assign(contract=contract, actor=world.admin, role="account_manager",
                                      user=world.account_manager)
        services.contract_role_assign(contract=contract, actor=world.admin, role="client_signatory",
                                      user=world.client_signatory)
        services.contract_submit(contract=contract, actor=world.admin)
        services.contract_activate(contract=contract, actor=world.admin)
    return contract


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_expiry_runs_through_a_real_worker_on_the_configured_broker(world_a):
    if settings.CELERY_BROKER_URL.startswith("redis://"):
        assert settings.REDIS_URL  # CI: the real Redis carries the task
    contract = _active_contract(world_a, start_date=datetime.date(2026, 1, 1))
    with world_a.context():  # the contract ran out yesterday
        services.contract_update(contract=contract, actor=world_a.admin,
                                 end_date=world_a.tenant.today() - datetime.timedelta(days=1))
    def close_worker_connections(**kwargs):
        connections.close_all()  # in the worker's thread, which the test worker does not do itself

    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(celery_app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
            result = expire_ended_contracts.delay(world_a.tenant.pk)
            assert result.get(timeout=60) == 1
    finally:
        task_postrun.disconnect(close_worker_connections)
    with world_a.context():
        contract.refresh_from_db()
        assert contract.state == ContractState.EXPIRED


@postgres_only("SQLite has no row locks and serialises writers, so there is no race to test")
@pytest.mark.django_db(transaction=True)
def test_two_managers_activating_at_once_make_one_transition(world_a):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    with world_a.context():
        services.contract_role_assign(contract=contract, actor=world_a.admin, role="account_manager",
                                      user=world_a.account_manager)
        services.contract_role_assign(contract=contract, actor=world_a.admin, role="client_signatory",
                                      user=world_a.client_signatory)
        services.contract_submit(contract=contract, actor=world_a.admin)
    barrier = threading.Barrier(2)
    outcomes = []

    def activate(actor):
        try:
            with world_a.context():
                barrier.wait()
                services.contract_activate(contract=contract, actor=actor)
            outcomes.append("ok")
        except Exception as exc:  # noqa: BLE001 — the loser's refusal is the point
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=activate, args=(u,)) for u in (world_a.admin, world_a.account_manager)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["TransitionRefused", "ok"]
    with world_a.context():
        assert ContractEvent.objects.filter(contract=contract, to_state="active").count() == 1
