"""List filters of the contracts API. Choices of related ids are the current tenant's rows.

Every filter is declared: django-filter's generation from `Meta.fields` builds a queryset from
the default manager when the class is defined, which fails closed with no tenant selected.
"""

from __future__ import annotations

from django_filters import rest_framework as filters

from tenancy.selectors import tenant_users

from ..models import (
    Client,
    Contract,
    ContractParty,
    ContractRole,
    ContractRoleKind,
    ContractState,
    PartyKind,
    Provider,
)


def _clients(request):
    return Client.objects.all()


def _providers(request):
    return Provider.objects.all()


def _contracts(request):
    return Contract.objects.all()


def _users(request):
    return tenant_users(active_only=False)


class ClientFilter(filters.FilterSet):
    is_active = filters.BooleanFilter()

    class Meta:
        model = Client
        fields = ["is_active"]


class ProviderFilter(filters.FilterSet):
    is_own = filters.BooleanFilter(help_text="true: your own organisation; false: subcontractors.")

    class Meta:
        model = Provider
        fields = ["is_own"]


class ContractFilter(filters.FilterSet):
    state = filters.MultipleChoiceFilter(
        choices=ContractState.choices,
        help_text="Repeat to match any of several states: ?state=active&state=suspended",
    )
    client = filters.ModelChoiceFilter(queryset=_clients)
    provider = filters.ModelChoiceFilter(queryset=_providers)
    number = filters.CharFilter(help_text="The exact contract number.")
    start_date__gte = filters.DateFilter(field_name="start_date", lookup_expr="gte")
    start_date__lte = filters.DateFilter(field_name="start_date", lookup_expr="lte")
    end_date__gte = filters.DateFilter(field_name="end_date", lookup_expr="gte")
    end_date__lte = filters.DateFilter(field_name="end_date", lookup_expr="lte")
    end_date__isnull = filters.BooleanFilter(
        field_name="end_date", lookup_expr="isnull", help_text="true: open-ended contracts only.",
    )

    class Meta:
        model = Contract
        fields = [
            "state", "client", "provider", "number", "start_date__gte", "start_date__lte",
            "end_date__gte", "end_date__lte", "end_date__isnull",
        ]


class ContractPartyFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contracts)
    kind = filters.ChoiceFilter(choices=PartyKind.choices)

    class Meta:
        model = ContractParty
        fields = ["contract", "kind"]


class ContractRoleFilter(filters.FilterSet):
    contract = filters.ModelChoiceFilter(queryset=_contracts)
    role = filters.ChoiceFilter(choices=ContractRoleKind.choices)
    user = filters.ModelChoiceFilter(queryset=_users)

    class Meta:
        model = ContractRole
        fields = ["contract", "role", "user"]
