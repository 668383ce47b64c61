"""The invoice's arithmetic: pure functions over `Decimal`, no ORM, no clock.

Rules (DESIGN.md, "Quality-linked pay"):

- **Fee, per period**: the month's days are cut where the contract's terms change (an amendment) and
  clipped to the contract's term; each part (`FeeSegment`) is charged its own monthly fee × its days /
  the month's days, rounded half-up once per line, one fee line per part. Adjacent parts whose billing
  terms are the same (fee, quality share, cap, bands — e.g. an amendment that changed only SLA
  targets) are merged by the caller, so a whole month under one fee is exactly the fee, never two
  rounded halves that drift by a kopeck. A first or last partial month (a contract starting or ending
  mid-month) is prorated the same way.
- **Quality adjustment**: the mean of the period's client ratings (deemed acceptances carry no
  rating and do not count) is rounded half-up to 0.01 — the number the invoice shows is the number
  the band is chosen by — and picks the band with the highest `min_rating` not above it. The band's
  `adjustment_pct` applies to the quality-linked share (fee × quality_share_pct / 100). No rating in
  the period, or a mean below every band: no quality line. A contract with no bands of its own uses
  `DEFAULT_BANDS` (≥ 4.5 → +5 %, ≥ 3.0 → 0 %, ≥ 1.0 → −10 %). With several parts, the month's one
  mean picks a band from each part's own bands, and each part has its own quality line on its own
  base (its prorated fee × its quality share): **one quality line per part**, never merged, so each
  line shows the terms it was computed by (identical parts are already one part, see above).
- **Penalties**: one negative line per breach not waived, for its full penalty. When they add up
  to more than the cap (Σ each part's prorated fee × its penalty_cap_pct / 100), a separate positive
  **penalty cap** line gives the excess back, so every breach line still shows what the breach costs and the cap is visible.
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
class FeeSegment:
    """`days` of a month of `month_days` days under one set of terms: the monthly fee, the quality
    share and the penalty cap in force then, and its rating bands (None or empty: `DEFAULT_BANDS`)."""

    days: int
    month_days: int
    fee: Decimal  # the monthly fee in force, not yet prorated
    quality_share_pct: Decimal
    penalty_cap_pct: Decimal
    bands: tuple[Band, ...] | None = None
    ref: Hashable = None  # the caller's tag for this part (e.g. its dates), handed back on its lines

    @property
    def whole(self) -> bool:
        return self.days == self.month_days

    @property
    def charged_fee(self) -> Decimal:
        """The monthly fee × days / month days, half-up once; exactly the fee for a whole month."""
        if self.whole:
            return money(self.fee)
        return money(Decimal(self.fee) * self.days / self.month_days)


@dataclass(frozen=True)
class SegmentResult:
    segment: FeeSegment
    fee: Decimal  # prorated
    quality_base: Decimal
    band: Band | None
    cap: Decimal


@dataclass(frozen=True)
class CalcLine:
    kind: str
    amount: Decimal
    vat: Decimal
    ref: Hashable = None  # what the caller passed in for this line (a breach id, a segment's ref)


@dataclass
class Computation:
    fee: Decimal
    quality_base: Decimal
    mean: Decimal | None
    band: Band | None  # the first part's band (the only one for a month under one set of terms)
    cap: Decimal
    penalties_total: Decimal  # before the cap, as a positive sum
    lines: list[CalcLine] = field(default_factory=list)
    segments: list[SegmentResult] = field(default_factory=list)

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
    vat_rate: Decimal,
    segments: Sequence[FeeSegment] | None = None,
    fee: Decimal | None = None,
    quality_share_pct: Decimal | None = None,
    penalty_cap_pct: Decimal | None = None,
    ratings: Iterable[int | None] = (),
    penalties: Iterable[tuple[Hashable, Decimal]] = (),
    bands: Sequence[Band] | None = None,
) -> Computation:
    """The invoice's lines, in order: a fee line per part, a quality line per part (when a band
    applies), penalties, penalty cap.

    Give `segments` (the month's parts), or `fee`, `quality_share_pct`, `penalty_cap_pct` and
    `bands` for one whole month under one set of terms."""

    def line(kind: str, amount: Decimal, ref: Hashable = None) -> CalcLine:
        amount = money(amount)
        return CalcLine(kind=kind, amount=amount, vat=percent_of(amount, vat_rate), ref=ref)

    if segments is None:
        segments = [FeeSegment(days=1, month_days=1, fee=Decimal(fee), quality_share_pct=Decimal(quality_share_pct),
                               penalty_cap_pct=Decimal(penalty_cap_pct), bands=tuple(bands or ()))]
    mean = mean_rating(ratings)
    parts = []
    for segment in segments:
        charged = segment.charged_fee
        part_bands = tuple(segment.bands) if segment.bands else DEFAULT_BANDS
        parts.append(SegmentResult(segment=segment, fee=charged,
                                   quality_base=percent_of(charged, segment.quality_share_pct),
                                   band=select_band(mean, part_bands),
                                   cap=percent_of(charged, segment.penalty_cap_pct)))
    result = Computation(
        fee=sum((p.fee for p in parts), ZERO), quality_base=sum((p.quality_base for p in parts), ZERO), mean=mean,
        band=parts[0].band if parts else None, cap=sum((p.cap for p in parts), ZERO), penalties_total=ZERO,
        segments=parts,
    )

    for part in parts:
        result.lines.append(line("fee", part.fee, part.segment.ref))
    for part in parts:
        if part.band is not None:
            result.lines.append(line("quality", percent_of(part.quality_base, part.band.adjustment_pct),
                                     part.segment.ref))
    charged_penalties = [(ref, money(p)) for ref, p in penalties if money(p) > ZERO]
    for ref, penalty in charged_penalties:
        result.lines.append(line("penalty", -penalty, ref))
    result.penalties_total = sum((p for _ref, p in charged_penalties), ZERO)
    if result.penalties_total > result.cap:
        result.lines.append(line("penalty_cap", result.penalties_total - result.cap))
    return result


def credit_note_vat(*, amount: Decimal, vat_rate: Decimal, remaining_amount: Decimal, remaining_vat: Decimal) -> Decimal:
    """VAT of a credit note: its own, except that crediting everything left takes exactly the VAT left
    (per-line rounding on the invoice can differ from rounding the sum by a kopeck)."""
    amount = money(amount)
    if amount == money(remaining_amount):
        return money(remaining_vat)
    return percent_of(amount, vat_rate)
