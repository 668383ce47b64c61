"""The hourly beat and the settling hook racing themselves on PostgreSQL: run at once in several
workers, an overdue dispute escalates once (one event, one notification) and a compensation is
credited once. Each thread runs in its own tenant context and transaction(s) and closes its
connection at the end, as a worker would."""

from __future__ import annotations

import threading
import traceback
from decimal import Decimal

import pytest
from django.db import connection

from billing.models import CreditNote
from disputes import services
from disputes.models import DisputeCreditNote, DisputeEvent, DisputeState
from tenancy.context import tenant_context
from tenancy.models import Notification
from tests.conftest import postgres_only
from tests.factories import ContractRoleFactory

from .support import contract_of, days_later, issued_invoice, open_dispute, reload

pytestmark = [postgres_only("concurrent transactions need a real server"), pytest.mark.django_db(transaction=True)]

WORKERS = 4


def _race(world, work) -> list[str]:
    barrier = threading.Barrier(WORKERS)
    failures: list[str] = []

    def run():
        try:
            barrier.wait()
            with tenant_context(world.tenant):
                work()
        except Exception:  # noqa: BLE001 — reported below
            failures.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_concurrent_beats_escalate_an_overdue_dispute_once(world_a):
    contract = contract_of(world_a, dispute_negotiation_days=1)
    ContractRoleFactory(contract=contract, role="coordinator", user=world_a.engineer)
    dispute = open_dispute(world_a, contract)
    with days_later(2):
        assert _race(world_a, services.disputes_escalate_overdue) == []
    assert reload(world_a, dispute).state == DisputeState.MEDIATION
    with world_a.context():
        assert DisputeEvent.objects.filter(dispute=dispute, transition="escalate").count() == 1
        assert Notification.objects.filter(user=world_a.engineer, kind="dispute_escalated").count() == 1


def test_concurrent_settling_credits_a_compensation_once(world_a):
    contract = contract_of(world_a)
    dispute = open_dispute(world_a, contract)
    with world_a.context(user=world_a.admin):
        services.dispute_resolve(dispute=dispute, actor=world_a.admin, compensation="700.00", note="Agreed")
    # issued outside any test transaction: the hook settles on commit, then the workers race it
    invoice = issued_invoice(world_a, contract)
    assert _race(world_a, services.disputes_settle) == []
    with world_a.context():
        assert CreditNote.objects.filter(invoice=invoice).count() == 1
        assert DisputeCreditNote.objects.get(dispute=dispute).amount == Decimal("700.00")
