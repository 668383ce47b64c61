"""List filters of the SLA API. Choices of related ids are the current tenant's rows (for a
client user: their client's contracts).

Every filter is declared: generation from `Meta.fields` would build a queryset from the default
manager when the class is defined, which fails closed with no tenant selected.
"""

from __future__ import annotations

from django_filters import rest_framework as filters

from contracts.models import Contract, Provider
from tenancy.api_input import TenantDayFilter
from tenancy.roles import client_scope_of

from ..models import Breach, BusinessCalendar, ForceMajeure, Metric, Priority, SLAPolicy


def _contracts(request):
    user = getattr(request, "user", None)
    client_id = client_scope_of(user) if user is not None else None
    queryset = Contract.objects.all()
    return queryset if client_id is None else queryset.filter(client_id=client_id)


def _providers(request):
    return Provider.objects.all()


def _calendars(request):
    return BusinessCalendar.objects.all()


class BreachFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contracts)
    provider = filters.ModelChoiceFilter(queryset=_providers, help_text="Who held the order when it breached.")
    metric = filters.ChoiceFilter(choices=Metric.choices)
    order = filters.NumberFilter(field_name="order_id")
    date_from = TenantDayFilter(field_name="breached_at", lookup_expr="gte",
                                help_text="Breached on or after this day (the organisation's time zone).")
    date_to = TenantDayFilter(field_name="breached_at", lookup_expr="lte",
                              help_text="Breached on or before this day (the organisation's time zone).")
    waived = filters.BooleanFilter(field_name="waived_at", lookup_expr="isnull", exclude=True,
                                   help_text="true: waived breaches only; false: those that count.")

    class Meta:
        model = Breach
        fields = ["contract", "provider", "metric", "order", "date_from", "date_to", "waived"]


class SLAPolicyFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contracts)
    priority = filters.ChoiceFilter(choices=Priority.choices)
    calendar = filters.ModelChoiceFilter(queryset=_calendars)

    class Meta:
        model = SLAPolicy
        fields = ["contract", "priority", "calendar"]


class ForceMajeureFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contracts)
    active = filters.BooleanFilter(field_name="lifted_at", lookup_expr="isnull",
                                   help_text="true: in effect now; false: lifted.")

    class Meta:
        model = ForceMajeure
        fields = ["contract", "active"]
