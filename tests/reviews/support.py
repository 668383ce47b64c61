"""Helpers of the reviews tests: a contract whose last month holds a hand-computed set of orders,
clocks, breaches, invoices, acts and ratings (made as rows: the other apps' services are theirs)."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from rest_framework.test import APIClient

from billing.models import Invoice, InvoiceLine, LineKind
from confirmations.models import (
    Act,
    ActEvent,
    ActState,
    Confirmation,
    CorrectiveAction,
    OrderRating,
)
from orders.models import Order, OrderEvent
from reviews import services
from reviews.models import Review
from sla.models import Breach, BusinessCalendar, SLAClock
from tests.clock import add_months, local_today, month_of
from tests.contracts.api_support import active_contract
from tests.factories import ProviderFactory

_seq = itertools.count(1)
HOUR = dt.timedelta(hours=1)


def last_month(world) -> tuple[dt.date, dt.date]:
    """The tenant's previous calendar month: a period that has ended."""
    return month_of(add_months(local_today(world.tenant), -1))


def local(world, day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(world.tenant.time_zone))


def reviewed_contract(world, **fields):
    """An active contract that started well before last month."""
    start, _end = last_month(world)
    fields.setdefault("start_date", start - dt.timedelta(days=90))
    fields.setdefault("number", f"R-{world.tenant.pk}-{next(_seq)}")
    return active_contract(world, **fields)


def order(world, contract, *, kind="request", priority="normal", reported_at, response=None, resolution=None,
          response_breached=False, resolution_breached=False, calendar=None):
    """An order with its two clocks; `response`/`resolution` are how long each took (None: running)."""
    row = Order.objects.create(number=f"ORD-T-{next(_seq)}", contract=contract, client=contract.client, kind=kind,
                               priority=priority, title="Test order", reported_by=world.client_admin,
                               reported_at=reported_at)
    clocks = {}
    for metric, took, breached in (("response", response, response_breached),
                                   ("resolution", resolution, resolution_breached)):
        target = dt.timedelta(hours=24 if metric == "response" else 48)
        clocks[metric] = SLAClock.objects.create(
            order=row, metric=metric, target=target, calendar=calendar, started_at=reported_at,
            stopped_at=reported_at + took if took is not None else None,
            breached_at=reported_at + target if breached else None)
    return row, clocks


def breach(clock, *, provider, penalty, waived=False) -> Breach:
    return Breach.objects.create(clock=clock, order=clock.order, contract=clock.order.contract, provider=provider,
                                 metric=clock.metric, due_at=clock.breached_at, breached_at=clock.breached_at,
                                 penalty=Decimal(penalty), waived_at=clock.breached_at if waived else None,
                                 waived_reason="agreed" if waived else "")


def act(world, contract, start, end, *, state=ActState.SIGNED) -> Act:
    return Act.objects.create(number=f"ACT-T-{next(_seq)}", contract=contract, client=contract.client,
                              period_start=start, period_end=end, currency="RUB", state=state,
                              created_by=world.admin)


def confirm(world, act_row, *, rating, comment="", at) -> Confirmation:
    return Confirmation.objects.create(act=act_row, contract=act_row.contract, client=act_row.client,
                                       kind=Confirmation.Kind.SIGNED, rating=rating, comment=comment,
                                       confirmed_by=world.client_signatory, confirmed_at=at)


def invoice(contract, start, end, *, state, lines) -> Invoice:
    row = Invoice.objects.create(contract=contract, client=contract.client, period_start=start, period_end=end,
                                 currency="RUB", vat_rate=Decimal("22.00"), state=state,
                                 number=f"INV-T-{next(_seq)}")
    for position, (kind, amount) in enumerate(lines, start=1):
        InvoiceLine.objects.create(invoice=row, position=position, kind=kind, description=kind,
                                   amount=Decimal(amount), vat=Decimal("0.00"))
    return row


@dataclass
class Fixture:
    contract: object
    start: dt.date
    end: dt.date
    orders: dict


def first_weekday(start: dt.date, weekday: int) -> dt.date:
    return start + dt.timedelta(days=(weekday - start.weekday()) % 7)


def report_fixture(world, contract=None) -> Fixture:
    """Last month of a contract, with figures computed by hand in test_metrics.py."""
    contract = contract or reviewed_contract(world)
    start, end = last_month(world)
    with world.context():
        subcontractor = ProviderFactory(tenant=world.tenant, name=f"Sub {next(_seq)}")
        office = BusinessCalendar.objects.create(name=f"Office {next(_seq)}", time_zone=world.tenant.time_zone,
                                                 working_hours={str(d): [["09:00", "18:00"]] for d in range(5)})
        o1, c1 = order(world, contract, reported_at=local(world, start, 10), response=2 * HOUR, resolution=10 * HOUR)
        o2, c2 = order(world, contract, kind="incident", priority="high",
                       reported_at=local(world, start + dt.timedelta(days=1), 10), response=4 * HOUR,
                       resolution=50 * HOUR, resolution_breached=True)
        o3, c3 = order(world, contract, kind="incident", priority="critical",
                       reported_at=local(world, start + dt.timedelta(days=2), 10), response=30 * HOUR,
                       response_breached=True)
        friday = first_weekday(start, 4)
        # Friday 17:00 → Monday 10:00 local: 1 h + 1 h of office time
        o4, c4 = order(world, contract, reported_at=local(world, friday, 17), response=65 * HOUR, calendar=office)
        breach(c2["resolution"], provider=world.own_provider, penalty="1000.00")
        breach(c3["response"], provider=subcontractor, penalty="500.00", waived=True)
        for row, at in ((o1, local(world, start, 20)), (o1, local(world, start + dt.timedelta(days=3), 9)),
                        (o2, local(world, start + dt.timedelta(days=3), 12))):
            OrderEvent.objects.create(order=row, kind="transition", transition="deliver", from_state="in_progress",
                                      to_state="delivered", actor_label="test", at=at)
        invoice(contract, start, end, state="issued",
                lines=[(LineKind.FEE, "100000.00"), (LineKind.PENALTY, "-1000.00"), (LineKind.QUALITY, "2000.00")])
        invoice(contract, start, end - dt.timedelta(days=1), state="void", lines=[(LineKind.PENALTY, "-9999.00")])
        a1, a2, a3 = (act(world, contract, start, end) for _ in range(3))
        confirmed = local(world, end, 12)
        k1 = confirm(world, a1, rating=4, at=confirmed)
        k2 = confirm(world, a2, rating=2, comment="slow", at=confirmed + HOUR)
        OrderRating.objects.create(confirmation=k1, order=o1, rating=5)
        OrderRating.objects.create(confirmation=k1, order=o2, rating=1, comment="broken twice")
        ActEvent.objects.create(act=a3, kind="transition", transition="dispute", from_state="sent",
                                to_state="disputed", actor_label="test")
        CorrectiveAction.objects.create(contract=contract, client=contract.client, opened_by=k2,
                                        opened_at=confirmed + HOUR)
    return Fixture(contract=contract, start=start, end=end, orders={"o1": o1, "o2": o2, "o3": o3, "o4": o4})


def new_review(world, contract, start, end, **fields) -> Review:
    with world.context(user=world.account_manager):
        return services.review_create(actor=world.account_manager, contract=contract, kind="quarterly",
                                      period_start=start, period_end=end, **fields)


def session_as(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api
