"""The terms of a contract as of a date: versions, the one selector for them, and their diff.

A contract's terms change only by amendment once it is active; each applied amendment writes a
`ContractVersion` in force from its effective date. Everything computed for a period reads the terms
in force then through `terms_in_force(contract, on)` or `terms_segments(contract, start, end)` —
never the contract row, which holds today's terms only.

The contract's own terms (`CORE_TERMS`) are columns of the contract. Other apps own the rest and
register a **section** here (`register_section`), which keeps the dependency direction: contracts
knows nothing of billing or SLA, billing and SLA know contracts. A section gives

- `snapshot(contract) -> JSON-able value`: the section as it stands now (e.g. billing's rating bands);
- `validate(contract, value) -> value`: a proposed value, normalised, or a DomainError naming the
  field (`changes.<section>`); and
- `apply(contract, value, actor)`: make it the current state (e.g. replace the bands).

Snapshots are plain JSON: decimals and dates as strings, so a version reads back the same forever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from .models import Contract, ContractVersion

# The contract's own terms a version snapshots and an amendment may change.
CORE_TERMS = ("monthly_fee", "quality_share_pct", "penalty_cap_pct", "acceptance_days", "end_date")
DECIMAL_TERMS = ("monthly_fee", "quality_share_pct", "penalty_cap_pct")


@dataclass(frozen=True)
class Section:
    name: str
    label: Any  # a lazy translation
    snapshot: Callable[[Contract], Any]
    validate: Callable[[Contract, Any], Any]
    apply: Callable[..., None]
    # for pages: the value as editable text and back (DomainError on bad text); None: API only
    to_text: Callable[[Any], str] | None = None
    from_text: Callable[[Contract, str], Any] | None = None


_SECTIONS: dict[str, Section] = {}
_GUARDS: list[Callable[[Contract, dt.date], Any]] = []


def register_section(name: str, *, label, snapshot, validate, apply, to_text=None, from_text=None) -> None:
    """Called from an app's `AppConfig.ready()`; registering a name twice replaces it."""
    _SECTIONS[name] = Section(name=name, label=label, snapshot=snapshot, validate=validate, apply=apply,
                              to_text=to_text, from_text=from_text)


def sections() -> dict[str, Section]:
    return dict(_SECTIONS)


def register_guard(guard: Callable[[Contract, dt.date], Any]) -> None:
    """A check another app runs on an amendment's effective date: `guard(contract, date)` returns a
    message when terms may no longer change from that date (billing: the period is invoiced), else
    None. Called from an app's `AppConfig.ready()`; the same function is registered once."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def effective_date_problems(contract: Contract, on: dt.date) -> list:
    """What every registered guard says against terms changing from `on`."""
    return [message for guard in _GUARDS if (message := guard(contract, on))]


@dataclass(frozen=True)
class Terms:
    """The terms in force from `effective_from` (version `version`; 0 when the contract has none yet)."""

    version: int
    effective_from: dt.date | None
    monthly_fee: Decimal
    quality_share_pct: Decimal
    penalty_cap_pct: Decimal
    acceptance_days: int
    end_date: dt.date | None
    sections: dict[str, Any] = field(default_factory=dict)

    def section(self, name: str, default=None):
        return self.sections.get(name, default)

    @classmethod
    def from_snapshot(cls, snapshot: dict, *, version: int, effective_from: dt.date | None) -> Terms:
        return cls(
            version=version, effective_from=effective_from,
            monthly_fee=Decimal(snapshot["monthly_fee"]),
            quality_share_pct=Decimal(snapshot["quality_share_pct"]),
            penalty_cap_pct=Decimal(snapshot["penalty_cap_pct"]),
            acceptance_days=int(snapshot["acceptance_days"]),
            end_date=dt.date.fromisoformat(snapshot["end_date"]) if snapshot.get("end_date") else None,
            sections=dict(snapshot.get("sections") or {}),
        )


@dataclass(frozen=True)
class Segment:
    """Days `start`..`end` (both included) of a period, all under the same terms."""

    start: dt.date
    end: dt.date
    terms: Terms

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def plain(value) -> Any:
    """A term's value as the JSON a snapshot stores."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (Decimal, dt.date)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def snapshot(contract: Contract) -> dict:
    """The contract's terms as they stand now: its own columns and every registered section."""
    data = {name: plain(getattr(contract, name)) for name in CORE_TERMS}
    data["sections"] = {name: section.snapshot(contract) for name, section in sorted(_SECTIONS.items())}
    return data


