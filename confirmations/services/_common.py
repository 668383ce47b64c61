"""What every act service shares: the timeline, after-commit tasks, who may act, notifications."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from django.conf import settings
from django.utils import translation

from contracts.models import ContractRole, ContractRoleKind
from tenancy.models import Membership
from tenancy.roles import Role, membership_of
from tenancy.services import notify_users

from ..models import (
    Act,
    ActEvent,
)

CENT = Decimal("0.01")


def _record(act: Act, *, kind: str, actor=None, via: str = "", **fields: Any) -> ActEvent:
    return ActEvent.record(act, kind=kind, actor=actor, via=via, **fields)


class SignedUnderContract(Protocol):
    """What a client signs under a contract: an act, or a review's minutes and plan."""

    tenant_id: int
    client_id: int
    contract_id: int


def is_signatory(user, act: SignedUnderContract) -> bool:
    """Who signs for the client: a user named client signatory on the act's contract, or an
    administrator of the act's client (the same rule the contract's responsibility matrix keeps)."""
    membership = membership_of(user, act.tenant_id)
    if membership is None or not membership.is_active or membership.client_id != act.client_id:
        return False
    if membership.role == Role.CLIENT_ADMIN:
        return True
    return membership.role == Role.CLIENT_SIGNATORY and ContractRole.objects.filter(
        contract_id=act.contract_id, role=ContractRoleKind.CLIENT_SIGNATORY, user=user).exists()


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


# --- notifications ----------------------------------------------------------------------------


def _client_signatories(act: Act):
    named = ContractRole.objects.filter(contract_id=act.contract_id, role=ContractRoleKind.CLIENT_SIGNATORY)
    admins = Membership.objects.filter(client_id=act.client_id, role=Role.CLIENT_ADMIN, is_active=True)
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(pk__in=[*named.values_list("user_id", flat=True),
                                                        *admins.values_list("user_id", flat=True)]))


def _notify_client(act: Act, *, kind: str, key: str, title: str, body: str) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        notify_users(_client_signatories(act), kind=kind, key=key, title=str(title), body=str(body),
                      url=f"/portal/acts/{act.pk}/")


def _notify_managers(act: Act, *, kind: str, key: str, title: str, body: str) -> None:
    roles = ContractRole.objects.filter(contract_id=act.contract_id, role=ContractRoleKind.ACCOUNT_MANAGER)
    notify_users([r.user for r in roles.select_related("user")], kind=kind, key=key, title=str(title),
                  body=str(body), url=f"/acts/{act.pk}/")
