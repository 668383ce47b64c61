"""API viewsets: breaches (read-only), business calendars, SLA policies and force majeure.

Breaches are readable by the client's users too (their own client's only). Calendars, policies
and force majeure are the provider's: staff read them, account managers and administrators
change them. Writes validate the body, call `sla.services` and render what it returns.
"""

from __future__ import annotations

from functools import cached_property

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.api_base import TenantViewSet
from tenancy.api_rows import FastListMixin
from tenancy.roles import CLIENT_ROLES, PROVIDER_ROLES, client_scope_of

from .. import selectors, services
from ..models import Breach, BusinessCalendar, ForceMajeure, SLAPolicy
from .filters import BreachFilter, ForceMajeureFilter, SLAPolicyFilter
from .serializers import (
    BreachSerializer,
    BusinessCalendarSerializer,
    ForceMajeureLiftSerializer,
    ForceMajeureSerializer,
    SLAPolicySerializer,
    SLAPolicyUpdateSerializer,
)


class BreachViewSet(FastListMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """SLA breaches recorded by the sweep (or when a late clock stopped), newest first.

    Client users see the breaches of their own client's contracts.
    """

    model = Breach
    serializer_class = BreachSerializer
    filterset_class = BreachFilter
    ordering_fields = ["breached_at", "due_at", "penalty", "id"]
    read_roles = PROVIDER_ROLES | CLIENT_ROLES

    @cached_property
    def client_id(self) -> int | None:
        return client_scope_of(self.request.user)

    def scoped_queryset(self):
        return selectors.breach_list(client_id=self.client_id)


class BusinessCalendarViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Business calendars: time zone, working hours per weekday, public holidays of a country,
    extra days off; or 24×7. Changing one moves the due times of the open clocks that count on it."""

    model = BusinessCalendar
    serializer_class = BusinessCalendarSerializer
    search_fields = ["name"]
    ordering_fields = ["name", "created_at"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self):
        return selectors.calendar_list()

    def create(self, request):
        calendar = services.calendar_create(actor=request.user, **self.validated())
        return Response(self.serialized(calendar), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        calendar = self.get_object()
        calendar = services.calendar_update(calendar=calendar, actor=request.user,
                                            **self.validated(instance=calendar, partial=True))
        return Response(self.serialized(calendar))


class SLAPolicyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """SLA policies: per contract and priority, the response and resolution targets (business
    time), the calendar (none: 24×7), the warning threshold and the penalty per breach. An order
    follows the policy of its contract and priority as it was when the order was raised; with no
    policy, the 24/48 rule on 24×7 applies."""

    model = SLAPolicy
    serializer_class = SLAPolicySerializer
    filterset_class = SLAPolicyFilter
    ordering_fields = ["contract", "priority", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self):
        return selectors.policy_list()

    def create(self, request):
        policy = services.policy_create(actor=request.user, **self.validated())
        return Response(self.serialized(self.get_queryset().get(pk=policy.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(request=SLAPolicyUpdateSerializer, responses=SLAPolicySerializer)
    def partial_update(self, request, pk=None):
        policy = self.get_object()
        services.policy_update(policy=policy, actor=request.user,
                               **self.validated(SLAPolicyUpdateSerializer, instance=policy, partial=True))
        return Response(self.serialized(self.get_queryset().get(pk=policy.pk)))


class ForceMajeureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Force majeure on a contract: `POST /force-majeure/` declares it (every open clock of the
    contract's orders stands still, and orders raised meanwhile start paused), and
    `POST /force-majeure/{id}/lift/` lifts it (the clocks run again and their due times move by
    the business time that stood still; orders waiting on the client stay paused). One period
    at a time per contract."""

    model = ForceMajeure
    serializer_class = ForceMajeureSerializer
    filterset_class = ForceMajeureFilter
    ordering_fields = ["started_at", "lifted_at", "id"]
    http_method_names = ["get", "post", "head", "options"]
    conflict_actions = ("create", "lift")

    def scoped_queryset(self):
        return selectors.force_majeure_list()

    @extend_schema(summary="Declare force majeure")
    def create(self, request):
        data = self.validated()
        period = services.force_majeure_start(contract=data["contract"], actor=request.user, reason=data["reason"])
        return Response(self.serialized(self.get_queryset().get(pk=period.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(summary="Lift force majeure", request=ForceMajeureLiftSerializer, responses=ForceMajeureSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def lift(self, request, pk=None):
        period = self.get_object()
        note = self.validated(ForceMajeureLiftSerializer)["note"]
        period = services.force_majeure_lift(period=period, actor=request.user, note=note)
        return Response(self.serialized(period))
