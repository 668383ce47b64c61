"""Reads shared by pages, the API and reports; each already loads what its caller touches."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from tenancy.roles import Role

from .models import (
    Client,
    Contract,
    ContractEvent,
    ContractParty,
    ContractRole,
    ContractRoleKind,
    Provider,
)


def client_list(*, search: str = "", active: bool | None = None):
    queryset = Client.objects.annotate(
        contract_count=Count("contracts"),
        active_contract_count=Count("contracts", filter=Q(contracts__state="active")),
    ).order_by("name")
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(legal_name__icontains=search) | Q(tax_id__icontains=search))
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset


def client_get(*, client_id) -> Client:
    """The current tenant's client; another tenant's id raises DoesNotExist like a missing one."""
    return Client.objects.get(pk=client_id)


def provider_list(*, search: str = ""):
    queryset = Provider.objects.annotate(contract_count=Count("contracts")).order_by("-is_own", "name")
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(legal_name__icontains=search))
    return queryset


def provider_get(*, provider_id) -> Provider:
    return Provider.objects.get(pk=provider_id)


def contract_list(*, state: str = "", client_id=None, search: str = "", user=None, client_scope=None):
    """Contracts with client and provider loaded. `client_scope` limits a client user to their client."""
    queryset = Contract.objects.select_related("client", "provider").order_by("-created_at", "-id")
    if state:
        queryset = queryset.filter(state=state)
    if client_id:
        queryset = queryset.filter(client_id=client_id)
    if client_scope is not None:
        queryset = queryset.filter(client=client_scope)
    if search:
        queryset = queryset.filter(
            Q(number__icontains=search) | Q(title__icontains=search) | Q(client__name__icontains=search)
        )
    return queryset


def manager_scope(*, user, role: str) -> QuerySet | None:
    """The contracts a provider user's home is about: every contract for an administrator, the
    contracts where they are the account manager for an account manager, and the contracts where
    they hold any role of the responsibility matrix for anyone else. None means "all"."""
    if role == Role.ADMIN:
        return None
    roles = Q(roles__user=user)
    if role == Role.ACCOUNT_MANAGER:
        roles &= Q(roles__role=ContractRoleKind.ACCOUNT_MANAGER)
    return Contract.objects.filter(roles).values("pk")


def contract_get(*, contract_id) -> Contract:
    """One contract of the current tenant with everything its page shows."""
    return (
        Contract.objects.select_related("client", "provider", "created_by")
        .prefetch_related(
            Prefetch("parties", queryset=ContractParty.objects.select_related("client", "provider")),
            Prefetch("roles", queryset=ContractRole.objects.select_related("user")),
        )
        .get(pk=contract_id)
    )


def contract_timeline(*, contract: Contract):
    return ContractEvent.objects.filter(contract=contract).select_related("actor").order_by("at", "id")


def contract_state_counts() -> dict[str, int]:
    return dict(Contract.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n"))


def contract_party_list():
    """Parties of the current tenant's contracts, with the organisations loaded."""
    return ContractParty.objects.select_related("contract", "client", "provider").order_by("contract_id", "kind", "id")


def contract_role_list():
    """The responsibility matrix of the current tenant's contracts, with the users loaded."""
    return ContractRole.objects.select_related("contract", "user").order_by("contract_id", "role", "id")
