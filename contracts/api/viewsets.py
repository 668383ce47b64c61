"""API viewsets: clients, providers, contracts with their transitions and timeline, parties, roles.

Reads come from `contracts.selectors` (tenant-scoped, related rows loaded); writes validate the
body, call `contracts.services` and render what the service returns.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from tenancy.api_base import TenantViewSet, transition_action
from tenancy.api_rows import FastListMixin
from tenancy.roles import CONTRACT_MANAGERS, roles_allowed

from .. import selectors, services
from ..models import TRANSITIONS, Client, Contract, ContractParty, ContractRole, Provider
from .filters import (
    ClientFilter,
    ContractFilter,
    ContractPartyFilter,
    ContractRoleFilter,
    ProviderFilter,
)
from .serializers import (
    ClientSerializer,
    ContractDetailSerializer,
    ContractEventSerializer,
    ContractPartySerializer,
    ContractRoleSerializer,
    ContractSerializer,
    ProviderSerializer,
    TransitionSerializer,
    TransitionWithReasonSerializer,
)

_READ_UPDATE = ["get", "post", "put", "patch", "head", "options"]


# --- clients and providers --------------------------------------------------------------------


class ClientViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The provider's clients. They are never deleted (their history stays): set `is_active` false."""

    model = Client
    serializer_class = ClientSerializer
    filterset_class = ClientFilter
    search_fields = ["name", "legal_name", "tax_id"]
    ordering_fields = ["name", "created_at", "contract_count", "active_contract_count"]
    http_method_names = _READ_UPDATE

    def scoped_queryset(self):
        return selectors.client_list()

    def create(self, request):
        client = services.client_create(actor=request.user, **self.validated())
        return Response(self.serialized(self.get_queryset().get(pk=client.pk)), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        client = self.get_object()
        services.client_update(client=client, actor=request.user, **self.validated(instance=client, partial=partial))
        return Response(self.serialized(self.get_queryset().get(pk=client.pk)))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)


class ProviderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The tenant's own organisation and its subcontractors. Never deleted."""

    model = Provider
    serializer_class = ProviderSerializer
    filterset_class = ProviderFilter
    search_fields = ["name", "legal_name", "tax_id"]
    ordering_fields = ["name", "created_at", "contract_count"]
    http_method_names = _READ_UPDATE

    def scoped_queryset(self):
        return selectors.provider_list()

    def create(self, request):
        provider = services.provider_create(actor=request.user, **self.validated())
        return Response(self.serialized(self.get_queryset().get(pk=provider.pk)), status=status.HTTP_201_CREATED)

    def update(self, request, pk=None, partial=False):
        provider = self.get_object()
        services.provider_update(provider=provider, actor=request.user,
                                 **self.validated(instance=provider, partial=partial))
        return Response(self.serialized(self.get_queryset().get(pk=provider.pk)))

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)


# --- contracts --------------------------------------------------------------------------------


def _describe(sources: str, target: str, custom: dict) -> str:
    return (
        f"Moves the contract from {sources} to {target} and records it in the timeline. "
        + ("A `note` giving the reason is required. " if custom.get("note_required") else "")
        + "Answers 409 when the state does not allow it or its conditions are not met "
        "(each unmet condition in `errors`), 403 when your role does not. " + roles_allowed(CONTRACT_MANAGERS)
    )


def _transition_action(name: str):
    return transition_action(
        Contract, name, description=_describe, response=ContractDetailSerializer,
        request=lambda custom: TransitionWithReasonSerializer if custom.get("note_required") else TransitionSerializer,
    )


class ContractViewSet(FastListMixin, mixins.ListModelMixin, TenantViewSet):
    """Service contracts. State changes only through the transition actions."""

    model = Contract
    serializer_class = ContractDetailSerializer
    filterset_class = ContractFilter
    search_fields = ["number", "title", "client__name"]
    ordering_fields = ["number", "title", "state", "start_date", "end_date", "monthly_fee", "created_at"]
    # No PUT: once signed, a contract's terms change by amendment, so a full replacement is never right.
    http_method_names = ["get", "post", "patch", "head", "options"]
    conflict_actions = TRANSITIONS

    def scoped_queryset(self):
        return selectors.contract_list()

    def get_serializer_class(self):
        if self.action == "list":
            return ContractSerializer
        return self.serializer_class

    def contract_detail(self, contract_id) -> Contract:
        try:
            return selectors.contract_get(contract_id=contract_id)
        except (Contract.DoesNotExist, ValueError, TypeError):
            raise NotFound() from None

    def retrieve(self, request, pk=None):
        return Response(self.serialized(self.contract_detail(pk)))

    def create(self, request):
        contract = services.contract_create(actor=request.user, via=self.via, **self.validated())
        return Response(self.serialized(self.contract_detail(contract.pk)), status=status.HTTP_201_CREATED)

    @extend_schema(description="Change the terms of a draft or negotiated contract; once signed, "
                   "only title, description, end date, renewal settings and dispute stages (other terms change by "
                   "amendment: see `amendments`).")
    def partial_update(self, request, pk=None):
        contract = self.get_object()
        services.contract_update(contract=contract, actor=request.user, via=self.via,
                                 **self.validated(instance=contract, partial=True))
        return Response(self.serialized(self.contract_detail(contract.pk)))

    def fire_transition(self, request, name: str, body):
        contract = self.get_object()
        note = self.validated(body)["note"]
        services.contract_transition(contract=contract, name=name, actor=request.user, note=note, via=self.via)
        return Response(self.serialized(self.contract_detail(contract.pk), ContractDetailSerializer))

    submit = _transition_action("submit")
    return_to_draft = _transition_action("return_to_draft")
    activate = _transition_action("activate")
    suspend = _transition_action("suspend")
    resume = _transition_action("resume")
    terminate = _transition_action("terminate")
    expire = _transition_action("expire")

    @extend_schema(
        summary="Timeline", responses=ContractEventSerializer(many=True),
        description="The contract's append-only trail, oldest first: creation, every transition "
        "(who, when, from, to, note), edits, parties and roles.",
    )
    @action(detail=True, methods=["get"], serializer_class=ContractEventSerializer, filter_backends=[])
    def events(self, request, pk=None):
        contract = self.get_object()
        page = self.paginate_queryset(selectors.contract_timeline(contract=contract))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


# --- parties and roles ------------------------------------------------------------------------


class ContractPartyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The parties to a contract. The client and the main provider are added with the contract."""

    model = ContractParty
    serializer_class = ContractPartySerializer
    filterset_class = ContractPartyFilter
    ordering_fields = ["id", "kind"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def scoped_queryset(self):
        return selectors.contract_party_list()

    def create(self, request):
        party = services.contract_party_add(actor=request.user, via=self.via, **self.validated())
        return Response(self.serialized(party), status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.contract_party_remove(party=self.get_object(), actor=request.user, via=self.via)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ContractRoleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The responsibility matrix: who plays which role on which contract."""

    model = ContractRole
    serializer_class = ContractRoleSerializer
    filterset_class = ContractRoleFilter
    ordering_fields = ["id", "role", "created_at"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def scoped_queryset(self):
        return selectors.contract_role_list()

    def create(self, request):
        assignment = services.contract_role_assign(actor=request.user, via=self.via, **self.validated())
        return Response(self.serialized(assignment), status=status.HTTP_201_CREATED)

    def destroy(self, request, pk=None):
        services.contract_role_remove(assignment=self.get_object(), actor=request.user, via=self.via)
        return Response(status=status.HTTP_204_NO_CONTENT)
