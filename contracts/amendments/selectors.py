"""Reads of amendments and versions shared by pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import versions
from ..models import Amendment, Contract, ContractVersion
from .rules import current_value, term_label, value_text


def amendment_list(*, contract_id=None, client_id=None, state: str = ""):
    """Amendments, newest first, with contract, client and the people loaded; `client_id` limits a
    client user to their client's contracts."""
    queryset = Amendment.objects.select_related(
        "contract", "contract__client", "proposed_by", "decided_by", "version").order_by("-created_at", "-id")
    if contract_id is not None:
        queryset = queryset.filter(contract_id=contract_id)
    if client_id is not None:
        queryset = queryset.filter(contract__client_id=client_id)
    if state:
        queryset = queryset.filter(state=state)
    return queryset


def amendment_get(*, amendment_id, client_id=None) -> Amendment:
    """One amendment of the current tenant (and of `client_id`'s contracts); DoesNotExist otherwise."""
    return amendment_list(client_id=client_id).select_related("contract__provider").get(pk=amendment_id)


@dataclass(frozen=True)
class ChangeRow:
    term: str
    label: str
    before: str
    after: str


def amendment_change_rows(amendment: Amendment) -> list[ChangeRow]:
    """Each change of the amendment: before (the terms in force before it, or today's while it is
    open) → after, in words."""
    before_terms: dict[str, Any] = {}
    if amendment.version is not None:
        previous = (ContractVersion.objects.filter(contract_id=amendment.contract_id,
                                                   number__lt=amendment.version.number)
                    .order_by("-number").first())
        if previous is not None:
            before_terms = {**previous.terms, **(previous.terms.get("sections") or {})}
    rows = []
    for name, after in amendment.changes.items():
        if amendment.version_id and before_terms:
            before = before_terms.get(name)
        else:
            try:
                before = current_value(amendment.contract, name)
            except KeyError:
                before = None
        rows.append(ChangeRow(name, term_label(name), value_text(name, before), value_text(name, after)))
    return rows


@dataclass
class VersionRow:
    version: ContractVersion
    changes: list[ChangeRow]
    amendment: Amendment | None


def version_list(*, contract: Contract) -> list[VersionRow]:
    """The contract's versions, oldest first, each with its diff against the previous one in words."""
    rows, previous = [], None
    all_versions = list(ContractVersion.objects.filter(contract=contract).select_related("created_by")
                        .order_by("number"))
    by_version = {a.version_id: a for a in Amendment.objects.filter(contract=contract, version__isnull=False)
                  .order_by("applied_at", "id")}
    for version in all_versions:
        changes: list[ChangeRow] = [ChangeRow(name, term_label(name), value_text(name, old), value_text(name, new))
                   for name, old, new in versions.versions_diff(previous, version.terms)] if previous else []
        rows.append(VersionRow(version=version, changes=changes, amendment=by_version.get(version.pk)))
        previous = version.terms
    return rows


_UNKNOWN = object()


def version_diff(version: ContractVersion, *, previous: Any = _UNKNOWN) -> list[dict]:
    """A version's changes against the one before it (the API's `diff`); `previous` is that one's
    terms when the caller has them already (None: there is none)."""
    if previous is _UNKNOWN:
        previous = (ContractVersion.objects.filter(contract_id=version.contract_id, number__lt=version.number)
                    .order_by("-number").values_list("terms", flat=True).first())
    if previous is None:
        return []
    return [{"term": name, "label": term_label(name), "before": old, "after": new,
             "before_text": value_text(name, old), "after_text": value_text(name, new)}
            for name, old, new in versions.versions_diff(previous, version.terms)]
