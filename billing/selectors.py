"""Reads of billing shared by the pages, the API and the exports; each loads what its caller touches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from confirmations.models import Confirmation
from sla.models import Breach

from .models import (
    CLIENT_VISIBLE_STATES,
    CreditNote,
    Invoice,
    InvoiceEvent,
    InvoiceLine,
    RatingBand,
)


def _credited():
    credited = (CreditNote.objects.filter(invoice=OuterRef("pk")).order_by().values("invoice")
                .annotate(s=Sum("total")).values("s"))
    return Coalesce(Subquery(credited, output_field=DecimalField(max_digits=14, decimal_places=2)),
                    Value(Decimal("0.00")), output_field=DecimalField(max_digits=14, decimal_places=2))


def invoice_list(*, client_id: int | None = None, contract_id=None, state: str = "", period_start: dt.date | None = None,
                 period_end: dt.date | None = None):
    """Invoices with contract and client loaded and `credited` (the credit notes' total) annotated.

    `client_id` limits a client-side user to their client's issued and paid invoices.
    """
    queryset = (Invoice.objects.select_related("contract", "client").annotate(credited=_credited())
                .order_by("-period_start", "contract__number", "-id"))
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id, state__in=CLIENT_VISIBLE_STATES)
    if contract_id:
        queryset = queryset.filter(contract_id=contract_id)
    if state:
        queryset = queryset.filter(state=state)
    if period_start:
        queryset = queryset.filter(period_end__gte=period_start)
    if period_end:
        queryset = queryset.filter(period_start__lte=period_end)
    return queryset


def with_lines(queryset):
    """Add each invoice's lines with their evidence (acts, confirmations, breaches with their orders)."""
    lines = InvoiceLine.objects.select_related("breach__order").prefetch_related(
        "acts",
        Prefetch("confirmations", queryset=Confirmation.objects.select_related("act")),
        Prefetch("breaches", queryset=Breach.objects.select_related("order").order_by("due_at", "id")),
    ).order_by("position")
    return queryset.prefetch_related(Prefetch("lines", queryset=lines))


def invoice_detail_list(*, client_id: int | None = None, **filters):
    return with_lines(invoice_list(client_id=client_id, **filters)).prefetch_related(
        Prefetch("credit_notes", queryset=CreditNote.objects.order_by("created_at", "id")),
    )


def invoice_get(*, invoice_id, client_id: int | None = None) -> Invoice:
    """One invoice of the current tenant (and of `client_id`), lines and evidence loaded; DoesNotExist otherwise."""
    return invoice_detail_list(client_id=client_id).get(pk=invoice_id)


def invoice_timeline(*, invoice: Invoice):
    return InvoiceEvent.objects.filter(invoice=invoice).select_related("actor").order_by("at", "id")


def credit_note_list(*, invoice_id=None):
    queryset = CreditNote.objects.select_related("invoice", "invoice__contract", "created_by").order_by("-created_at", "-id")
    if invoice_id:
        queryset = queryset.filter(invoice_id=invoice_id)
    return queryset


def rating_band_list(*, contract_id=None):
    queryset = RatingBand.objects.select_related("contract").order_by("contract_id", "-min_rating")
    if contract_id:
        queryset = queryset.filter(contract_id=contract_id)
    return queryset


def adjustment_rows(invoices) -> list[dict]:
    """The adjustments register: which rating or which breach changed which amount on which invoice.

    One row per adjustment line and piece of evidence behind it. The line's amount and VAT stand on
    its first row only (the evidence rows after it leave them empty), so the amount column adds up
    to the adjustments; a breach's own penalty is in the `penalty` column, its deadline in `at`.
    """
    rows = []
    for invoice in invoices:
        for line in invoice.lines.all():
            if not line.is_adjustment:
                continue
            base = {"invoice": invoice.number or f"draft #{invoice.pk}", "contract": invoice.contract.number,
                    "client": invoice.client.name, "period": f"{invoice.period_start:%Y-%m}", "line": line.position,
                    "kind": line.kind, "description": line.describe()}
            evidence = []
            for confirmation in line.confirmations.all():
                evidence.append({"evidence": "confirmation", "reference": confirmation.act.number,
                                 "rating": confirmation.rating, "at": confirmation.confirmed_at})
            for breach in line.breaches.all():
                evidence.append({"evidence": "breach", "reference": f"{breach.order.number} {breach.metric}",
                                 "penalty": breach.penalty, "at": breach.due_at})
            for index, item in enumerate(evidence or [{}]):
                money = {"amount": line.amount, "vat": line.vat} if index == 0 else {"amount": "", "vat": ""}
                rows.append({**base, **money, "evidence": "", "reference": "", "rating": "", "penalty": "", "at": "",
                             **item})
    return rows
