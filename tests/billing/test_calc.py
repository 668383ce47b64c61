"""The invoice arithmetic on its own: bands, cap, VAT, half-up rounding, totals that reconcile."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.calc import (
    DEFAULT_BANDS,
    Band,
    compute_invoice,
    credit_note_vat,
    mean_rating,
    money,
    select_band,
)

D = Decimal
BANDS = [Band(D("4.5"), D("5")), Band(D("3.0"), D("0")), Band(D("1.0"), D("-10"))]


def test_money_rounds_half_up_not_to_even():
    assert money(D("100.025")) == D("100.03")
    assert money(D("0.125")) == D("0.13")
    assert money(D("-0.025")) == D("-0.03")  # halves go away from zero on both sides
    assert money(D("2.344999")) == D("2.34")


def test_mean_rating_ignores_missing_ratings_and_none_means_no_mean():
    assert mean_rating([5, None, 4]) == D("4.50")
    assert mean_rating([None, None]) is None
    assert mean_rating([5, 4, 4]) == D("4.33")


def test_the_band_is_the_highest_threshold_not_above_the_mean():
    assert select_band(D("4.50"), BANDS).adjustment_pct == D("5")
    assert select_band(D("4.49"), BANDS).adjustment_pct == D("0")
    assert select_band(D("3.00"), BANDS).adjustment_pct == D("0")
    assert select_band(D("2.99"), BANDS).adjustment_pct == D("-10")
    assert select_band(None, BANDS) is None
    assert select_band(D("2.00"), [Band(D("3"), D("1"))]) is None


def test_a_contract_without_bands_gets_the_default_table():
    result = compute_invoice(fee=D("1000"), quality_share_pct=D("50"), penalty_cap_pct=D("10"), vat_rate=D("0"),
                             ratings=[2], bands=[])
    assert [b.adjustment_pct for b in DEFAULT_BANDS] == [D("5.00"), D("0.00"), D("-10.00")]
    assert [(line.kind, line.amount) for line in result.lines] == [("fee", D("1000.00")), ("quality", D("-50.00"))]


def test_penalties_over_the_cap_get_a_cap_line_giving_back_the_excess():
    result = compute_invoice(fee=D("100000"), quality_share_pct=D("0"), penalty_cap_pct=D("15"), vat_rate=D("22"),
                             penalties=[(1, D("10000")), (2, D("8000"))])
    assert [(line.kind, line.amount, line.vat) for line in result.lines] == [
        ("fee", D("100000.00"), D("22000.00")),
        ("penalty", D("-10000.00"), D("-2200.00")),
        ("penalty", D("-8000.00"), D("-1760.00")),
        ("penalty_cap", D("3000.00"), D("660.00")),
    ]
    assert result.cap_hit and result.subtotal == D("85000.00") and result.total == D("103700.00")


def test_a_credit_of_everything_left_takes_exactly_the_vat_left():
    assert credit_note_vat(amount=D("100.01"), vat_rate=D("22"), remaining_amount=D("100.01"),
                           remaining_vat=D("22.01")) == D("22.01")
    assert credit_note_vat(amount=D("50"), vat_rate=D("22"), remaining_amount=D("100.01"),
                           remaining_vat=D("22.01")) == D("11.00")


amounts = st.decimals(min_value=D("0"), max_value=D("9999999.99"), places=2, allow_nan=False, allow_infinity=False)
percents = st.decimals(min_value=D("0"), max_value=D("100"), places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(
    fee=amounts, share=percents, cap=percents,
    vat=st.sampled_from([D("22.00"), D("10.00"), D("0.00")]),
    ratings=st.lists(st.one_of(st.none(), st.integers(min_value=1, max_value=5)), max_size=12),
    penalties=st.lists(st.decimals(min_value=D("0"), max_value=D("500000"), places=2, allow_nan=False,
                                   allow_infinity=False), max_size=8),
)
def test_totals_always_reconcile_to_the_kopeck(fee, share, cap, vat, ratings, penalties):
    result = compute_invoice(fee=fee, quality_share_pct=share, penalty_cap_pct=cap, vat_rate=vat,
                             ratings=ratings, penalties=list(enumerate(penalties)), bands=BANDS)
    for line in result.lines:
        assert line.amount == money(line.amount) and line.vat == money(line.vat)
        assert line.vat == money(line.amount * vat / 100)
    assert result.subtotal == sum(line.amount for line in result.lines)
    assert result.vat == sum(line.vat for line in result.lines)
    assert result.total == result.subtotal + result.vat
    net_penalties = -sum((line.amount for line in result.lines if line.kind in ("penalty", "penalty_cap")), D("0"))
    assert net_penalties == min(result.penalties_total, result.cap)  # never more than the cap
