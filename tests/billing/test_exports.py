"""What the exports add up to: credit notes in the invoice exports (CSV, XLSX, PDF), and an
adjustments register whose amount column sums to the adjustments, however much evidence each has."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from billing import pdf, services
from billing.models import ADJUSTMENT_KINDS, InvoiceLine
from billing.selectors import invoice_get
from tests.support import reload

from .support import INVOICES, PERIOD, accepted_act, billed_contract, breach, build

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def accountant_api(world_a, api_as):
    return api_as(world_a, world_a.accountant)


def issued(world, invoice):
    with world.context(user=world.accountant):
        return services.invoice_issue(invoice=invoice, actor=world.accountant)


def credit(world, invoice, amount: str, reason: str = "downtime"):
    with world.context(user=world.accountant):
        return services.credit_note_create(invoice=invoice, amount=D(amount), reason=reason, actor=world.accountant)


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def money(value) -> Decimal:
    return D(str(value)) if value not in ("", None) else D("0")


def test_a_fully_credited_invoice_exports_with_its_credit_notes_and_nothing_outstanding(world_a, accountant_api):
    contract = billed_contract(world_a, fee="1000.00")
    invoice = issued(world_a, build(world_a, contract))
    first = credit(world_a, invoice, "100.00")
    rest = credit(world_a, invoice, "900.00", reason="cancelled")
    rows = csv_rows(accountant_api.get(f"{INVOICES}{invoice.pk}/export/?format=csv"))
    assert [(r["kind"], r["credit_note"], r["line_total"]) for r in rows] == [
        ("fee", "", "1220.00"), ("credit_note", first.number, "-122.00"), ("credit_note", rest.number, "-1098.00")]
    assert "cancelled" in rows[2]["description"]
    # the columns add up: what was invoiced less what was credited is what is left, here nothing
    assert sum(money(r["line_total"]) for r in rows) == D("0.00")
    assert sum(money(r["amount"]) for r in rows) == sum(money(r["vat"]) for r in rows) == D("0.00")
    assert {(r["invoice_total"], r["invoice_credited"], r["invoice_outstanding"]) for r in rows} == {
        ("1220.00", "1220.00", "0.00")}


def test_the_period_workbook_sums_per_invoice_to_what_is_left_after_credit_notes(world_a, accountant_api):
    credited = issued(world_a, build(world_a, billed_contract(world_a, fee="1000.00")))
    note = credit(world_a, credited, "250.00")
    contract = billed_contract(world_a)
    accepted_act(world_a, contract, rating=5)
    breach(world_a, contract, penalty="1500.00")
    draft = build(world_a, contract)
    response = accountant_api.get(f"/api/v1/invoices/export/?period={PERIOD}&format=xlsx")
    assert response.status_code == 200
    header, *body = list(load_workbook(io.BytesIO(response.content)).active.values)
    rows = [dict(zip(header, values, strict=True)) for values in body]
    by_invoice = defaultdict(list)
    for row in rows:
        by_invoice[row["invoice"]].append(row)
    credited, draft = reload(world_a, credited), reload(world_a, draft)
    assert set(by_invoice) == {credited.number, f"draft #{draft.pk}"}
    for invoice, expected_credit in ((credited, note.total), (draft, D("0.00"))):
        invoice_rows = by_invoice[invoice.number or f"draft #{invoice.pk}"]
        total = sum(money(r["line_total"]) for r in invoice_rows)
        assert total == invoice.total - expected_credit
        assert {money(r["invoice_outstanding"]) for r in invoice_rows} == {total}
        assert {money(r["invoice_credited"]) for r in invoice_rows} == {expected_credit}
    assert [r["kind"] for r in by_invoice[credited.number]] == ["fee", "credit_note"]


def test_the_pdf_lists_the_credit_notes_and_what_is_left_to_pay(world_a, accountant_api):
    invoice = issued(world_a, build(world_a, billed_contract(world_a, fee="1000.00")))
    note = credit(world_a, invoice, "100.00", reason="two days of downtime")
    with world_a.context():
        loaded = invoice_get(invoice_id=invoice.pk)
        english = pdf.invoices_html([loaded], language="en")
        russian = pdf.invoices_html([loaded], language="ru")
    for html, outstanding, thousands in ((english, "Outstanding", "1,098.00"), (russian, "Осталось к оплате", "1\u00a0098,00")):
        assert note.number in html and "two days of downtime" in html
        assert "−122" in html and outstanding in html and thousands in html
    response = accountant_api.get(f"{INVOICES}{invoice.pk}/export/?format=pdf&lang=en")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_the_register_gives_each_adjustment_once_so_its_amount_column_sums_to_the_adjustments(world_a, accountant_api):
    contract = billed_contract(world_a, fee="10000.00", cap="15.00")
    for rating in (5, 5, 5, 4, 5):  # one quality line backed by five ratings
        accepted_act(world_a, contract, rating=rating)
    for penalty in ("1000.00", "800.00"):  # two penalty lines, over the 1 500.00 cap: a cap line too
        breach(world_a, contract, penalty=penalty)
    invoice = build(world_a, contract)
    with world_a.context():
        adjustments = list(InvoiceLine.objects.filter(invoice=invoice, kind__in=ADJUSTMENT_KINDS).order_by("position"))
    assert [line.kind for line in adjustments] == ["quality", "penalty", "penalty", "penalty_cap"]

    rows = csv_rows(accountant_api.get(f"/api/v1/invoices/export/?period={PERIOD}&format=csv&report=adjustments"))
    assert len(rows) == 5 + 1 + 1 + 2  # one row per piece of evidence
    assert sum(money(r["amount"]) for r in rows) == sum(line.amount for line in adjustments)
    assert sum(money(r["vat"]) for r in rows) == sum(line.vat for line in adjustments)
    for line in adjustments:
        line_rows = [r for r in rows if r["line"] == str(line.position)]
        assert [r["amount"] for r in line_rows] == [f"{line.amount}"] + [""] * (len(line_rows) - 1)
    quality = [r for r in rows if r["kind"] == "quality"]
    assert [r["evidence"] for r in quality] == ["confirmation"] * 5
    assert sorted(r["rating"] for r in quality) == ["4", "5", "5", "5", "5"]
    cap = [r for r in rows if r["kind"] == "penalty_cap"]
    assert sum(money(r["penalty"]) for r in cap) == D("1800.00")

    response = accountant_api.get(f"/api/v1/invoices/export/?period={PERIOD}&format=xlsx&report=adjustments")
    header, *body = list(load_workbook(io.BytesIO(response.content)).active.values)
    amounts = [values[header.index("amount")] for values in body]
    assert sum(money(value) for value in amounts) == sum(line.amount for line in adjustments)
