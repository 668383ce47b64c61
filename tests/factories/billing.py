"""Factories of `billing`: rating bands, invoices, their lines and evidence, credit notes, events."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import (
    CreditNote,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    InvoiceLineAct,
    InvoiceLineBreach,
    InvoiceLineConfirmation,
    InvoiceState,
    LineKind,
    RatingBand,
)

from .base import EventFactory, TenantOwnedFactory, in_tenant, last_month, member, today
from .confirmations import ActFactory, ConfirmationFactory
from .contracts import ContractFactory
from .sla import BreachFactory
from .tenancy import TenantFactory

VAT = Decimal("0.22")


class RatingBandFactory(TenantOwnedFactory):
    """A mean rating of 4.5 or more adds 5 % to the quality-linked share."""

    class Meta:
        model = RatingBand

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    min_rating = Decimal("4.50")
    adjustment_pct = Decimal("5.00")


class InvoiceFactory(TenantOwnedFactory):
    """A draft invoice of last month for the contract's fee. `issued=True` gives it a number and
    dates, as issuing does."""

    class Meta:
        model = Invoice

    class Params:
        issued = factory.Trait(
            state=InvoiceState.ISSUED, number=factory.Sequence(lambda n: f"INV-{n:05d}"),
            issue_date=factory.LazyFunction(today), issued_at=factory.LazyFunction(timezone.now),
            due_date=factory.LazyAttribute(
                lambda i: i.issue_date + datetime.timedelta(days=i.contract.payment_terms_days)),
        )

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    client = factory.SelfAttribute("contract.client")
    period_start = factory.LazyFunction(lambda: last_month()[0])
    period_end = factory.LazyFunction(lambda: last_month()[1])
    currency = factory.SelfAttribute("contract.currency")
    vat_rate = factory.SelfAttribute("tenant.vat_rate")
    fee = factory.SelfAttribute("contract.monthly_fee")
    subtotal = factory.SelfAttribute("fee")
    vat_amount = factory.LazyAttribute(lambda i: (i.subtotal * i.vat_rate / 100).quantize(Decimal("0.01")))
    total = factory.LazyAttribute(lambda i: i.subtotal + i.vat_amount)


class InvoiceLineFactory(TenantOwnedFactory):
    """The fee line of an invoice."""

    class Meta:
        model = InvoiceLine

    tenant = factory.SubFactory(TenantFactory)
    invoice = in_tenant(InvoiceFactory)
    position = factory.Sequence(lambda n: n + 1)
    kind = LineKind.FEE
    description = factory.LazyAttribute(lambda line: f"Services under contract {line.invoice.contract.number}")
    amount = factory.SelfAttribute("invoice.fee")
    vat = factory.LazyAttribute(lambda line: (line.amount * VAT).quantize(Decimal("0.01")))


class InvoiceLineActFactory(TenantOwnedFactory):
    """An invoice line's evidence: an act of the invoice's contract."""

    class Meta:
        model = InvoiceLineAct

    tenant = factory.SubFactory(TenantFactory)
    line = in_tenant(InvoiceLineFactory)
    act = in_tenant(ActFactory, signed=True, contract=factory.SelfAttribute("..line.invoice.contract"))


class InvoiceLineConfirmationFactory(TenantOwnedFactory):
    """An invoice line's evidence: a confirmation of an act of the invoice's contract."""

    class Meta:
        model = InvoiceLineConfirmation

    tenant = factory.SubFactory(TenantFactory)
    line = in_tenant(InvoiceLineFactory, kind=LineKind.QUALITY)
    confirmation = in_tenant(ConfirmationFactory, act__contract=factory.SelfAttribute("...line.invoice.contract"))


class InvoiceLineBreachFactory(TenantOwnedFactory):
    """An SLA penalty line's evidence: a breach on an order of the invoice's contract."""

    class Meta:
        model = InvoiceLineBreach

    tenant = factory.SubFactory(TenantFactory)
    line = in_tenant(InvoiceLineFactory, kind=LineKind.PENALTY)
    breach = in_tenant(BreachFactory, clock__order__contract=factory.SelfAttribute("....line.invoice.contract"))


class CreditNoteFactory(TenantOwnedFactory):
    """A credit note of 1 000 (plus VAT) on an issued invoice."""

    class Meta:
        model = CreditNote

    tenant = factory.SubFactory(TenantFactory)
    invoice = in_tenant(InvoiceFactory, issued=True)
    number = factory.Sequence(lambda n: f"CN-{n:05d}")
    reason = "The engineer's visit on the 3rd did not happen."
    amount = Decimal("1000.00")
    vat = factory.LazyAttribute(lambda note: (note.amount * note.invoice.vat_rate / 100).quantize(Decimal("0.01")))
    total = factory.LazyAttribute(lambda note: note.amount + note.vat)
    issue_date = factory.LazyFunction(today)
    created_by = member("accountant")


class InvoiceEventFactory(EventFactory):
    class Meta:
        model = InvoiceEvent

    tenant = factory.SubFactory(TenantFactory)
    invoice = in_tenant(InvoiceFactory)
    kind = InvoiceEvent.Kind.BUILT
