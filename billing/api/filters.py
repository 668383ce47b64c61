"""List filters of the billing API; related choices are the current tenant's rows (resolved per request)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from contracts.models import Contract

from ..forms import PeriodField
from ..models import CreditNote, Invoice, InvoiceState, RatingBand
from ..services import month_bounds


def _contracts(request):
    return Contract.objects.all()


def _invoices(request):
    return Invoice.objects.all()


class PeriodFilter(filters.Filter):
    """A month as YYYY-MM that exists and lies in the accepted dates (the desk's own field): `2026-13`
    is a 400 naming the filter, not an empty list."""

    field_class = PeriodField


class InvoiceFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contracts)
    state = filters.ChoiceFilter(choices=InvoiceState.choices)
    period = PeriodFilter(method="filter_period", help_text="A month, YYYY-MM: invoices of that period.")

    class Meta:
        model = Invoice
        fields = ["contract", "state", "period"]

    def filter_period(self, queryset, name, value: str):  # the hint types the OpenAPI parameter
        start, end = month_bounds(value)
        return queryset.filter(period_start=start, period_end=end)


class CreditNoteFilter(filters.FilterSet):
    invoice = filters.ModelChoiceFilter(queryset=_invoices)

    class Meta:
        model = CreditNote
        fields = ["invoice"]


class RatingBandFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contracts)

    class Meta:
        model = RatingBand
        fields = ["contract"]
