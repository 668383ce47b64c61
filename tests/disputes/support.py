"""Helpers of the disputes tests: an active contract, a sent act, an issued invoice, a dispute."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import time_machine
from django.utils import timezone

from billing import services as billing
from billing.models import Invoice
from confirmations.models import Act, ActState
from disputes import services
from disputes.models import Dispute
from tests.clock import add_months, local_today, month_of
from tests.contracts.api_support import active_contract

DISPUTES = "/api/v1/disputes/"
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
_seq = itertools.count(1)


def contract_of(world, **fields):
    """An active contract that started two months ago (so that last month can be invoiced)."""
    fields.setdefault("number", f"D-{world.tenant.pk}-{next(_seq)}")
    fields.setdefault("start_date", add_months(local_today(world.tenant), -2))
    return active_contract(world, **fields)


def sent_act(world, contract, *, state=ActState.SENT) -> Act:
    """A sent act as a row (its PDF's hash set, as after rendering), ready to sign or dispute."""
    start, end = month_of(local_today(world.tenant))
    with world.context():
        return Act.objects.create(number=f"ACT-D-{next(_seq)}", contract=contract, client=contract.client,
                                  period_start=start, period_end=end, currency=contract.currency, state=state,
                                  pdf_sha256="a" * 64, revision=1, sent_at=timezone.now(), created_by=world.admin,
                                  accept_by=timezone.now() + dt.timedelta(days=5))


def issued_invoice(world, contract, *, months_back: int = 1, capture=None) -> Invoice:
    """The invoice of a past month, built and issued by the accountant (its on-commit work run)."""
    period = add_months(local_today(world.tenant), -months_back)
    with world.context(user=world.accountant):
        invoice = billing.invoice_build(contract=contract, period=period, actor=world.accountant)
        if capture is None:
            return billing.invoice_issue(invoice=invoice, actor=world.accountant)
        with capture(execute=True):
            return billing.invoice_issue(invoice=invoice, actor=world.accountant)


def open_dispute(world, contract, *, actor=None, kind="complaint", title="The service desk was down", **fields):
    actor = actor or world.client_admin
    with world.context(user=actor):
        return services.dispute_open(actor=actor, contract=contract, kind=kind, title=title, **fields)


def reload(world, dispute) -> Dispute:
    with world.context():
        return Dispute.objects.select_related("contract").get(pk=dispute.pk)


def days_later(days: int):
    """Travel `days` ahead of the frozen start (the clock keeps ticking)."""
    return time_machine.travel(timezone.now() + dt.timedelta(days=days), tick=True)


def money(value: str) -> Decimal:
    return Decimal(value)
