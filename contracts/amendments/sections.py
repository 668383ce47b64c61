"""The contract's parties and its responsibility matrix as sections of the terms (registered from
`ContractsConfig.ready()`), so an amendment can change them and a version keeps them.

Text form, one line each:
- parties: `kind | organisation | representative | acting under | responsibilities`
  (kind: customer, contractor or subcontractor);
- roles: `role: username` (role: account_manager, contact_point, ..., client_signatory).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.errors import DomainError
from tenancy.models import Membership
from tenancy.roles import CLIENT_ROLES, PROVIDER_ROLES, Role

from .. import versions
from ..models import (
    CLIENT_SIDE_CONTRACT_ROLES,
    Contract,
    ContractParty,
    ContractRole,
    ContractRoleKind,
    PartyKind,
    Provider,
)

PARTY_KEYS = ("kind", "organisation", "representative", "basis", "responsibilities")


# --- parties -------------------------------------------------------------------------------------


def parties_snapshot(contract: Contract) -> list[dict]:
    rows = ContractParty.objects.filter(contract_id=contract.pk).select_related("client", "provider")
    return sorted(({"kind": p.kind, "organisation": p.organisation.name, "representative": p.representative,
                    "basis": p.basis, "responsibilities": p.responsibilities} for p in rows),
                  key=lambda r: (r["kind"], r["organisation"]))


def _error(message, name: str) -> DomainError:
    return DomainError(message, field=f"changes.{name}", code="invalid")


def parties_validate(contract: Contract, value) -> list[dict]:
    if not isinstance(value, list):
        raise _error(_("List the parties."), "parties")
    rows, seen = [], set()
    for item in value:
        if not isinstance(item, dict) or item.get("kind") not in PartyKind.values:
            raise _error(_("Each party needs a kind: customer, contractor or subcontractor."), "parties")
        name = str(item.get("organisation") or "").strip()
        if item["kind"] == PartyKind.CUSTOMER:
            if name != contract.client.name:
                raise _error(_("The customer of a contract is its client."), "parties")
        elif not Provider.objects.filter(name=name).exists():
            raise _error(_("“%(name)s” is not one of your providers.") % {"name": name}, "parties")
        if name in seen:
            raise _error(_("This organisation is already a party to the contract."), "parties")
        seen.add(name)
        rows.append({"kind": item["kind"], "organisation": name,
                     **{k: str(item.get(k) or "").strip()[:200 if k != "responsibilities" else 5000]
                        for k in ("representative", "basis", "responsibilities")}})
    if contract.client.name not in seen or contract.provider.name not in seen:
        raise _error(_("The contract's client and main provider stay parties to it."), "parties")
    return sorted(rows, key=lambda r: (r["kind"], r["organisation"]))


def parties_apply(contract: Contract, value: list[dict], actor=None) -> None:
    ContractParty.objects.filter(contract_id=contract.pk).delete()
    providers = {p.name: p for p in Provider.objects.filter(name__in=[r["organisation"] for r in value])}
    for row in value:
        customer = row["kind"] == PartyKind.CUSTOMER
        ContractParty.objects.create(
            tenant_id=contract.tenant_id, contract_id=contract.pk, kind=row["kind"],
            client_id=contract.client_id if customer else None,
            provider=None if customer else providers[row["organisation"]],
            representative=row["representative"], basis=row["basis"], responsibilities=row["responsibilities"])


def parties_to_text(value: list[dict]) -> str:
    return "\n".join(" | ".join(str(row.get(k, "")) for k in PARTY_KEYS).rstrip(" |") for row in value)


def parties_from_text(contract: Contract, text: str) -> list[dict]:
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("|")] + [""] * len(PARTY_KEYS)
        rows.append(dict(zip(PARTY_KEYS, cells[:len(PARTY_KEYS)], strict=True)))
    return parties_validate(contract, rows)


# --- roles ---------------------------------------------------------------------------------------


def roles_snapshot(contract: Contract) -> list[dict]:
    rows = ContractRole.objects.filter(contract_id=contract.pk).select_related("user")
    return sorted(({"role": r.role, "user": r.user.get_username()} for r in rows),
                  key=lambda r: (r["role"], r["user"]))


def roles_validate(contract: Contract, value) -> list[dict]:
    if not isinstance(value, list):
        raise _error(_("List the roles."), "roles")
    rows, seen = [], set()
    members = {m.user.get_username(): m for m in Membership.objects.filter(is_active=True).select_related("user")}
    for item in value:
        if not isinstance(item, dict) or item.get("role") not in ContractRoleKind.values:
            raise _error(_("Unknown role."), "roles")
        username = str(item.get("user") or "").strip()
        membership = members.get(username)
        if membership is None:
            raise _error(_("“%(user)s” is not a member of your organisation.") % {"user": username}, "roles")
        role = item["role"]
        if role in CLIENT_SIDE_CONTRACT_ROLES:
            if membership.role not in CLIENT_ROLES or membership.client_id != contract.client_id:
                raise _error(_("Choose a user of the contract's client."), "roles")
            if role == ContractRoleKind.CLIENT_SIGNATORY and membership.role not in (Role.CLIENT_SIGNATORY,
                                                                                     Role.CLIENT_ADMIN):
                raise _error(_("Only a client signatory or client administrator may sign for the client."), "roles")
        elif membership.role not in PROVIDER_ROLES:
            raise _error(_("Choose a member of the provider's staff."), "roles")
        if (role, username) not in seen:
            seen.add((role, username))
            rows.append({"role": role, "user": username})
    roles = {r for r, _user in seen}
    if ContractRoleKind.ACCOUNT_MANAGER not in roles or ContractRoleKind.CLIENT_SIGNATORY not in roles:
        raise _error(_("An active contract keeps at least one account manager and one client signatory."), "roles")
    return sorted(rows, key=lambda r: (r["role"], r["user"]))


def roles_apply(contract: Contract, value: list[dict], actor=None) -> None:
    wanted = {(r["role"], r["user"]) for r in value}
    existing = list(ContractRole.objects.filter(contract_id=contract.pk).select_related("user"))
    for assignment in existing:
        if (assignment.role, assignment.user.get_username()) not in wanted:
            assignment.delete()
    have = {(a.role, a.user.get_username()) for a in existing}
    users = {m.user.get_username(): m.user for m in Membership.objects.filter(is_active=True).select_related("user")}
    for role, username in sorted(wanted - have):
        ContractRole.objects.create(tenant_id=contract.tenant_id, contract_id=contract.pk, role=role,
                                    user=users[username])


def roles_to_text(value: list[dict]) -> str:
    return "\n".join(f"{row['role']}: {row['user']}" for row in value)


def roles_from_text(contract: Contract, text: str) -> list[dict]:
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        role, _sep, user = line.partition(":")
        rows.append({"role": role.strip(), "user": user.strip()})
    return roles_validate(contract, rows)


def register() -> None:
    versions.register_section("parties", label=gettext_lazy("Parties"), snapshot=parties_snapshot,
                              validate=parties_validate, apply=parties_apply, to_text=parties_to_text,
                              from_text=parties_from_text)
    versions.register_section("roles", label=gettext_lazy("Roles and responsibilities"), snapshot=roles_snapshot,
                              validate=roles_validate, apply=roles_apply, to_text=roles_to_text,
                              from_text=roles_from_text)