def version_write(*, contract: Contract, effective_from: dt.date, actor=None, note: str = "") -> ContractVersion:
    """Record the contract's current terms as the version in force from `effective_from`.

    Called with the contract row locked (activation, applying an amendment). A version already in
    force from that date is replaced in place by the newer terms — two amendments effective on the
    same day make one version — so the sequence stays one version per date.
    """
    terms = snapshot(contract)
    contract.__dict__.pop("_versions_cache", None)  # terms_in_force on this instance reads the new version
    existing = ContractVersion.objects.filter(contract=contract, effective_from=effective_from).first()
    if existing is not None:
        ContractVersion.objects.filter(pk=existing.pk).update(terms=terms, note=note or existing.note)
        existing.terms = terms
        return existing
    last = ContractVersion.objects.filter(contract=contract).order_by("-number").values_list("number", flat=True).first()
    with transaction.atomic():
        return ContractVersion.objects.create(
            tenant_id=contract.tenant_id, contract=contract, number=(last or 0) + 1,
            effective_from=effective_from, terms=terms, note=note, created_by=actor,
        )


def _current(contract: Contract) -> Terms:
    return Terms.from_snapshot(snapshot(contract), version=0, effective_from=contract.start_date)


def _versions(contract: Contract) -> list[ContractVersion]:
    cache = getattr(contract, "_versions_cache", None)
    if cache is None:
        cache = list(ContractVersion.objects.filter(contract=contract).order_by("effective_from", "number"))
        contract._versions_cache = cache
    return cache


def terms_in_force(contract: Contract, on: dt.date) -> Terms:
    """The terms in force on `on`: the latest version effective on or before it.

    Before the first version (or for a contract that has none yet, e.g. a draft) these are the
    contract's current terms; a date before version 1 reads version 1.
    """
    versions = _versions(contract)
    if not versions:
        return _current(contract)
    chosen = versions[0]
    for version in versions:
        if version.effective_from <= on:
            chosen = version
        else:
            break
    return Terms.from_snapshot(chosen.terms, version=chosen.number, effective_from=chosen.effective_from)


def terms_segments(contract: Contract, start: dt.date, end: dt.date) -> list[Segment]:
    """The days `start`..`end` cut where a version takes effect: one segment per terms in force.

    A month with no amendment in it is one segment; a month an amendment splits is two.
    """
    cuts = [v.effective_from for v in _versions(contract) if start < v.effective_from <= end]
    segments, begin = [], start
    for cut in [*cuts, end + dt.timedelta(days=1)]:
        segments.append(Segment(begin, cut - dt.timedelta(days=1), terms_in_force(contract, begin)))
        begin = cut
    return segments


def versions_diff(older: dict | None, newer: dict) -> list[tuple[str, Any, Any]]:
    """What changed between two snapshots: (term or section name, before, after), in a stable order."""
    older = older or {}
    changes = []
    for name in CORE_TERMS:
        if older.get(name) != newer.get(name):
            changes.append((name, older.get(name), newer.get(name)))
    before, after = older.get("sections") or {}, newer.get("sections") or {}
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            changes.append((name, before.get(name), after.get(name)))
    return changes


def version_baseline(*, contract: Contract, actor=None) -> ContractVersion | None:
    """Version 1 of a contract that has none (activated before versions existed), from its current
    terms and in force from its start date. Call with the contract row locked, before changing terms."""
    if ContractVersion.objects.filter(contract=contract).exists() or contract.start_date is None:
        return None
    return version_write(contract=contract, effective_from=contract.start_date, actor=actor)


def version_from_today(*, contract: Contract, actor=None, note: str = "") -> ContractVersion | None:
    """A signed contract's terms changed directly (its end date, rating bands or SLA policies edited
    on their pages or through the API) are in force from today: the version from today carries
    them, so the versions never disagree with the contract. A draft's or negotiated contract's
    terms go into version 1 at activation: nothing is written for them."""
    contract = Contract.objects.get(pk=contract.pk)
    if contract.terms_editable or contract.start_date is None:
        return None
    version_baseline(contract=contract, actor=actor)
    return version_write(contract=contract, effective_from=max(contract.tenant.today(), contract.start_date),
                         actor=actor, note=note)
