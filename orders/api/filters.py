"""List filters of the orders API. Choices of related ids are the current tenant's rows (for a
client user: their client's), so an id of someone else's row is refused like a missing one.

Every filter is declared: generation from `Meta.fields` would build a queryset from the default
manager when the class is defined, which fails closed with no tenant selected.
"""

from __future__ import annotations

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from rest_framework.filters import SearchFilter

from contracts.models import Client, Contract
from sla.models import Priority
from tenancy.api_input import ApiOrderingFilter
from tenancy.roles import client_scope_of

from .. import search
from ..models import Order, OrderState, Team
from .serializers import provider_staff


def _client_id(request) -> int | None:
    user = getattr(request, "user", None)
    return client_scope_of(user) if user is not None else None


def _contracts(request):
    client_id = _client_id(request)
    queryset = Contract.objects.all()
    return queryset if client_id is None else queryset.filter(client_id=client_id)


def _clients(request):
    client_id = _client_id(request)
    queryset = Client.objects.all()
    return queryset if client_id is None else queryset.filter(pk=client_id)


def _teams(request):
    return Team.objects.all()


def _staff(request):
    return provider_staff()


class NullsLastOrderingFilter(ApiOrderingFilter):
    """`?ordering=` where empty values sort last either way, the same on SQLite and PostgreSQL
    (an order with no running clock is never "due soonest"); unknown fields are a 400 like everywhere."""

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        return queryset.order_by(*[
            F(name[1:]).desc(nulls_last=True) if name.startswith("-") else F(name).asc(nulls_last=True)
            for name in ordering
        ])


class OrderFilter(filters.FilterSet):
    # distinct=False: an order's own column, no join that could repeat a row
    state = filters.MultipleChoiceFilter(
        choices=OrderState.choices, help_text="Repeat to match any of several states: ?state=new&state=rework",
        distinct=False,
    )
    contract = filters.ModelChoiceFilter(queryset=_contracts)
    client = filters.ModelChoiceFilter(queryset=_clients)
    team = filters.ModelChoiceFilter(queryset=_teams)
    assignee = filters.ModelChoiceFilter(queryset=_staff)
    priority = filters.MultipleChoiceFilter(choices=Priority.choices, distinct=False)
    kind = filters.ChoiceFilter(choices=Order.Kind.choices)
    breached = filters.BooleanFilter(field_name="is_breached", help_text="true: orders with a breached clock.")
    reported_at__gte = filters.IsoDateTimeFilter(field_name="reported_at", lookup_expr="gte")
    reported_at__lte = filters.IsoDateTimeFilter(field_name="reported_at", lookup_expr="lte")

    class Meta:
        model = Order
        fields = ["state", "contract", "client", "team", "assignee", "priority", "kind", "breached",
                  "reported_at__gte", "reported_at__lte"]


class TeamFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=Team.Kind.choices)

    class Meta:
        model = Team
        fields = ["kind"]


class OrderSearchFilter(SearchFilter):
    """`?search=` over the orders' words (`orders.search`): every word typed begins a word of the
    order's number, title, description or client's name. Answered from an index however many orders
    the tenant has."""

    search_description = _("Words that begin words of the order's number, title, description or client's name; "
                           "every word must match.")

    def filter_queryset(self, request, queryset, view):
        return search.matching(queryset, request.query_params.get(self.search_param, ""))
