"""The billing part of the REST API (/api/v1/): invoices with their lines, evidence, transitions and
exports; credit notes; rating bands."""

from __future__ import annotations

from .viewsets import CreditNoteViewSet, InvoiceViewSet, RatingBandViewSet


def register(router) -> None:
    router.register("invoices", InvoiceViewSet, basename="api-invoice")
    router.register("credit-notes", CreditNoteViewSet, basename="api-credit-note")
    router.register("rating-bands", RatingBandViewSet, basename="api-rating-band")
