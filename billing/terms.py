"""Billing's part of a contract's versioned terms (`contracts.versions`).

- The **"rating_bands" section**: the contract's quality table as a version stores it — a list of
  `{"min_rating": "4.50", "adjustment_pct": "5.00"}`, highest threshold first; an empty list means
  the default bands (`calc.DEFAULT_BANDS`). As text, one band per line: `4.50: +5`.
- The **invoiced-period guard**: terms may not change from a date an issued or paid invoice already
  covers (a draft or a void invoice does not count: a draft is rebuilt, a void one is gone).
- `fee_segments`: a month cut into the parts the invoice charges, each under the terms in force then.

Both are registered in `BillingConfig.ready()`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contracts.models import Contract
from contracts.versions import terms_segments
from tenancy.errors import DomainError

from . import calc
from .models import Invoice, InvoiceState, RatingBand

SECTION = "rating_bands"
FIELD = f"changes.{SECTION}"
MAX_BANDS = 10
_MIN_RATING = (Decimal("1"), Decimal("5"))
_ADJUSTMENT = (Decimal("-100"), Decimal("100"))
_LINE = re.compile(r"^\s*(?:≥|>=)?\s*(\d+(?:[.,]\d+)?)\s*:\s*([+\-−]?)\s*(\d+(?:[.,]\d+)?)\s*%?\s*$")


# --- the section --------------------------------------------------------------------------------

def _row(min_rating: Decimal, adjustment_pct: Decimal) -> dict:
    return {"min_rating": f"{min_rating:.2f}", "adjustment_pct": f"{adjustment_pct:.2f}"}


def bands_snapshot(contract: Contract) -> list[dict]:
    """The contract's bands now, highest threshold first ([] when it uses the default table)."""
    rows = RatingBand.objects.filter(contract=contract).order_by("-min_rating")
    return [_row(b.min_rating, b.adjustment_pct) for b in rows]


def _decimal(value) -> Decimal | None:
    """A number with at most two decimals, else None (bools, NaN, 4.555, "abc" are not)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ".").replace("−", "-"))
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.quantize(calc.CENT):
        return None
    return number


def _check(rows: list[tuple[Decimal | None, Decimal | None]], where) -> list[dict]:
    """Bounds, distinct thresholds and the count; `where(n)` names the n-th row in a message."""
    if len(rows) > MAX_BANDS:
        raise DomainError(_("A contract has at most %(max)s rating bands.") % {"max": MAX_BANDS},
                          field=FIELD, code="too_many")
    seen: set[Decimal] = set()
    for n, (min_rating, pct) in enumerate(rows, start=1):
        if min_rating is None or not (_MIN_RATING[0] <= min_rating <= _MIN_RATING[1]):
            raise DomainError(_("%(where)s: a band starts at a mean rating from 1 to 5.") % {"where": where(n)},
                              field=FIELD, code="invalid")
        if pct is None or not (_ADJUSTMENT[0] <= pct <= _ADJUSTMENT[1]):
            raise DomainError(_("%(where)s: the adjustment is between −100 %% and 100 %%.") % {"where": where(n)},
                              field=FIELD, code="invalid")
        if min_rating in seen:
            raise DomainError(_("%(where)s: another band already starts at %(rating)s.")
                              % {"where": where(n), "rating": f"{min_rating:.2f}"}, field=FIELD, code="unique")
        seen.add(min_rating)
    return sorted((_row(m, p) for m, p in rows), key=lambda r: Decimal(r["min_rating"]), reverse=True)


def bands_validate(contract: Contract, value) -> list[dict]:
    """A proposed table, normalised (two decimals, highest threshold first), or a DomainError."""
    if value is None:
        value = []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise DomainError(_("Rating bands are a list of {min_rating, adjustment_pct}."), field=FIELD, code="invalid")
    rows = [(_decimal(item.get("min_rating")), _decimal(item.get("adjustment_pct"))) for item in value]
    return _check(rows, lambda n: _("Band %(n)s") % {"n": n})


def bands_apply(contract: Contract, value, actor=None) -> None:
    """Make `value` (validated) the contract's bands: the rows are replaced."""
    value = bands_validate(contract, value)
    with transaction.atomic():
        RatingBand.objects.filter(contract=contract).delete()
        RatingBand.objects.bulk_create([
            RatingBand(tenant_id=contract.tenant_id, contract=contract, min_rating=Decimal(row["min_rating"]),
                       adjustment_pct=Decimal(row["adjustment_pct"]))
            for row in value
        ])


