"""What an amendment may change and how its values read: validating a change, the labels and the
words of each term, and the canonical text whose SHA-256 the client's consent covers."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.bounds import validate_date_in_range
from tenancy.errors import DomainError

from .. import versions
from ..models import Amendment, Contract

TERM_LABELS = {
    "monthly_fee": gettext_lazy("Monthly fee"),
    "quality_share_pct": gettext_lazy("Quality-linked share, %"),
    "penalty_cap_pct": gettext_lazy("Penalty cap, %"),
    "acceptance_days": gettext_lazy("Acceptance days"),
    "end_date": gettext_lazy("End date"),
}


def term_names() -> list[str]:
    """Every term an amendment may change: the contract's own, then the registered sections."""
    return [*versions.CORE_TERMS, *sorted(versions.sections())]


def term_label(name: str) -> str:
    if name in TERM_LABELS:
        return str(TERM_LABELS[name])
    section = versions.sections().get(name)
    return str(section.label) if section else name


def current_value(contract: Contract, name: str) -> Any:
    """The term's value as it stands now, as a snapshot stores it."""
    if name in versions.CORE_TERMS:
        return versions.plain(getattr(contract, name))
    return versions.sections()[name].snapshot(contract)


def value_text(name: str, value: Any) -> str:
    """A term's stored value in words for a page: dates and numbers in the reader's format, a
    section through its `to_text` (else its JSON)."""
    if value is None or value == "":
        return _("open-ended") if name == "end_date" else "—"
    if name == "end_date":
        try:
            return date_format(dt.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if name in versions.DECIMAL_TERMS:
        return number_format(Decimal(str(value)), decimal_pos=2, use_l10n=True, force_grouping=True)
    if name in versions.CORE_TERMS:
        return str(value)
    section = versions.sections().get(name)
    if section is not None and section.to_text is not None:
        try:
            return section.to_text(value)
        except (TypeError, ValueError, KeyError, AttributeError):
            pass
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _core_value(contract: Contract, name: str, raw: Any) -> Any:
    """A core term's new value through the model field's own parsing and validators."""
    field = Contract._meta.get_field(name)
    if name == "end_date" and raw in (None, ""):
        return None
    if isinstance(raw, (bool, list, dict)) or (name != "end_date" and raw in (None, "")):
        raise DomainError(_("Enter a valid value."), field=f"changes.{name}", code="invalid")
    if name in versions.DECIMAL_TERMS and isinstance(raw, float):
        raw = str(raw)
    try:
        value = field.clean(raw, contract)
        if name == "end_date":
            validate_date_in_range(value)
    except ValidationError as exc:
        raise DomainError(exc.messages[0], field=f"changes.{name}", code="invalid") from exc
    if name in versions.DECIMAL_TERMS:
        value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return value


def validate_changes(contract: Contract, changes: Any, *, effective_date: dt.date) -> dict[str, Any]:
    """The changes normalised to what a version stores, or a DomainError naming `changes.<term>`.

    Every term must be known, differ from its current value and pass its own validation; a new end
    date is on or after the start and the effective date.
    """
    if not isinstance(changes, dict) or not changes:
        raise DomainError(_("Change at least one term."), field="changes", code="required")
    known = versions.sections()
    normalised: dict[str, Any] = {}
    for name, raw in changes.items():
        if name in versions.CORE_TERMS:
            value = _core_value(contract, name, raw)
            if name == "end_date" and value is not None:
                if contract.start_date and value < contract.start_date:
                    raise DomainError(_("The end date cannot be before the start date."), field="changes.end_date",
                                      code="invalid")
                if value < effective_date:
                    raise DomainError(_("The new end date cannot be before the effective date."),
                                      field="changes.end_date", code="invalid")
            stored = versions.plain(value)
        elif name in known:
            try:
                stored = known[name].validate(contract, raw)
            except (TypeError, ValueError, KeyError, AttributeError, ArithmeticError) as exc:
                # a section's own checks missed a shape: still the caller's input at fault
                raise DomainError(_("Enter a valid value."), field=f"changes.{name}", code="invalid") from exc
        else:
            raise DomainError(_("“%(name)s” is not a term an amendment can change.") % {"name": name},
                              field=f"changes.{name}", code="unknown")
        if stored == current_value(contract, name):
            raise DomainError(_("This is the current value: leave it out or change it."), field=f"changes.{name}",
                              code="unchanged")
        normalised[name] = stored
    return normalised


def core_python_value(name: str, stored: Any) -> Any:
    """A stored core term as the contract's column takes it."""
    if stored is None:
        return None
    if name == "end_date":
        return dt.date.fromisoformat(stored)
    if name in versions.DECIMAL_TERMS:
        return Decimal(stored)
    return int(stored)


def canonical_text(amendment: Amendment) -> str:
    """The amendment as the client agrees to it: a stable JSON text (sorted keys, no translation),
    whose SHA-256 the consent stores."""
    return json.dumps({
        "amendment": amendment.number,
        "contract": amendment.contract.number,
        "effective_date": amendment.effective_date.isoformat(),
        "reason": amendment.reason,
        "changes": amendment.changes,
    }, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def document_sha256(amendment: Amendment) -> str:
    return hashlib.sha256(canonical_text(amendment).encode()).hexdigest()
