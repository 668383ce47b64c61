"""Billing racing everything else on PostgreSQL: an invoice is built while clients sign acts and the
worker seals them, while other invoices are issued and credited, in two tenants at once.

Before billing locked only its own rows, the build's `select_for_update().select_related("tenant")`
also locked the tenant's row; a seal holding its act then waited for the tenant (the foreign-key
check of its timeline row) while the build waited for the act: "deadlock detected", a 500 for the
accountant and a signed act that was never sealed. Every thread here runs in its own tenant context
and transaction(s) and closes its connection at the end, as a web request or a worker would.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
import traceback
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection

from billing import services
from billing.models import CreditNote, Invoice
from confirmations import services as acts
from confirmations.models import ACCEPTED_STATES, Act, SignatureEvidence
from tenancy.context import tenant_context
from tests.clock import add_months, local_today
from tests.conftest import postgres_only
from tests.factories import PASSWORD

from .support import billed_contract, build

pytestmark = [postgres_only("concurrent transactions need a real server"), pytest.mark.django_db(transaction=True)]

NUMBER = re.compile(r"^(INV|CN)-(\d{4})-(\d{6})$")


def _sent_act(world, contract) -> Act:
    """A sent act of this month, its PDF rendered (the render task runs on commit, eagerly)."""
    from tests.confirmations.support import draft_act

    act = draft_act(world, contract)
    with world.context(user=world.account_manager):
        acts.act_send(act=act, actor=world.account_manager)
    with world.context():
        act = Act.objects.get(pk=act.pk)
    assert act.pdf_sha256, "the act's PDF was not rendered"
    return act


def _sign(world, act, user) -> None:
    with tenant_context(world.tenant, user=user):
        acts.act_sign(act=act, actor=user, data=acts.SignInput(rating=5, consent=True, password=PASSWORD))


def _unsealed(world, act) -> Act:
    """A signed act whose seal has not been made yet (the worker died): the seal is taken off."""
    _sign(world, act, world.client_signatory)
    with world.context():
        Act.objects.filter(pk=act.pk).update(sealed_sha256="", sealed_pdf="")
        SignatureEvidence.objects.filter(act_id=act.pk).update(sealed_sha256="")
    return act


class Scene:
    """One tenant's side of the race: what is set up and what the threads will do."""

    def __init__(self, world):
        self.world = world
        today = local_today(world.tenant)
        self.this_month = f"{today:%Y-%m}"
        last_month = f"{add_months(today, -1):%Y-%m}"
        self.contract = billed_contract(world)
        self.to_sign = [_sent_act(world, self.contract) for _ in range(2)]
        self.to_seal = _unsealed(world, _sent_act(world, self.contract))
        # last month's invoices of other contracts: two drafts to issue, one issued to credit
        self.drafts = [build(world, billed_contract(world, fee="1000.00"), period=last_month) for _ in range(2)]
        credited = build(world, billed_contract(world, fee="1000.00"), period=last_month)
        with world.context(user=world.accountant):
            self.credited = services.invoice_issue(invoice=credited, actor=world.accountant)

    def work(self) -> list:
        world, accountant = self.world, self.world.accountant

        def sign(act, user):
            return lambda: _sign(world, act, user)  # the seal follows on commit, in the same thread

        def seal():
            with tenant_context(world.tenant):
                acts.act_seal(act_id=self.to_seal.pk)

        def build_again_and_again():
            for _ in range(4):
                with tenant_context(world.tenant, user=accountant):
                    services.invoice_build(contract=self.contract, period=self.this_month, actor=accountant)
                time.sleep(0.05)

        def issue(invoice):
            def run():
                with tenant_context(world.tenant, user=accountant):
                    services.invoice_issue(invoice=invoice, actor=accountant)
            return run

        def credit(amount):
            def run():
                with tenant_context(world.tenant, user=accountant):
                    services.credit_note_create(invoice=self.credited, amount=Decimal(amount), reason="race",
                                                actor=accountant)
            return run

        return [sign(self.to_sign[0], world.client_signatory), sign(self.to_sign[1], world.client_admin), seal,
                build_again_and_again, issue(self.drafts[0]), issue(self.drafts[1]), credit("10.00"),
                credit("20.00")]


def _race(jobs) -> list[str]:
    """Run every job in a thread of its own, all released at once; the tracebacks of what failed."""
    barrier = threading.Barrier(len(jobs))
    errors: list[str] = []

    def run(job):
        try:
            barrier.wait(timeout=60)
            job()
        except BaseException:  # noqa: BLE001 — a deadlock or any other failure fails the test
            errors.append(traceback.format_exc())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is still waiting for a lock"
    return errors


def _assert_gapless(numbers: list[str]) -> None:
    assert len(numbers) == len(set(numbers)), f"duplicate numbers: {sorted(numbers)}"
    by_series_year = defaultdict(list)
    for number in numbers:
        series, year, value = NUMBER.match(number).groups()
        by_series_year[series, year].append(int(value))
    for values in by_series_year.values():
        assert sorted(values) == list(range(1, len(values) + 1)), f"gaps in {sorted(numbers)}"


def test_building_signing_sealing_issuing_and_crediting_at_once_neither_deadlock_nor_lose_work(world_a, world_b):
    scenes = [Scene(world_a), Scene(world_b)]
    errors = _race([job for scene in scenes for job in scene.work()])
    assert not errors, "\n".join(errors)

    for scene in scenes:
        world = scene.world
        with world.context():
            signed = list(Act.objects.filter(contract=scene.contract))
            assert len(signed) == 3 and all(act.state in ACCEPTED_STATES for act in signed)
            for act in signed:  # every signed act ends with its sealed PDF
                assert act.sealed_sha256, f"{act.number} was signed but never sealed"
                with act.sealed_pdf.open("rb") as handle:
                    assert hashlib.sha256(handle.read()).hexdigest() == act.sealed_sha256
            invoices = Invoice.objects.exclude(number="")
            _assert_gapless(list(invoices.values_list("number", flat=True)))
            assert invoices.count() == 3
            notes = list(CreditNote.objects.values_list("number", flat=True))
            _assert_gapless(notes)
            assert len(notes) == 2
            assert Invoice.objects.filter(contract=scene.contract).count() == 1
        # nothing lost: the month's invoice, built once more, counts every rating the race produced
        final = build(world, scene.contract, period=scene.this_month)
        assert final.rating_count == 3
