"""Invoices read the terms in force in their period (contract versions): a year simulated with time
travel, a month split by an amendment, the first and final partial months, the automatic final
invoice, the invoiced-period guard and the rating_bands section of a version.

Every amount is computed here by hand with Decimal (half-up to the kopeck once per line), not with
billing.calc; every date is built from the frozen clock."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from billing import services, terms
from billing.models import Invoice, RatingBand
from billing.pdf import invoices_html
from billing.selectors import invoice_detail_list
from billing.tasks import build_due_invoices
from contracts.models import Contract, ContractState
from contracts.versions import effective_date_problems, sections, version_write
from tenancy.errors import DomainError
from tests.clock import add_months, local_today, month_of

from .support import accepted_act, billed_contract, breach, build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are compared in English (the site's default language is Russian)."""
    with translation.override("en"):
        yield

D = Decimal
BANDS_A = [("4.50", "5.00"), ("3.00", "0.00"), ("1.00", "-10.00")]
BANDS_B = [("4.00", "10.00"), ("1.00", "-20.00")]


def kop(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def days_in(first: dt.date) -> int:
    return calendar.monthrange(first.year, first.month)[1]


def rows(bands) -> list[dict]:
    return [{"min_rating": m, "adjustment_pct": p} for m, p in bands]


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def invoice_day(world, first: dt.date) -> dt.datetime:
    """00:30 on `first` in the tenant's zone: the invoice day has begun there."""
    return dt.datetime.combine(first, dt.time(0, 30), tzinfo=zoneinfo.ZoneInfo(world.tenant.time_zone))


def versioned_contract(world, *, start: dt.date, fee="100000.00", share="20.00", cap="15.00", bands=None, **fields):
    """An active contract whose version 1 is in force from its start date."""
    contract = billed_contract(world, start_date=start, fee=fee, share=share, cap=cap, bands=bands, invoice_day=1,
                               **fields)
    with world.context():
        version_write(contract=Contract.objects.get(pk=contract.pk), effective_from=start)
    return contract


def amend(world, contract, effective_from: dt.date, *, bands=None, **fields) -> None:
    """What an applied amendment does to billing's inputs: today's terms change and a version is
    written in force from `effective_from` — after the guards have no objection."""
    with world.context():
        current = Contract.objects.get(pk=contract.pk)
        assert effective_date_problems(current, effective_from) == []
        Contract.objects.filter(pk=contract.pk).update(**fields)
        current = Contract.objects.get(pk=contract.pk)
        if bands is not None:
            sections()["rating_bands"].apply(current, rows(bands), None)
        version_write(contract=current, effective_from=effective_from)


def lines(world, contract, first: dt.date) -> list[tuple[str, Decimal]]:
    with world.context():
        invoice = Invoice.objects.get(contract=contract, period_start=first)
        return [(line.kind, line.amount) for line in invoice.lines.order_by("position")]


def issue(world, contract, first: dt.date) -> Invoice:
    with world.context(user=world.accountant):
        invoice = Invoice.objects.get(contract=contract, period_start=first)
        return services.invoice_issue(invoice=invoice, actor=world.accountant)


def a_31_day_month(first: dt.date, last: dt.date) -> dt.date:
    month = first
    while days_in(month) != 31:
        month = add_months(month, 1)
    assert month <= last  # among any three consecutive months one has 31 days
    return month


def test_a_year_of_invoices_follows_each_months_terms(world_a):
    today = local_today(world_a.tenant)
    month = [add_months(today, k - 13) for k in range(14)]  # month[13] is this month
    start = month[0] + dt.timedelta(days=9)  # the contract starts on the 10th
    split = a_31_day_month(month[5], month[7])
    k_split = month.index(split)
    end = month[11] + dt.timedelta(days=19)  # and is terminated on the 20th of month 11
    contract = versioned_contract(world_a, start=start, bands=BANDS_A)
    earlier = versioned_contract(world_a, start=month[0])  # terminated on the 10th of month 8

    for k in range(1, 14):
        # during month k-1: what happens in it
        with time_machine.travel(at_noon(month[k - 1] + dt.timedelta(days=9)), tick=False):
            if k - 1 == 3:  # in "March": an amendment from "April" raises the fee and changes the bands
                amend(world_a, contract, month[4], bands=BANDS_B, monthly_fee=D("120000.00"))
            if k - 1 == k_split:  # an amendment from the 15th lowers the fee and raises the quality share
                amend(world_a, contract, split + dt.timedelta(days=14), monthly_fee=D("90000.00"),
                      quality_share_pct=D("30.00"))
                breach(world_a, contract, penalty="50000.00", breached_at=at_noon(split + dt.timedelta(days=19)))
            if k - 1 in (3, 4, k_split):
                accepted_act(world_a, contract, rating=5, confirmed_at=at_noon(month[k - 1] + dt.timedelta(days=19)))
            if k - 1 == 8:
                with world_a.context():
                    Contract.objects.filter(pk=earlier.pk).update(state=ContractState.TERMINATED,
                                                                  end_date=month[8] + dt.timedelta(days=9))
            if k - 1 == 11:
                with world_a.context():
                    Contract.objects.filter(pk=contract.pk).update(state=ContractState.TERMINATED, end_date=end)
        # the invoice day of month k: the beat task builds month k-1, the accountant issues it
        with time_machine.travel(invoice_day(world_a, month[k]), tick=False):
            built = build_due_invoices(tenant_id=world_a.tenant.pk)
            assert built == int(k <= 12) + int(k <= 9), k  # the last ones: each contract's final month
            assert build_due_invoices(tenant_id=world_a.tenant.pk) == 0  # safe to run again
            if k <= 12:
                issue(world_a, contract, month[k - 1])

    first_days = days_in(month[0]) - 9
    assert lines(world_a, contract, month[0]) == [("fee", kop(D("100000") * first_days / days_in(month[0])))]
    assert lines(world_a, contract, month[1]) == [("fee", D("100000.00"))]
    # "March" keeps March's fee and bands (5 %+ of 20 % of 100 000) although "April" changed both
    assert lines(world_a, contract, month[3]) == [("fee", D("100000.00")), ("quality", D("1000.00"))]
    # "April": 120 000, and the new band 4.00 → +10 % of 20 % of 120 000
    assert lines(world_a, contract, month[4]) == [("fee", D("120000.00")), ("quality", D("2400.00"))]
    # the month split on the 15th: 14 and 17 of 31 days, each part with its own share; the cap is
    # 15 % of each part's fee
    fee_1, fee_2 = kop(D("120000") * 14 / 31), kop(D("90000") * 17 / 31)
    cap = kop(fee_1 * 15 / 100) + kop(fee_2 * 15 / 100)
    assert lines(world_a, contract, split) == [
        ("fee", fee_1), ("fee", fee_2),
        ("quality", kop(kop(fee_1 * 20 / 100) * 10 / 100)), ("quality", kop(kop(fee_2 * 30 / 100) * 10 / 100)),
        ("penalty", D("-50000.00")), ("penalty_cap", D("50000.00") - cap),
    ]
    assert fee_1 == D("54193.55") and fee_2 == D("49354.84")  # 120 000 × 14/31 and 90 000 × 17/31
    assert lines(world_a, contract, add_months(split, 1)) == [("fee", D("90000.00"))]
    # the final month, to the end date (20 days), built by the beat task on the invoice day
    assert lines(world_a, contract, month[11]) == [("fee", kop(D("90000") * 20 / days_in(month[11])))]
    with world_a.context():
        assert not Invoice.objects.filter(contract=contract, period_start=month[12]).exists()
        assert not Invoice.objects.filter(contract=earlier, period_start__gte=month[9]).exists()
    assert lines(world_a, earlier, month[7]) == [("fee", D("100000.00"))]
    assert lines(world_a, earlier, month[8]) == [("fee", kop(D("100000") * 10 / days_in(month[8])))]


def test_a_month_split_on_the_15th_shows_two_fee_lines_with_their_dates_in_english_and_russian(world_a):
    today = local_today(world_a.tenant)
    split = a_31_day_month(add_months(today, -4), add_months(today, -2))
    contract = versioned_contract(world_a, start=add_months(split, -3), fee="100000.00", bands=BANDS_A)
    amend(world_a, contract, split + dt.timedelta(days=14), monthly_fee=D("124000.00"), bands=BANDS_B)
    accepted_act(world_a, contract, rating=4, confirmed_at=at_noon(split + dt.timedelta(days=2)))
    invoice = build(world_a, contract, period=split)
    fee_1, fee_2 = kop(D("100000") * 14 / 31), kop(D("124000") * 17 / 31)
    # mean 4.00: band A → 3.00 (0 %), band B → 4.00 (+10 %)
    assert lines(world_a, contract, split) == [
        ("fee", fee_1), ("fee", fee_2), ("quality", D("0.00")), ("quality", kop(kop(fee_2 * 20 / 100) * 10 / 100)),
    ]
    assert (fee_1, fee_2) == (D("45161.29"), D("68000.00"))
    with world_a.context():
        fee_lines = list(invoice.lines.filter(kind="fee").order_by("position"))
        assert fee_lines[0].acts.count() == 1 and fee_lines[1].acts.count() == 0  # the act of the 3rd
        with translation.override("en"):
            texts = [line.describe() for line in fee_lines]
        documents = list(invoice_detail_list(contract_id=contract.pk))
        russian = invoices_html(documents, language="ru")
        english = invoices_html(documents, language="en")
    y = split.year
    assert texts == [
        f"Services under contract {contract.number} for 01.{split:%m}.{y}–14.{split:%m}.{y}: 14 of 31 days of the "
        f"monthly fee 100,000.00",
        f"Services under contract {contract.number} for 15.{split:%m}.{y}–31.{split:%m}.{y}: 17 of 31 days of the "
        f"monthly fee 124,000.00",
    ]
    assert f"за 01.{split:%m}.{y}–14.{split:%m}.{y}: 14 из 31 дня" in russian
    assert f"за 15.{split:%m}.{y}–31.{split:%m}.{y}: 17 из 31 дня" in russian
    assert f"Корректировка за качество за 15.{split:%m}.{y}–31.{split:%m}.{y}" in russian
    assert "17 of 31 days" in english

    accountant = Client()
    accountant.force_login(world_a.accountant)
    for language in ("en", "ru"):
        accountant.cookies["django_language"] = language
        page = accountant.get(f"/billing/invoices/{invoice.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        assert page.status_code == 200
        assert f"15.{split:%m}.{y}–31.{split:%m}.{y}" in page.content.decode()
    accountant.cookies["django_language"] = "en"  # the page's CSV speaks its reader's language: the plain dialect
    exported = list(csv.DictReader(io.StringIO(
        accountant.get(f"/billing/invoices/{invoice.pk}/export/csv/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode("utf-8-sig"))))
    assert [(r["kind"], r["amount"]) for r in exported][:2] == [("fee", str(fee_1)), ("fee", str(fee_2))]


def test_an_amendment_that_leaves_the_billing_terms_alone_keeps_one_exact_fee_line(world_a):
    today = local_today(world_a.tenant)
    first = add_months(today, -2)
    contract = versioned_contract(world_a, start=add_months(first, -1), fee="100000.00")
    amend(world_a, contract, first + dt.timedelta(days=14), acceptance_days=9)  # no billing term changed
    build(world_a, contract, period=first)
    assert lines(world_a, contract, first) == [("fee", D("100000.00"))]  # not two halves off by a kopeck


def test_a_contract_starting_mid_month_pays_its_days_and_one_ended_before_the_month_is_refused(world_a):
    today = local_today(world_a.tenant)
    first = add_months(today, -2)
    contract = versioned_contract(world_a, start=first + dt.timedelta(days=20), fee="99999.99")
    build(world_a, contract, period=first)
    days = days_in(first) - 20
    assert lines(world_a, contract, first) == [("fee", kop(D("99999.99") * days / days_in(first)))]
    ended = versioned_contract(world_a, start=add_months(first, -3))
    with world_a.context():
        Contract.objects.filter(pk=ended.pk).update(state=ContractState.TERMINATED, end_date=first - dt.timedelta(days=1))
    with pytest.raises(DomainError) as refused:
        build(world_a, ended, period=first)
    assert refused.value.field == "period"


def test_the_final_invoice_is_built_on_the_invoice_day_only_for_the_month_the_contract_ended_in(world_a, world_b):
    today = local_today(world_a.tenant)
    last_month, _end = month_of(add_months(today, -1))
    ended_then = versioned_contract(world_a, start=add_months(today, -6), fee="62000.00")
    ended_before = versioned_contract(world_a, start=add_months(today, -6))
    other_tenant = versioned_contract(world_b, start=add_months(today, -6), fee="62000.00")
    for world, contract, end in ((world_a, ended_then, last_month + dt.timedelta(days=4)),
                                 (world_a, ended_before, last_month - dt.timedelta(days=1)),
                                 (world_b, other_tenant, last_month + dt.timedelta(days=4))):
        with world.context():
            Contract.objects.filter(pk=contract.pk).update(state=ContractState.EXPIRED, end_date=end)
    with time_machine.travel(invoice_day(world_a, add_months(today, 0)) - dt.timedelta(hours=1), tick=False):
        assert build_due_invoices(tenant_id=world_a.tenant.pk) == 0  # not yet the invoice day
    with time_machine.travel(invoice_day(world_a, add_months(today, 0)), tick=False):
        assert build_due_invoices(tenant_id=world_a.tenant.pk) == 1
    assert lines(world_a, ended_then, last_month) == [("fee", kop(D("62000") * 5 / days_in(last_month)))]
    with world_a.context():
        assert list(Invoice.objects.values_list("contract_id", flat=True)) == [ended_then.pk]
    with world_b.context():
        assert not Invoice.objects.exists()  # the other tenant's contract waits for its own run


def test_the_guard_refuses_a_date_an_issued_invoice_covers_and_allows_a_drafts(world_a):
    today = local_today(world_a.tenant)
    issued_month, drafted_month = add_months(today, -3), add_months(today, -2)
    contract = versioned_contract(world_a, start=add_months(today, -5))
    build(world_a, contract, period=issued_month)
    number = issue(world_a, contract, issued_month).number
    build(world_a, contract, period=drafted_month)  # stays a draft
    issued_end = month_of(issued_month)[1]
    with world_a.context():
        current = Contract.objects.get(pk=contract.pk)
        inside = effective_date_problems(current, issued_month + dt.timedelta(days=9))
        before = effective_date_problems(current, add_months(issued_month, -1))
        assert inside == before == [
            f"This period is already invoiced ({number}); choose a date after {issued_end:%d.%m.%Y}."]
        assert effective_date_problems(current, drafted_month + dt.timedelta(days=9)) == []
        assert effective_date_problems(current, issued_end + dt.timedelta(days=1)) == []
    other = versioned_contract(world_a, start=add_months(today, -5))  # an issued invoice voided: no longer
    build(world_a, other, period=issued_month)
    voided = issue(world_a, other, issued_month)
    with world_a.context(user=world_a.accountant):
        services.invoice_void(invoice=voided, actor=world_a.accountant, note="wrong month")
    with world_a.context():
        assert effective_date_problems(Contract.objects.get(pk=other.pk), issued_month + dt.timedelta(days=9)) == []


# --- the rating_bands section -------------------------------------------------------------------

def test_the_rating_bands_section_snapshots_validates_applies_and_reads_back_its_text(world_a):
    contract = billed_contract(world_a, bands=[("3.00", "0"), ("4.50", "5")])
    section = sections()["rating_bands"]
    with world_a.context():
        assert section.snapshot(contract) == [{"min_rating": "4.50", "adjustment_pct": "5.00"},
                                              {"min_rating": "3.00", "adjustment_pct": "0.00"}]
        value = section.validate(contract, [{"min_rating": "1", "adjustment_pct": -10},
                                            {"min_rating": 4.5, "adjustment_pct": "7.5"}])
        assert value == [{"min_rating": "4.50", "adjustment_pct": "7.50"},
                         {"min_rating": "1.00", "adjustment_pct": "-10.00"}]
        assert section.to_text(value) == "4.50: +7.5\n1.00: -10"
        assert section.from_text(contract, section.to_text(value)) == value
        assert section.from_text(contract, "\n ≥ 4,5 : +7.5 %\n1: −10\n") == value
        section.apply(contract, value, None)
        assert sorted(RatingBand.objects.filter(contract=contract).values_list("min_rating", "adjustment_pct")) == [
            (D("1.00"), D("-10.00")), (D("4.50"), D("7.50"))]
        section.apply(contract, section.from_text(contract, ""), None)  # no lines: the default table
        assert not RatingBand.objects.filter(contract=contract).exists() and section.snapshot(contract) == []


@pytest.mark.parametrize(("value", "message"), [
    ([{"min_rating": "0.5", "adjustment_pct": "5"}], "Band 1: a band starts at a mean rating from 1 to 5."),
    ([{"min_rating": "4", "adjustment_pct": "5"}, {"min_rating": "4.00", "adjustment_pct": "1"}],
     "Band 2: another band already starts at 4.00."),
    ([{"min_rating": "4", "adjustment_pct": "101"}], "Band 1: the adjustment is between −100 % and 100 %."),
    ([{"min_rating": "4.555", "adjustment_pct": "1"}], "Band 1: a band starts at a mean rating from 1 to 5."),
    ([{"min_rating": "4", "adjustment_pct": True}], "Band 1: the adjustment is between −100 % and 100 %."),
    ([{"min_rating": str(1 + n / 10), "adjustment_pct": "1"} for n in range(11)], "at most 10 rating bands"),
    ({"min_rating": "4"}, "Rating bands are a list"),
])
def test_bad_rating_bands_are_refused_on_the_changes_field(world_a, value, message):
    contract = billed_contract(world_a, bands=[("4.00", "5")])
    with world_a.context(), pytest.raises(DomainError) as refused:
        sections()["rating_bands"].validate(contract, value)
    assert refused.value.field == "changes.rating_bands" and message in str(refused.value.messages)
    with world_a.context():
        assert RatingBand.objects.filter(contract=contract).count() == 1


@pytest.mark.parametrize(("text", "message"), [
    ("4.50: +5\nfive: +1", "Line 2: write a band as"),
    ("4.50 +5", "Line 1: write a band as"),
    ("4.50: +5\n\n4.5: -1", "Line 3: another band already starts at 4.50."),
    ("6: +5", "Line 1: a band starts at a mean rating from 1 to 5."),
])
def test_bad_rating_band_text_names_its_line(world_a, text, message):
    contract = billed_contract(world_a)
    with world_a.context(), pytest.raises(DomainError) as refused:
        sections()["rating_bands"].from_text(contract, text)
    assert refused.value.field == "changes.rating_bands" and message in str(refused.value.messages)


def test_a_version_without_a_bands_section_uses_the_contracts_bands_and_an_empty_one_the_defaults(world_a):
    contract = billed_contract(world_a, bands=[("4.00", "8")])
    plain = billed_contract(world_a)
    with world_a.context():
        assert terms.bands_in_force(_Terms({}), contract) == (terms.calc.Band(D("4.00"), D("8.00")),)
        assert terms.bands_in_force(_Terms({"rating_bands": []}), contract) == terms.calc.DEFAULT_BANDS
        assert terms.bands_in_force(_Terms({"rating_bands": []}), plain) == terms.calc.DEFAULT_BANDS
        assert terms.bands_in_force(_Terms({"rating_bands": [{"min_rating": "2.00", "adjustment_pct": "1.00"}]}),
                                    contract) == (terms.calc.Band(D("2.00"), D("1.00")),)


class _Terms:
    def __init__(self, sections):
        self.sections = sections


def test_a_draft_an_amendment_reaches_back_into_is_recomputed_before_it_can_be_issued(world_a):
    today = local_today(world_a.tenant)
    first = add_months(today, -1)
    contract = versioned_contract(world_a, start=add_months(first, -2), fee="100000.00")
    build(world_a, contract, period=first)
    amend(world_a, contract, first + dt.timedelta(days=10), monthly_fee=D("130000.00"))  # the draft is now stale

    with pytest.raises(services.TransitionRefused, match="recomputed"):
        issue(world_a, contract, first)
    days = days_in(first)
    expected = [("fee", kop(D("100000") * 10 / days)), ("fee", kop(D("130000") * (days - 10) / days))]
    assert [line for line in lines(world_a, contract, first) if line[0] == "fee"] == expected
    with world_a.context():
        assert Invoice.objects.get(contract=contract, period_start=first).state == "draft"

    assert issue(world_a, contract, first).state == "issued"  # checked, then issued with the fresh figures
