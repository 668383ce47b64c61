"""Helpers of the billing tests: contracts, accepted acts with ratings and SLA breaches, made as rows
(the confirmations and SLA services are other apps'; billing only reads their tables)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from rest_framework.test import APIClient

from billing import services
from billing.models import Invoice, RatingBand
from confirmations.models import Act, ActState, Confirmation
from contracts.versions import version_write
from orders.models import Order
from sla.models import Breach, SLAClock
from tests.contracts.api_support import active_contract

INVOICES = "/api/v1/invoices/"
PERIOD = "2026-10"
OCT = dt.date(2026, 10, 1)
_seq = itertools.count(1)


def at(day: int, hour: int = 12, month: int = 10, year: int = 2026) -> dt.datetime:
    """A moment of 2026 in UTC (tenants here work in Europe/Moscow, UTC+3)."""
    return dt.datetime(year, month, day, hour, 0, tzinfo=dt.UTC)


def billed_contract(world, *, fee="100000.00", share="20.00", cap="15.00", bands=None, **fields):
    """An active contract that started well before the invoiced periods; `bands` = [(min, pct), ...]."""
    fields.setdefault("start_date", dt.date(2026, 1, 1))
    fields.setdefault("number", f"B-{world.tenant.pk}-{next(_seq)}")
    contract = active_contract(world, monthly_fee=Decimal(fee), quality_share_pct=Decimal(share),
                               penalty_cap_pct=Decimal(cap), **fields)
    with world.context():
        for min_rating, pct in bands or []:
            RatingBand.objects.create(contract=contract, min_rating=Decimal(min_rating), adjustment_pct=Decimal(pct))
        if bands:  # as if agreed before signing: version 1 carries them
            version_write(contract=contract, effective_from=contract.start_date)
    return contract


def accepted_act(world, contract, *, rating: int | None = 5, confirmed_at=None, deemed: bool = False,
                 state: str | None = None):
    """An act of October, signed (or deemed accepted) with its confirmation."""
    confirmed_at = confirmed_at or at(20)
    state = state or (ActState.DEEMED_ACCEPTED if deemed else ActState.SIGNED)
    with world.context():
        act = Act.objects.create(
            number=f"ACT-{next(_seq)}", contract=contract, client=contract.client, period_start=OCT,
            period_end=dt.date(2026, 10, 31), currency=contract.currency, state=state, created_by=world.admin,
        )
        confirmation = Confirmation.objects.create(
            act=act, contract=contract, client=contract.client,
            kind=Confirmation.Kind.DEEMED if deemed else Confirmation.Kind.SIGNED,
            rating=None if deemed else rating, confirmed_at=confirmed_at,
            confirmed_by=None if deemed else world.client_signatory,
        )
    return act, confirmation


def breach(world, contract, *, penalty="1000.00", breached_at=None, due_at=None, metric="resolution") -> Breach:
    """A breach recorded at `breached_at` of a clock due at `due_at` (by default the same moment; the
    sweep records a breach a little after the deadline, or much later if it did not run)."""
    breached_at = breached_at or at(10)
    due_at = due_at or breached_at
    with world.context():
        order = Order.objects.create(number=f"ORD-{next(_seq)}", contract=contract, client=contract.client,
                                     title="Server down", reported_by=world.client_admin,
                                     reported_at=due_at - dt.timedelta(hours=50))
        clock = SLAClock.objects.create(order=order, metric=metric, target=dt.timedelta(hours=48),
                                        started_at=due_at - dt.timedelta(hours=48), due_at=due_at,
                                        breached_at=breached_at)
        return Breach.objects.create(clock=clock, order=order, contract=contract, metric=metric,
                                     due_at=due_at, breached_at=breached_at, penalty=Decimal(penalty))


def build(world, contract, period=PERIOD, actor=None) -> Invoice:
    actor = actor or world.accountant
    with world.context(user=actor):
        return services.invoice_build(contract=contract, period=period, actor=actor)


def lines_of(world, invoice) -> list[tuple[str, Decimal, Decimal]]:
    with world.context():
        return [(line.kind, line.amount, line.vat) for line in invoice.lines.order_by("position")]


def set_vat(world, rate: str) -> None:
    world.tenant.vat_rate = Decimal(rate)
    world.tenant.save(update_fields=["vat_rate"])


def session_as(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api
