"""The billing pages: the accountant's desk, the invoice page with its forms, exports, and the portal."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client

from tests.clock import local_today
from tests.support import reload

from .support import PERIOD, accepted_act, billed_contract, breach, build

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_desk_lists_invoices_by_state_and_offers_the_period_exports(world_a, world_b):
    invoice = build(world_a, billed_contract(world_a))
    hidden = build(world_b, billed_contract(world_b))
    page = browser(world_a.accountant).get(f"/billing/?period={PERIOD}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/billing/invoices/{invoice.pk}/" in html and f"/billing/invoices/{hidden.pk}/" not in html
    assert "report=adjustments" in html and 'href="/billing/"' in html  # the nav link
    assert browser(world_a.engineer).get("/billing/").status_code == 403
    assert "/billing/" not in browser(world_a.engineer).get("/").content.decode().split("mainnav")[1].split("</nav>")[0]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_desk_shows_the_first_rows_of_each_state_and_pages_one_state_alone(world_a, monkeypatch, language):
    """Years of invoices: each state's table shows its first rows, its count and a link to all of
    them; the state alone pages (the desk once rendered every invoice of the tenant at once)."""
    from billing import views
    from tests.factories import InvoiceFactory

    monkeypatch.setattr(views, "GROUP_ROWS", 2)
    monkeypatch.setattr(views, "PER_PAGE", 2)
    issued = [InvoiceFactory(tenant=world_a.tenant, issued=True) for _ in range(5)]
    draft = InvoiceFactory(tenant=world_a.tenant)
    accountant = browser(world_a.accountant)
    html = accountant.get("/billing/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    shown = [invoice for invoice in issued if f"/billing/invoices/{invoice.pk}/" in html]
    assert len(shown) == 2 and f"/billing/invoices/{draft.pk}/" in html
    assert "(5)" in html and "(1)" in html
    assert "?state=issued" in html and ("All 5 →" if language == "en" else "Все 5 →") in html

    pages = [accountant.get("/billing/", {"state": "issued", "page": number}, HTTP_ACCEPT_LANGUAGE=language)
             for number in (1, 2, 3)]
    assert all(page.status_code == 200 for page in pages)
    seen = [invoice.pk for invoice in issued for page in pages
            if f"/billing/invoices/{invoice.pk}/" in page.content.decode()]
    assert sorted(seen) == sorted(invoice.pk for invoice in issued)  # every one once, over three pages
    assert f"/billing/invoices/{draft.pk}/" not in pages[0].content.decode()
    assert ("Page 1 of 3" if language == "en" else "Страница 1 из 3") in pages[0].content.decode()


def test_the_invoice_page_shows_lines_with_their_evidence_and_the_forms(world_a):
    contract = billed_contract(world_a)
    act, _confirmation = accepted_act(world_a, contract, rating=5)
    charged = breach(world_a, contract, penalty="700.00")
    invoice = build(world_a, contract)
    html = browser(world_a.accountant).get(f"/billing/invoices/{invoice.pk}/").content.decode()
    assert act.number in html and charged.order.number in html and "−700.00" in html
    assert f'name="breach" value="{charged.pk}"' in html and 'data-transition="issue"' in html


def test_waive_issue_and_credit_from_the_pages(world_a):
    contract = billed_contract(world_a)
    charged = breach(world_a, contract, penalty="700.00")
    invoice = build(world_a, contract)
    accountant = browser(world_a.accountant)
    url = f"/billing/invoices/{invoice.pk}/"
    accountant.post(f"{url}waive/", {"breach": charged.pk, "reason": "planned maintenance"})
    assert reload(world_a, invoice).subtotal == Decimal("100000.00")
    assert accountant.get(f"{url}transition/issue/").status_code == 405  # never a GET
    confirm = accountant.post(f"{url}transition/issue/")  # irreversible: asks once more first
    assert confirm.status_code == 200 and 'name="confirm"' in confirm.content.decode()
    assert reload(world_a, invoice).state == "draft" and not reload(world_a, invoice).number
    accountant.post(f"{url}transition/issue/", {"confirm": "1"})
    issued = reload(world_a, invoice)
    year = local_today(world_a.tenant).year  # numbers count per year in the tenant's time zone
    assert issued.state == "issued" and issued.number == f"INV-{year}-000001"
    accountant.post(f"{url}credit-note/", {"amount": "200000.00", "reason": "too much"})
    accountant.post(f"{url}credit-note/", {"amount": "1000.00", "reason": "goodwill"})
    page = accountant.get(url).content.decode()
    assert f"CN-{year}-000001" in page and f"CN-{year}-000002" not in page
    assert browser(world_a.account_manager).post(f"{url}transition/pay/").status_code == 403


def test_downloads_from_the_desk(world_a):
    contract = billed_contract(world_a)
    accepted_act(world_a, contract, rating=2)
    invoice = build(world_a, contract)
    accountant = browser(world_a.accountant)
    rows = list(csv.DictReader(io.StringIO(
        accountant.get(f"/billing/invoices/{invoice.pk}/export/csv/").content.decode("utf-8-sig"))))
    assert [r["kind"] for r in rows] == ["fee", "quality"]
    assert accountant.get(f"/billing/invoices/{invoice.pk}/export/pdf/?lang=ru").content.startswith(b"%PDF")
    register = accountant.get(f"/billing/export/?period={PERIOD}&format=xlsx&report=adjustments")
    assert register.status_code == 200 and register.content[:2] == b"PK"
    assert accountant.get(f"/billing/invoices/{invoice.pk}/export/doc/").status_code == 404


def test_another_tenants_invoice_is_a_404_on_every_page(world_a, world_b):
    invoice = build(world_a, billed_contract(world_a))
    other = browser(world_b.accountant)
    base = f"/billing/invoices/{invoice.pk}/"
    for response in (other.get(base), other.get(f"{base}export/csv/"), other.post(f"{base}transition/issue/"),
                     other.post(f"{base}rebuild/"), other.post(f"{base}credit-note/", {"amount": "1", "reason": "x"}),
                     other.get(f"/portal/invoices/{invoice.pk}/")):
        assert response.status_code in (404, 302), response.status_code
    assert reload(world_a, invoice).state == "draft"
    assert browser(world_b.client_admin).get(f"/portal/invoices/{invoice.pk}/").status_code == 404


def test_the_portal_shows_the_clients_issued_invoices_only(world_a):
    from tests.factories import ClientFactory

    draft = build(world_a, billed_contract(world_a))
    issued = build(world_a, billed_contract(world_a))
    others = build(world_a, billed_contract(world_a, client=ClientFactory(tenant=world_a.tenant)))
    accountant = browser(world_a.accountant)
    for invoice in (issued, others):
        accountant.post(f"/billing/invoices/{invoice.pk}/transition/issue/", {"confirm": "1"})
    portal = browser(world_a.client_viewer)
    html = portal.get("/portal/invoices/").content.decode()
    assert f"/portal/invoices/{issued.pk}/" in html and f"/portal/invoices/{draft.pk}/" not in html
    assert f"/portal/invoices/{others.pk}/" not in html and 'href="/portal/invoices/"' in html
    assert portal.get(f"/portal/invoices/{draft.pk}/").status_code == 404
    assert portal.get(f"/portal/invoices/{others.pk}/pdf/").status_code == 404
    assert portal.get(f"/portal/invoices/{issued.pk}/pdf/").content.startswith(b"%PDF")
    assert portal.get("/billing/").status_code == 302  # a client user goes to the portal


@pytest.mark.parametrize(("language", "separator", "header", "decimal"), [
    ("ru", ";", "Счёт", ","),
    ("en", ",", "invoice", "."),
])
def test_the_page_csv_speaks_the_readers_spreadsheet_dialect(world_a, language, separator, header, decimal):
    invoice = build(world_a, billed_contract(world_a))
    accountant = browser(world_a.accountant)
    accountant.cookies["django_language"] = language
    for url in (f"/billing/invoices/{invoice.pk}/export/csv/", f"/billing/export/?period={PERIOD}&format=csv",
                f"/billing/export/?period={PERIOD}&format=csv&report=adjustments"):
        body = accountant.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode("utf-8")
        assert body.startswith("\ufeff"), url
        first = body[1:].splitlines()[0]
        assert first.split(separator)[0] == header, (url, first)
        if "adjustments" not in url:
            assert f"{separator}{invoice.total:f}".replace(".", decimal) in body


def test_the_api_csv_stays_machine_readable_in_russian(world_a, api_as):
    invoice = build(world_a, billed_contract(world_a))
    response = api_as(world_a, world_a.accountant).get(f"/api/v1/invoices/{invoice.pk}/export/?format=csv", HTTP_ACCEPT_LANGUAGE="ru")
    first = response.content.decode("utf-8-sig").splitlines()[0]
    assert first.startswith("invoice,state,contract")


def test_the_desk_filters_are_laid_out_as_labelled_fields(world_a):
    html = browser(world_a.accountant).get(f"/billing/?period={PERIOD}").content.decode()
    filters = html.split('data-testid="desk-filters"')[1].split("</form>")[0]
    assert filters.count('<div class="field') == 2 and 'class="filter-buttons"' in filters


def test_the_issue_button_asks_for_confirmation_without_javascript(world_a):
    invoice = build(world_a, billed_contract(world_a))
    html = browser(world_a.accountant).get(f"/billing/invoices/{invoice.pk}/").content.decode()
    step = html.split('data-testid="issue-confirm"')[1].split("</details>")[0]
    assert "<summary" in step and 'name="confirm" value="1"' in step


@pytest.mark.parametrize("period", ["2026-13", "2026-00", "0000-01", "9999-12"])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_month_that_does_not_exist_is_an_error_on_the_field_not_a_failed_page(world_a, period, language):
    invoice = build(world_a, billed_contract(world_a))
    client = browser(world_a.accountant)
    page = client.get("/billing/", {"period": period}, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    assert page.context["form"].errors["period"]
    assert f"/billing/invoices/{invoice.pk}/" in page.content.decode()  # the desk shows every period instead
    built = client.post("/billing/build/", {"contract": invoice.contract_id, "period": period}, follow=True)
    assert built.status_code == 200
    assert [str(m) for m in built.context["messages"]]