def _pct_text(value: Decimal) -> str:
    text = f"{Decimal(value):+.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bands_to_text(value) -> str:
    """One band per line, highest first: `4.50: +5`. Empty: the default table."""
    return "\n".join(f"{Decimal(row['min_rating']):.2f}: {_pct_text(row['adjustment_pct'])}" for row in value or [])


def bands_from_text(contract: Contract, text: str) -> list[dict]:
    """Lines like `4.50: +5` (or `4,5: -10 %`) back to the section's value; blank lines are skipped,
    no lines at all means the default table. A bad line is named by its number."""
    rows, numbers = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if not match:
            raise DomainError(
                _("Line %(line)s: write a band as “4.50: +5” — the mean rating it starts at, a colon, the "
                  "adjustment in %%.") % {"line": number}, field=FIELD, code="invalid")
        min_text, sign, pct_text = match.groups()
        pct = _decimal(pct_text)
        rows.append((_decimal(min_text), -pct if pct is not None and sign in ("-", "−") else pct))
        numbers.append(number)
    return _check(rows, lambda n: _("Line %(line)s") % {"line": numbers[n - 1]})


SECTION_LABEL = gettext_lazy("Rating bands")


# --- the guard ----------------------------------------------------------------------------------

def invoiced_period_guard(contract: Contract, on: dt.date):
    """Terms may not change from a day an issued or paid invoice covers (or any day before its
    period's end: the change would reach back into it). Names the latest such invoice."""
    invoice = (Invoice.objects.filter(contract=contract, state__in=[InvoiceState.ISSUED, InvoiceState.PAID],
                                      period_end__gte=on)
               .order_by("-period_end", "-id").only("number", "period_end").first())
    if invoice is None:
        return None
    return _("This period is already invoiced (%(number)s); choose a date after %(end)s.") % {
        "number": invoice.number, "end": f"{invoice.period_end:%d.%m.%Y}"}


# --- a month under the terms in force -----------------------------------------------------------

def bands_in_force(terms, contract: Contract) -> tuple[calc.Band, ...]:
    """A version's bands: its section, `DEFAULT_BANDS` when that is empty (the contract had no
    bands of its own then); when the section is missing (a version written before billing
    registered it, or the contract's terms before any version), the contract's current bands.

    Every change of bands on a signed contract writes a version (an amendment, or an edit on the
    rating bands page or API, in force from that day), so a version's section is what applied."""
    if SECTION not in terms.sections:
        current = RatingBand.objects.filter(contract=contract).order_by("-min_rating")
        return tuple(calc.Band(b.min_rating, b.adjustment_pct) for b in current) or calc.DEFAULT_BANDS
    rows = terms.sections[SECTION]
    if not rows:
        return calc.DEFAULT_BANDS
    bands = [calc.Band(Decimal(r["min_rating"]), Decimal(r["adjustment_pct"])) for r in rows]
    return tuple(sorted(bands, key=lambda b: b.min_rating, reverse=True))


def billed_days(contract: Contract, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """The days of `start`..`end` within the contract's term [start_date, end_date], or None."""
    first = max(start, contract.start_date) if contract.start_date else start
    last = min(end, contract.end_date) if contract.end_date else end
    return (first, last) if first <= last else None


def fee_segments(contract: Contract, start: dt.date, end: dt.date) -> list[calc.FeeSegment]:
    """The month `start`..`end` as the invoice charges it: clipped to the contract's term and cut
    where the terms change, adjacent parts with the same billing terms merged into one. Each part's
    `ref` is its (first day, last day) as ISO dates."""
    days = billed_days(contract, start, end)
    if days is None:
        return []
    parts: list[list] = []  # [first, last, key]
    for segment in terms_segments(contract, *days):
        terms = segment.terms
        key = (terms.monthly_fee, terms.quality_share_pct, terms.penalty_cap_pct, bands_in_force(terms, contract))
        if parts and parts[-1][2] == key and parts[-1][1] + dt.timedelta(days=1) == segment.start:
            parts[-1][1] = segment.end
        else:
            parts.append([segment.start, segment.end, key])
    month_days = (end - start).days + 1
    return [
        calc.FeeSegment(days=(last - first).days + 1, month_days=month_days, fee=fee, quality_share_pct=share,
                        penalty_cap_pct=cap, bands=bands, ref=(first.isoformat(), last.isoformat()))
        for first, last, (fee, share, cap, bands) in parts
    ]


def segment_for(segments: list[calc.FeeSegment], moment: dt.datetime, zone) -> calc.FeeSegment:
    """The part a moment (e.g. an act's confirmation) falls in; before the first: the first, after
    the last: the last."""
    day = timezone.localtime(moment, zone).date().isoformat()
    for segment in segments:
        if day <= segment.ref[1]:
            return segment
    return segments[-1]
