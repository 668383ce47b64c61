"""Building an invoice from the period's evidence: golden invoices computed by hand."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine

from billing import services
from billing.models import Invoice, InvoiceEvent, InvoiceLine
from tenancy.errors import ActionForbidden, DomainError
from tests.clock import add_months, local_today, month_of

from .support import accepted_act, at, billed_contract, breach, build, lines_of, set_vat

D = Decimal
BANDS = [("4.5", "5"), ("3.0", "0"), ("1.0", "-10")]
pytestmark = pytest.mark.django_db


def test_a_good_month_earns_the_bonus_band(world_a):
    contract = billed_contract(world_a, bands=BANDS)
    for rating in (5, 5, 4):  # mean 4.67 → +5 % of the quality-linked share 20 000.00
        accepted_act(world_a, contract, rating=rating)
    invoice = build(world_a, contract)
    assert lines_of(world_a, invoice) == [
        ("fee", D("100000.00"), D("22000.00")),
        ("quality", D("1000.00"), D("220.00")),
    ]
    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (D("101000.00"), D("22220.00"), D("123220.00"))
    assert invoice.mean_rating == D("4.67") and invoice.rating_count == 3
    assert (invoice.period_start.isoformat(), invoice.period_end.isoformat()) == ("2026-10-01", "2026-10-31")


def test_a_middling_month_keeps_the_share_and_pays_penalties_under_the_cap(world_a):
    contract = billed_contract(world_a, bands=BANDS)
    accepted_act(world_a, contract, rating=3)
    accepted_act(world_a, contract, rating=4)  # mean 3.50 → 0 %
    first, second = breach(world_a, contract, penalty="1000.00"), breach(world_a, contract, penalty="1000.00")
    invoice = build(world_a, contract)
    assert lines_of(world_a, invoice) == [
        ("fee", D("100000.00"), D("22000.00")),
        ("quality", D("0.00"), D("0.00")),
        ("penalty", D("-1000.00"), D("-220.00")),
        ("penalty", D("-1000.00"), D("-220.00")),
    ]
    assert invoice.total == D("119560.00")
    with world_a.context():
        penalty_lines = invoice.lines.filter(kind="penalty").order_by("position")
        assert [line.breach_id for line in penalty_lines] == [first.pk, second.pk]
        assert [list(line.breaches.all()) for line in penalty_lines] == [[first], [second]]


@pytest.mark.parametrize(("vat", "expected"), [
    ("22.00", [("fee", "100000.00", "22000.00"), ("quality", "-2000.00", "-440.00"),
               ("penalty", "-10000.00", "-2200.00"), ("penalty", "-8000.00", "-1760.00"),
               ("penalty_cap", "3000.00", "660.00")]),
    ("10.00", [("fee", "100000.00", "10000.00"), ("quality", "-2000.00", "-200.00"),
               ("penalty", "-10000.00", "-1000.00"), ("penalty", "-8000.00", "-800.00"),
               ("penalty_cap", "3000.00", "300.00")]),
])
def test_a_bad_month_loses_ten_percent_and_its_penalties_stop_at_the_cap(world_a, vat, expected):
    set_vat(world_a, vat)
    contract = billed_contract(world_a, bands=BANDS)
    accepted_act(world_a, contract, rating=2)
    accepted_act(world_a, contract, rating=3)  # mean 2.50 → −10 % of 20 000.00
    breaches = [breach(world_a, contract, penalty="10000.00"), breach(world_a, contract, penalty="8000.00")]
    invoice = build(world_a, contract)
    assert lines_of(world_a, invoice) == [(k, D(a), D(v)) for k, a, v in expected]
    assert invoice.subtotal == D("83000.00")
    assert invoice.total == {"22.00": D("101260.00"), "10.00": D("91300.00")}[vat]
    assert invoice.vat_rate == D(vat)
    with world_a.context():
        cap_line = invoice.lines.get(kind="penalty_cap")
        assert set(cap_line.breaches.all()) == set(breaches)
        assert "15.00" in cap_line.description and "18,000.00" in cap_line.description


def test_each_line_is_rounded_half_up_and_the_lines_sum_to_the_totals(world_a):
    set_vat(world_a, "10.00")
    contract = billed_contract(world_a, fee="1000.25", share="0")
    breach(world_a, contract, penalty="0.25")
    invoice = build(world_a, contract)
    # 1000.25 × 10 % = 100.025 → 100.03 (half-up, not to even); −0.025 → −0.03
    assert lines_of(world_a, invoice) == [("fee", D("1000.25"), D("100.03")), ("penalty", D("-0.25"), D("-0.03"))]
    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (D("1000.00"), D("100.00"), D("1100.00"))


def test_odd_amounts_reconcile_to_the_kopeck(world_a):
    contract = billed_contract(world_a, fee="12345.67", share="12.50", bands=BANDS)
    accepted_act(world_a, contract, rating=5)
    breach(world_a, contract, penalty="333.33")
    invoice = build(world_a, contract)
    assert lines_of(world_a, invoice) == [
        ("fee", D("12345.67"), D("2716.05")),     # 2716.0474
        ("quality", D("77.16"), D("16.98")),      # 5 % of 1543.21 = 77.1605; VAT 16.9752
        ("penalty", D("-333.33"), D("-73.33")),   # cap 1851.85 not hit
    ]
    assert (invoice.subtotal, invoice.vat_amount, invoice.total) == (D("12089.50"), D("2659.70"), D("14749.20"))
    with world_a.context():
        lines = list(InvoiceLine.objects.filter(invoice=invoice))
    assert sum(line.amount for line in lines) == invoice.subtotal
    assert sum(line.vat for line in lines) == invoice.vat_amount


def test_deemed_acceptances_count_as_work_but_not_as_ratings(world_a):
    contract = billed_contract(world_a, bands=BANDS)
    rated_act, confirmation = accepted_act(world_a, contract, rating=5)
    deemed_act, _deemed = accepted_act(world_a, contract, deemed=True)
    invoice = build(world_a, contract)
    assert invoice.mean_rating == D("5.00") and invoice.rating_count == 1
    with world_a.context():
        fee, quality = invoice.lines.order_by("position")
        assert set(fee.acts.all()) == {rated_act, deemed_act}
        assert list(quality.acts.all()) == [rated_act]
        assert list(quality.confirmations.all()) == [confirmation]


def test_no_rating_in_the_period_means_no_quality_line(world_a):
    contract = billed_contract(world_a, bands=BANDS)
    accepted_act(world_a, contract, deemed=True)
    invoice = build(world_a, contract)
    assert [kind for kind, *_ in lines_of(world_a, invoice)] == ["fee"]
    assert invoice.mean_rating is None


def test_a_contract_without_bands_uses_the_default_table(world_a):
    contract = billed_contract(world_a)
    accepted_act(world_a, contract, rating=1)
    invoice = build(world_a, contract)
    assert lines_of(world_a, invoice)[1] == ("quality", D("-2000.00"), D("-440.00"))


def test_only_the_periods_evidence_counts_in_the_tenants_time_zone(world_a):
    contract = billed_contract(world_a, bands=BANDS)
    accepted_act(world_a, contract, rating=1, confirmed_at=at(31, 22))  # 1 November 01:00 in Moscow
    accepted_act(world_a, contract, rating=5, confirmed_at=at(30, 21, month=9))  # 1 October 00:00 in Moscow
    breach(world_a, contract, breached_at=at(31, 21))  # 1 November 00:00 in Moscow
    waived = breach(world_a, contract)
    with world_a.context():
        waived.waived_at, waived.waived_reason = at(12), "client's own outage"
        waived.save()
    accepted_act(world_a, contract, rating=1, state="disputed")  # not accepted
    invoice = build(world_a, contract)
    assert [kind for kind, *_ in lines_of(world_a, invoice)] == ["fee", "quality"]
    assert invoice.mean_rating == D("5.00")


def test_building_again_is_idempotent_and_a_draft_follows_new_evidence(world_a):
    contract = billed_contract(world_a, bands=BANDS)
    first = build(world_a, contract)
    assert first.was_created
    again = build(world_a, contract)
    assert again.pk == first.pk and not again.was_created
    accepted_act(world_a, contract, rating=5)
    rebuilt = build(world_a, contract)
    assert rebuilt.pk == first.pk and rebuilt.total == D("123220.00")
    with world_a.context():
        assert Invoice.objects.count() == 1
        assert list(InvoiceEvent.objects.filter(invoice=first).values_list("kind", flat=True)) == ["built", "rebuilt"]


def test_a_contract_not_yet_active_or_a_future_period_is_not_invoiced(world_a):
    from tests.contracts.api_support import ready_contract

    draft = ready_contract(world_a)
    with pytest.raises(DomainError):
        build(world_a, draft)
    contract = billed_contract(world_a)
    today = local_today(world_a.tenant)
    with pytest.raises(DomainError) as caught:
        build(world_a, contract, period=f"{add_months(today, 1):%Y-%m}")
    assert caught.value.field == "period"
    # the tenant's current month has started, even on its first night while UTC is still in the last
    assert build(world_a, contract, period=f"{today:%Y-%m}").period_start == today.replace(day=1)
    with pytest.raises(DomainError):
        build(world_a, contract, period="October")


def test_engineers_and_client_users_cannot_build(world_a):
    contract = billed_contract(world_a)
    for user in (world_a.engineer, world_a.client_admin):
        with pytest.raises(ActionForbidden), world_a.context(user=user):
            services.invoice_build(contract=contract, period="2026-10", actor=user)
    build(world_a, contract, actor=world_a.account_manager)


def test_a_breach_counts_in_the_month_its_deadline_fell_in_whenever_the_sweep_recorded_it(world_a):
    """A clock due on the last evening of a month ("30 November") whose breach the sweep recorded only
    on the 2nd of the next ("2 December") is charged on the first month's invoice, and its line says
    when the deadline passed; a clock due at 00:30 on the 1st in the tenant's zone (still the old
    month in UTC) belongs to the new month."""
    zone = zoneinfo.ZoneInfo(world_a.tenant.time_zone)
    today = local_today(world_a.tenant)
    november, december = add_months(today, -2), add_months(today, -1)  # both over by now
    contract = billed_contract(world_a, start_date=add_months(today, -12))
    due = dt.datetime.combine(month_of(november)[1], dt.time(22, 0), tzinfo=zone)
    recorded = dt.datetime.combine(december.replace(day=2), dt.time(9, 15), tzinfo=zone)
    late = breach(world_a, contract, penalty="700.00", due_at=due, breached_at=recorded)
    first_night = dt.datetime.combine(december, dt.time(0, 30), tzinfo=zone)
    early = breach(world_a, contract, penalty="300.00", due_at=first_night, breached_at=first_night)

    with time_machine.travel(recorded + dt.timedelta(hours=1), tick=False):  # the sweep has just caught up
        november_invoice = build(world_a, contract, period=f"{november:%Y-%m}")
        december_invoice = build(world_a, contract, period=f"{december:%Y-%m}")
    with world_a.context():
        penalties = {invoice.pk: list(invoice.lines.filter(kind="penalty"))
                     for invoice in (november_invoice, december_invoice)}
    assert [line.breach_id for line in penalties[november_invoice.pk]] == [late.pk]
    assert [line.breach_id for line in penalties[december_invoice.pk]] == [early.pk]
    line = penalties[november_invoice.pk][0]
    assert f"{due:%d.%m.%Y %H:%M}" in line.description and f"{recorded:%d.%m.%Y}" not in line.description
    assert f"{due:%d.%m.%Y %H:%M}" in line.describe()

    with world_a.context(user=world_a.accountant):  # waiving it rebuilds the deadline month's draft
        services.breach_waive(breach=late, reason="the client's own outage", actor=world_a.accountant)
    with world_a.context():
        assert not november_invoice.lines.filter(kind="penalty").exists()
        assert list(december_invoice.lines.filter(kind="penalty").values_list("breach_id", flat=True)) == [early.pk]
