"""List filters of the billing API; related choices are the current tenant's rows (resolved per request)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from contracts.models import Contract
from tenancy.errors import DomainError

from ..models import CreditNote, Invoice, InvoiceState, RatingBand
from ..services import month_bounds


def _contracts(request):
    return Contract.objects.all()


def _invoices(request):
    return Invoice.objects.all()


class InvoiceFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contracts)
    state = filters.ChoiceFilter(choices=InvoiceState.choices)
    period = filters.CharFilter(method="filter_period", help_text="A month, YYYY-MM: invoices of that period.")

    class Meta:
        model = Invoice
        fields = ["contract", "state", "period"]

    def filter_period(self, queryset, name, value):
        try:
            start, end = month_bounds(value)
        except DomainError:
            return queryset.none()
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
