"""The invoice's arithmetic: pure functions over `Decimal`, no ORM, no clock.

Rules (DESIGN.md, "Quality-linked pay"):

- **Fee**: the contract's monthly fee, one line.
- **Quality adjustment**: the mean of the period's client ratings (deemed acceptances carry no
  rating and do not count) is rounded half-up to 0.01 — the number the invoice shows is the number
  the band is chosen by — and picks the band with the highest `min_rating` not above it. The band's
  `adjustment_pct` applies to the quality-linked share (fee × quality_share_pct / 100). No rating in
  the period, or a mean below every band: no quality line. A contract with no bands of its own uses
  `DEFAULT_BANDS` (≥ 4.5 → +5 %, ≥ 3.0 → 0 %, ≥ 1.0 → −10 %).
- **Penalties**: one negative line per breach not waived, for its full penalty. When they add up
  to more than the cap (fee × penalty_cap_pct / 100), a separate positive **penalty cap** line gives
  the excess back, so every breach line still shows what the breach costs and the cap is visible.
- **VAT** per line at the tenant's rate. Every amount and every line's VAT is rounded half-up to the
  kopeck (`ROUND_HALF_UP`, which takes halves away from zero, so a negative line rounds like its
  positive twin). The invoice's totals are the sums of its lines, so they reconcile exactly.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def money(value) -> Decimal:
    """Round half-up to the minor unit (every currency the platform invoices in has 2 decimals)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, pct: Decimal) -> Decimal:
    return money(Decimal(amount) * Decimal(pct) / HUNDRED)


@dataclass(frozen=True)
class Band:
    min_rating: Decimal
    adjustment_pct: Decimal


DEFAULT_BANDS: tuple[Band, ...] = (
    Band(Decimal("4.50"), Decimal("5.00")),
    Band(Decimal("3.00"), Decimal("0.00")),
    Band(Decimal("1.00"), Decimal("-10.00")),
)


def mean_rating(ratings: Iterable[int | None]) -> Decimal | None:
    """The mean of the given ratings, half-up to 0.01; None ignored; None when there are none."""
    values = [int(r) for r in ratings if r is not None]
    if not values:
        return None
    return money(Decimal(sum(values)) / Decimal(len(values)))


def select_band(mean: Decimal | None, bands: Sequence[Band]) -> Band | None:
    if mean is None:
        return None
    eligible = [b for b in bands if Decimal(b.min_rating) <= mean]
    return max(eligible, key=lambda b: Decimal(b.min_rating)) if eligible else None


@dataclass(frozen=True)
class CalcLine:
    kind: str
    amount: Decimal
    vat: Decimal
    ref: Hashable = None  # what the caller passed in for this line (e.g. a breach id)


@dataclass
class Computation:
    fee: Decimal
    quality_base: Decimal
    mean: Decimal | None
    band: Band | None
    cap: Decimal
    penalties_total: Decimal  # before the cap, as a positive sum
    lines: list[CalcLine] = field(default_factory=list)

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.vat

    @property
    def cap_hit(self) -> bool:
        return self.penalties_total > self.cap


def compute_invoice(
    *,
    fee: Decimal,
    quality_share_pct: Decimal,
    penalty_cap_pct: Decimal,
    vat_rate: Decimal,
    ratings: Iterable[int | None] = (),
    penalties: Iterable[tuple[Hashable, Decimal]] = (),
    bands: Sequence[Band] | None = None,
) -> Computation:
    """The invoice's lines, in order: fee, quality adjustment, penalties, penalty cap."""

    def line(kind: str, amount: Decimal, ref: Hashable = None) -> CalcLine:
        amount = money(amount)
        return CalcLine(kind=kind, amount=amount, vat=percent_of(amount, vat_rate), ref=ref)

    fee = money(fee)
    bands = DEFAULT_BANDS if not bands else tuple(bands)
    quality_base = percent_of(fee, quality_share_pct)
    mean = mean_rating(ratings)
    band = select_band(mean, bands)
    cap = percent_of(fee, penalty_cap_pct)
    result = Computation(fee=fee, quality_base=quality_base, mean=mean, band=band, cap=cap, penalties_total=ZERO)

    result.lines.append(line("fee", fee))
    if band is not None:
        result.lines.append(line("quality", percent_of(quality_base, band.adjustment_pct)))
    charged = [(ref, money(p)) for ref, p in penalties if money(p) > ZERO]
    for ref, penalty in charged:
        result.lines.append(line("penalty", -penalty, ref))
    result.penalties_total = sum((p for _ref, p in charged), ZERO)
    if result.penalties_total > cap:
        result.lines.append(line("penalty_cap", result.penalties_total - cap))
    return result


def credit_note_vat(*, amount: Decimal, vat_rate: Decimal, remaining_amount: Decimal, remaining_vat: Decimal) -> Decimal:
    """VAT of a credit note: its own, except that crediting everything left takes exactly the VAT left
    (per-line rounding on the invoice can differ from rounding the sum by a kopeck)."""
    amount = money(amount)
    if amount == money(remaining_amount):
        return money(remaining_vat)
    return percent_of(amount, vat_rate)
