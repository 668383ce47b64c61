"""The contracts part of the REST API (/api/v1/): clients, providers, contracts, parties, roles."""

from __future__ import annotations

from .viewsets import (
    ClientViewSet,
    ContractPartyViewSet,
    ContractRoleViewSet,
    ContractViewSet,
    ProviderViewSet,
)


def register(router) -> None:
    router.register("clients", ClientViewSet, basename="api-client")
    router.register("providers", ProviderViewSet, basename="api-provider")
    router.register("contracts", ContractViewSet, basename="api-contract")
    router.register("contract-parties", ContractPartyViewSet, basename="api-contract-party")
    router.register("contract-roles", ContractRoleViewSet, basename="api-contract-role")
