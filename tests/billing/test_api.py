"""The billing API: build, issue with gapless numbers, pay, void, immutability, credit notes, waivers,
exports, rating bands, client scoping and the tenant wall."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from billing.models import Invoice, InvoiceEvent
from contracts.models import Contract
from contracts.versions import terms_in_force
from sla.models import Breach
from tests.clock import local_today
from tests.contracts.api_support import assert_error, count_queries
from tests.support import reload

from .support import INVOICES, PERIOD, accepted_act, billed_contract, breach, build, session_as

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def accountant_api(world_a, api_as):
    return api_as(world_a, world_a.accountant)


def issue(api, invoice):
    return api.post(f"{INVOICES}{invoice.pk}/issue/", {}, format="json")


def test_the_accountant_builds_a_draft_and_building_again_answers_the_same_invoice(world_a, accountant_api):
    contract = billed_contract(world_a)
    accepted_act(world_a, contract, rating=5)
    first = accountant_api.post(INVOICES, {"contract": contract.pk, "period": PERIOD}, format="json")
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["state"] == "draft" and body["number"] == "" and body["total"] == "123220.00"
    fee, quality = body["lines"]
    assert quality["kind"] == "quality" and quality["confirmations"][0]["rating"] == 5
    assert quality["acts"][0]["number"].startswith("ACT-")
    again = accountant_api.post(INVOICES, {"contract": contract.pk, "period": PERIOD}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]


def test_issuing_numbers_invoices_without_gaps_per_tenant_and_year(world_a, world_b, accountant_api, api_as):
    invoices = [build(world_a, billed_contract(world_a)) for _ in range(3)]
    numbers = [issue(accountant_api, invoice).json()["number"] for invoice in invoices]
    year = local_today(world_a.tenant).year  # the year of issue in the tenant's time zone
    assert numbers == [f"INV-{year}-000001", f"INV-{year}-000002", f"INV-{year}-000003"]
    other = build(world_b, billed_contract(world_b))
    assert issue(api_as(world_b, world_b.accountant), other).json()["number"] == f"INV-{year}-000001"
    assert_error(issue(accountant_api, invoices[0]), 409, code="transition_not_allowed")
    with world_a.context():
        event = InvoiceEvent.objects.filter(invoice=invoices[0], kind="transition").get()
    assert (event.from_state, event.to_state, event.actor_id) == ("draft", "issued", world_a.accountant.pk)


def test_an_issued_invoice_never_changes(world_a, accountant_api):
    invoice = build(world_a, billed_contract(world_a))
    assert accountant_api.patch(f"{INVOICES}{invoice.pk}/", {"notes": "draft note"}, format="json").status_code == 200
    issue(accountant_api, invoice)
    assert_error(accountant_api.patch(f"{INVOICES}{invoice.pk}/", {"notes": "changed"}, format="json"), 409)
    assert_error(accountant_api.post(f"{INVOICES}{invoice.pk}/rebuild/", format="json"), 409)
    accepted_act(world_a, invoice.contract, rating=1)
    rebuilt = build(world_a, invoice.contract)  # the task running again leaves it alone
    assert rebuilt.total == D("122000.00") and reload(world_a, invoice).notes == "draft note"


def test_pay_and_void_follow_the_state_machine(world_a, accountant_api):
    paid = build(world_a, billed_contract(world_a))
    assert_error(accountant_api.post(f"{INVOICES}{paid.pk}/pay/", {}, format="json"), 409)
    issue(accountant_api, paid)
    assert accountant_api.post(f"{INVOICES}{paid.pk}/pay/", {}, format="json").json()["state"] == "paid"
    voided = build(world_a, billed_contract(world_a))
    assert_error(accountant_api.post(f"{INVOICES}{voided.pk}/void/", {}, format="json"), 400, field="note")
    response = accountant_api.post(f"{INVOICES}{voided.pk}/void/", {"note": "duplicate"}, format="json")
    assert response.json()["state"] == "void"


def test_only_accountants_and_administrators_issue_but_account_managers_build(world_a, api_as):
    contract = billed_contract(world_a)
    manager = api_as(world_a, world_a.account_manager)
    response = manager.post(INVOICES, {"contract": contract.pk, "period": PERIOD}, format="json")
    assert response.status_code == 201
    invoice_id = response.json()["id"]
    assert_error(manager.post(f"{INVOICES}{invoice_id}/issue/", {}, format="json"), 403)
    engineer = api_as(world_a, world_a.engineer)
    assert_error(engineer.get(INVOICES), 403)
    assert api_as(world_a, world_a.admin).post(f"{INVOICES}{invoice_id}/issue/", {}, format="json").status_code == 200


def test_a_credit_note_corrects_an_issued_invoice_up_to_what_is_left(world_a, accountant_api):
    invoice = build(world_a, billed_contract(world_a, fee="1000.00"))
    body = {"invoice": invoice.pk, "amount": "100.00", "reason": "downtime"}
    assert_error(accountant_api.post("/api/v1/credit-notes/", body, format="json"), 409)
    issue(accountant_api, invoice)
    first = accountant_api.post("/api/v1/credit-notes/", body, format="json")
    assert first.status_code == 201, first.content
    year = local_today(world_a.tenant).year
    assert (first.json()["number"], first.json()["vat"], first.json()["total"]) == (f"CN-{year}-000001", "22.00", "122.00")
    too_much = {"invoice": invoice.pk, "amount": "900.01", "reason": "more"}
    assert_error(accountant_api.post("/api/v1/credit-notes/", too_much, format="json"), 400, field="amount")
    rest = accountant_api.post("/api/v1/credit-notes/", {**too_much, "amount": "900.00"}, format="json")
    assert rest.status_code == 201 and rest.json()["total"] == "1098.00"
    detail = accountant_api.get(f"{INVOICES}{invoice.pk}/").json()
    assert detail["credited"] == detail["total"] == "1220.00"
    assert len(detail["credit_notes"]) == 2


def test_waiving_a_breach_rebuilds_the_draft_without_its_penalty(world_a, accountant_api):
    contract = billed_contract(world_a)
    waived, kept = breach(world_a, contract, penalty="5000.00"), breach(world_a, contract, penalty="1000.00")
    invoice = build(world_a, contract)
    assert invoice.subtotal == D("94000.00")
    url = f"{INVOICES}{invoice.pk}/waive-breach/"
    assert_error(accountant_api.post(url, {"breach": waived.pk, "reason": ""}, format="json"), 400, field="reason")
    response = accountant_api.post(url, {"breach": waived.pk, "reason": "client's power cut"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["subtotal"] == "99000.00"
    assert [line["breach"] for line in response.json()["lines"] if line["kind"] == "penalty"] == [kept.pk]
    with world_a.context():
        breach_row = Breach.objects.get(pk=waived.pk)
        assert breach_row.waived_at is not None and breach_row.waived_reason == "client's power cut"
    assert_error(accountant_api.post(url, {"breach": waived.pk, "reason": "again"}, format="json"), 400)
    issue(accountant_api, invoice)
    assert_error(accountant_api.post(url, {"breach": kept.pk, "reason": "late"}, format="json"), 409)


def test_exports_of_one_invoice_and_of_a_period(world_a, accountant_api):
    contract = billed_contract(world_a)
    accepted_act(world_a, contract, rating=5)
    breach(world_a, contract, penalty="1500.00")
    invoice = build(world_a, contract)
    csv_response = accountant_api.get(f"{INVOICES}{invoice.pk}/export/?format=csv")
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert [(r["kind"], r["amount"]) for r in rows] == [("fee", "100000.00"), ("quality", "1000.00"),
                                                        ("penalty", "-1500.00")]
    xlsx = accountant_api.get(f"/api/v1/invoices/export/?period={PERIOD}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][0] == "invoice" and len(values) == 4 and D(str(values[1][10])) == D("100000.00")
    register = accountant_api.get(f"/api/v1/invoices/export/?period={PERIOD}&format=csv&report=adjustments")
    register_rows = list(csv.DictReader(io.StringIO(register.content.decode("utf-8-sig"))))
    assert [(r["kind"], r["evidence"], r["amount"]) for r in register_rows] == [
        ("quality", "confirmation", "1000.00"), ("penalty", "breach", "-1500.00")]
    for url in (f"{INVOICES}{invoice.pk}/export/?format=pdf&lang=en", f"/api/v1/invoices/export/?period={PERIOD}&format=pdf"):
        pdf = accountant_api.get(url)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and pdf["Content-Type"] == "application/pdf"
    assert_error(accountant_api.get(f"{INVOICES}{invoice.pk}/export/?format=doc"), 400, field="format")


def test_client_users_see_only_their_clients_issued_invoices(world_a, accountant_api):
    from tests.factories import ClientFactory

    draft = build(world_a, billed_contract(world_a))
    issued = build(world_a, billed_contract(world_a))
    issue(accountant_api, issued)
    others = build(world_a, billed_contract(world_a, client=ClientFactory(tenant=world_a.tenant)))
    issue(accountant_api, others)
    client_api = session_as(world_a.client_viewer)
    assert [i["id"] for i in client_api.get(INVOICES).json()["results"]] == [issued.pk]
    assert client_api.get(f"{INVOICES}{draft.pk}/").status_code == 404
    assert client_api.get(f"{INVOICES}{others.pk}/").status_code == 404
    assert client_api.get(f"{INVOICES}{issued.pk}/export/?format=pdf").content.startswith(b"%PDF")
    assert client_api.get(f"{INVOICES}{others.pk}/export/?format=pdf").status_code == 404
    assert client_api.post(f"{INVOICES}{issued.pk}/pay/", {}, format="json").status_code == 403
    assert client_api.get(f"/api/v1/invoices/export/?period={PERIOD}&format=csv").status_code == 404
    assert client_api.get("/api/v1/credit-notes/").status_code == 403


def test_another_tenant_cannot_read_list_change_or_act_on_an_invoice(world_a, world_b, api_as):
    contract = billed_contract(world_a)
    invoice = build(world_a, contract)
    b_breach = breach(world_a, contract)
    api = api_as(world_b, world_b.accountant)
    assert api.get(INVOICES).json()["count"] == 0
    for response in (
        api.get(f"{INVOICES}{invoice.pk}/"),
        api.patch(f"{INVOICES}{invoice.pk}/", {"notes": "x"}, format="json"),
        api.post(f"{INVOICES}{invoice.pk}/issue/", {}, format="json"),
        api.post(f"{INVOICES}{invoice.pk}/waive-breach/", {"breach": b_breach.pk, "reason": "x"}, format="json"),
        api.get(f"{INVOICES}{invoice.pk}/export/?format=csv"),
        api.get(f"{INVOICES}{invoice.pk}/events/"),
    ):
        assert response.status_code == 404, response.content
    assert_error(api.post(INVOICES, {"contract": contract.pk, "period": PERIOD}, format="json"), 400, field="contract")
    assert_error(api.post("/api/v1/credit-notes/", {"invoice": invoice.pk, "amount": "1", "reason": "x"},
                          format="json"), 400, field="invoice")
    assert api.get(f"/api/v1/invoices/export/?period={PERIOD}&format=csv").content.count(b"\n") == 1
    with world_a.context():
        assert Invoice.objects.get(pk=invoice.pk).state == "draft"


def test_rating_bands_are_edited_by_account_managers_and_used_by_the_build(world_a, world_b, api_as):
    contract = billed_contract(world_a)
    manager = api_as(world_a, world_a.account_manager)
    created = manager.post("/api/v1/rating-bands/", {"contract": contract.pk, "min_rating": "4.00",
                                                      "adjustment_pct": "10.00"}, format="json")
    assert created.status_code == 201, created.content
    duplicate = manager.post("/api/v1/rating-bands/", {"contract": contract.pk, "min_rating": "4.00",
                                                        "adjustment_pct": "1.00"}, format="json")
    assert_error(duplicate, 400, field="min_rating")
    assert_error(api_as(world_a, world_a.accountant).post(
        "/api/v1/rating-bands/", {"contract": contract.pk, "min_rating": "3", "adjustment_pct": "0"}, format="json"), 403)
    accepted_act(world_a, contract, rating=4)
    # a band added on a signed contract is in force from today: the past month keeps the default
    # table (4.00 → 0 %); the version from today carries the new band
    assert build(world_a, contract).subtotal == D("100000.00")
    with world_a.context():
        today_terms = terms_in_force(Contract.objects.get(pk=contract.pk), local_today(world_a.tenant))
    assert today_terms.sections["rating_bands"] == [{"min_rating": "4.00", "adjustment_pct": "10.00"}]
    band_id = created.json()["id"]
    assert manager.get(f"/api/v1/rating-bands/?contract={contract.pk}").json()["count"] == 1
    other = api_as(world_b, world_b.account_manager)
    assert other.get("/api/v1/rating-bands/").json()["count"] == 0
    assert other.patch(f"/api/v1/rating-bands/{band_id}/", {"adjustment_pct": "50"}, format="json").status_code == 404
    assert other.delete(f"/api/v1/rating-bands/{band_id}/").status_code == 404
    assert manager.delete(f"/api/v1/rating-bands/{band_id}/").status_code == 204


def test_list_endpoints_take_a_constant_number_of_queries(world_a, accountant_api):
    def fill(n):
        for _ in range(n):
            contract = billed_contract(world_a)
            accepted_act(world_a, contract, rating=4)
            breach(world_a, contract)
            invoice = build(world_a, contract)
            issue(accountant_api, invoice)
            accountant_api.post("/api/v1/credit-notes/", {"invoice": invoice.pk, "amount": "1", "reason": "x"},
                                format="json")

    fill(1)
    counts = [count_queries(accountant_api, url) for url in (INVOICES, "/api/v1/credit-notes/")]
    fill(3)
    assert [count_queries(accountant_api, url) for url in (INVOICES, "/api/v1/credit-notes/")] == counts


@pytest.mark.parametrize(("period", "language", "words"), [
    ("2026-13", "en", "YYYY-MM"), ("abc", "ru", "ГГГГ-ММ"), ("1800-01", "en", "2000-01-01"), ("2026-1", "ru", "ГГГГ-ММ"),
])
def test_the_invoices_period_filter_refuses_a_month_that_is_not_one(world_a, accountant_api, period, language, words):
    """It answered an empty list, as if the month had no invoices."""
    body = assert_error(accountant_api.get(INVOICES, {"period": period}, HTTP_ACCEPT_LANGUAGE=language), 400)
    assert [error["field"] for error in body["errors"]] == ["period"] and words in body["message"]


def test_the_invoices_period_filter_finds_the_month(world_a, accountant_api):
    invoice = build(world_a, billed_contract(world_a))
    assert [row["id"] for row in accountant_api.get(INVOICES, {"period": PERIOD}).json()["results"]] == [invoice.pk]
    assert accountant_api.get(INVOICES, {"period": "2030-01"}).json()["results"] == []
    assert accountant_api.get(INVOICES, {"period": ""}).json()["count"] == 1
