"""The accounting export: a period's issued invoices and credit notes as 1C EnterpriseData XML and as
JSON, through the page and the API; only the current tenant's documents; administrators and
accountants only; bad periods are 400s naming the field."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from billing import services
from billing.models import Invoice
from contracts.models import Client
from integrations.accounting import export
from tests.billing.support import billed_contract, build, set_vat
from tests.clock import add_months, local_today, month_of
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/api/v1/accounting/export/"
PAGE = "/accounting/export/"
QUERY_BUDGET = 12  # authentication, the tenant, invoices with their lines and evidence, credit notes
ED = "{http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8}"
MSG = "{http://www.1c.ru/SSL/Exchange/Message}"

SBER = {"inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195", "bik": "044525225",
        "correspondent_account": "30101810400000000225", "settlement_account": "40702810310000000001",
        "bank_name": "ПАО Сбербанк", "legal_address": "117312, г. Москва, ул. Вавилова, д. 19"}


def _issue(world, invoice) -> Invoice:
    with world.context(user=world.accountant):
        return services.invoice_issue(invoice=invoice, actor=world.accountant)


def _credit(world, invoice, amount: str, reason: str):
    with world.context(user=world.accountant):
        return services.credit_note_create(invoice=invoice, amount=D(amount), reason=reason, actor=world.accountant)


def _period(world) -> str:
    """The previous month in the tenant's zone: what is invoiced today."""
    return f"{add_months(local_today(world.tenant), -1):%Y-%m}"


def _setup(world, *, label: str):
    """Two issued invoices of today (one at 20 % VAT, one without VAT) and a credit note on the first."""
    tenant = world.tenant
    tenant.legal_name = f"ООО «Поставщик {label}»"
    for name, value in {"inn": "7736207543", "kpp": "773601001", "ogrn": "1027700229193"}.items():
        setattr(tenant, name, value)
    tenant.save()
    with world.context():
        Client.objects.filter(pk=world.client.pk).update(legal_name=f"ПАО «Клиент {label}»", **SBER)
        individual = ClientFactory(tenant=tenant, name=f"ИП Иванов {label}", legal_name="ИП Иванов И. И.",
                                   inn="500100732259", ogrn="304500116000157")
    start = add_months(local_today(tenant), -3)
    set_vat(world, "20.00")
    first = billed_contract(world, fee="1000.00", share="0", start_date=start, number=f"{label}-1")
    taxed = _issue(world, build(world, first, period=_period(world)))
    set_vat(world, "0.00")
    second = billed_contract(world, fee="500.00", share="0", start_date=start, number=f"{label}-2", client=individual)
    untaxed = _issue(world, build(world, second, period=_period(world)))
    note = _credit(world, taxed, "100.00", "Простой сервиса")
    return taxed, untaxed, note


def _today_range(world) -> str:
    today = local_today(world.tenant)
    return f"from={today.isoformat()}&to={today.isoformat()}"


def test_the_json_export_holds_the_invoices_lines_vat_and_credit_notes_of_the_period(world_a, api_as):
    taxed, untaxed, note = _setup(world_a, label="A")
    response = api_as(world_a, world_a.accountant).get(f"{URL}?{_today_range(world_a)}&format=json")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    data = response.json()
    invoices = {row["number"]: row for row in data["invoices"]}
    assert set(invoices) == {taxed.number, untaxed.number}
    vat20 = invoices[taxed.number]
    assert (vat20["subtotal"], vat20["vat"], vat20["total"], vat20["vat_code"]) == ("1000.00", "200.00", "1200.00",
                                                                                    "НДС20")
    assert [(line["amount"], line["vat"], line["vat_code"]) for line in vat20["lines"]] == [("1000.00", "200.00",
                                                                                             "НДС20")]
    no_vat = invoices[untaxed.number]
    assert (no_vat["total"], no_vat["vat"], no_vat["vat_code"]) == ("500.00", "0.00", "БезНДС")
    [credit] = data["credit_notes"]
    assert (credit["number"], credit["invoice"], credit["amount"], credit["vat"], credit["total"]) == (
        note.number, vat20["id"], "100.00", "20.00", "120.00")
    clients = {c["id"]: c for c in data["counterparties"]}
    assert clients[vat20["counterparty"]]["inn"] == "7707083893"
    assert clients[vat20["counterparty"]]["kpp"] == "773601001"
    assert clients[no_vat["counterparty"]]["kind"] == "individual"
    contracts = {c["id"]: c for c in data["contracts"]}
    assert contracts[vat20["contract"]]["number"] == "A-1"
    [supplier] = data["organisations"]
    assert (supplier["inn"], supplier["legal_name"]) == ("7736207543", "ООО «Поставщик A»")
    assert data["totals"]["invoices"] == {"subtotal": "1500.00", "vat": "200.00", "total": "1700.00"}
    assert data["warnings"] == []


def test_the_1c_export_is_an_enterprise_data_message_with_catalogues_sales_and_a_correction(world_a, api_as):
    taxed, untaxed, note = _setup(world_a, label="A")
    response = api_as(world_a, world_a.admin).get(f"{URL}?{_today_range(world_a)}&format=xml")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/xml")
    assert response["Content-Disposition"].endswith('.xml"')
    root = ET.fromstring(response.content)  # noqa: S314 — our own output
    assert root.tag == "Message"
    assert root.find(f"{MSG}Header/{MSG}Format").text == "http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8"
    assert root.find(f"{MSG}Header/{MSG}Confirmation/{MSG}From").text == world_a.tenant.slug
    assert root.find(f"{MSG}Header/{MSG}AvailableVersion").text == "1.8"
    body = root.find(f"{ED}Body")

    [org] = body.findall(f"{ED}Справочник.Организации")
    assert org.find(f"{ED}КлючевыеСвойства/{ED}ИНН").text == "7736207543"
    assert org.find(f"{ED}КлючевыеСвойства/{ED}КПП").text == "773601001"
    counterparties = {c.find(f"{ED}КлючевыеСвойства/{ED}ИНН").text: c for c in body.findall(f"{ED}Справочник.Контрагенты")}
    assert set(counterparties) == {"7707083893", "500100732259"}
    sber = counterparties["7707083893"].find(f"{ED}КлючевыеСвойства")
    assert sber.find(f"{ED}КПП").text == "773601001"
    assert sber.find(f"{ED}ЮридическоеФизическоеЛицо").text == "ЮридическоеЛицо"
    ip = counterparties["500100732259"].find(f"{ED}КлючевыеСвойства")
    assert ip.find(f"{ED}КПП") is None
    assert ip.find(f"{ED}ЮридическоеФизическоеЛицо").text == "ФизическоеЛицо"
    contracts = {c.find(f"{ED}КлючевыеСвойства/{ED}Номер").text: c for c in body.findall(f"{ED}Справочник.Договоры")}
    assert set(contracts) == {"A-1", "A-2"}
    assert contracts["A-1"].find(f"{ED}КлючевыеСвойства/{ED}ВидДоговора").text == "СПокупателем"
    assert contracts["A-1"].find(f"{ED}КлючевыеСвойства/{ED}Контрагент/{ED}ИНН").text == "7707083893"

    sales = {s.find(f"{ED}КлючевыеСвойства/{ED}Номер").text: s for s in body.findall(f"{ED}Документ.РеализацияТоваровУслуг")}
    assert set(sales) == {taxed.number, untaxed.number}
    sale = sales[taxed.number]
    assert sale.find(f"{ED}КлючевыеСвойства/{ED}Дата").text == f"{taxed.issue_date.isoformat()}T00:00:00"
    assert sale.find(f"{ED}Сумма").text == "1200.00"
    assert sale.find(f"{ED}Контрагент/{ED}ИНН").text == "7707083893"
    assert sale.find(f"{ED}ДанныеВзаиморасчетов/{ED}Договор/{ED}Номер").text == "A-1"
    [row] = sale.findall(f"{ED}Услуги/{ED}Строка")
    assert [row.find(f"{ED}{name}").text for name in ("Количество", "Цена", "Сумма", "СтавкаНДС", "СуммаНДС")] == [
        "1", "1000.00", "1000.00", "НДС20", "200.00"]
    [row] = sales[untaxed.number].findall(f"{ED}Услуги/{ED}Строка")
    assert (row.find(f"{ED}СтавкаНДС").text, row.find(f"{ED}СуммаНДС").text) == ("БезНДС", "0.00")

    [correction] = body.findall(f"{ED}Документ.КорректировкаРеализации")
    assert correction.find(f"{ED}КлючевыеСвойства/{ED}Номер").text == note.number
    assert correction.find(f"{ED}ДокументОснование/{ED}Номер").text == taxed.number
    assert (correction.find(f"{ED}ДокументОснование/{ED}Ссылка").text
            == sale.find(f"{ED}КлючевыеСвойства/{ED}Ссылка").text)
    [row] = correction.findall(f"{ED}Услуги/{ED}Строка")
    assert (row.find(f"{ED}Сумма").text, row.find(f"{ED}СтавкаНДС").text, row.find(f"{ED}СуммаНДС").text) == (
        "100.00", "НДС20", "20.00")
    assert correction.find(f"{ED}Сумма").text == "120.00"


def test_exporting_again_gives_the_same_references(world_a, api_as):
    _setup(world_a, label="A")
    api = api_as(world_a, world_a.accountant)
    first = api.get(f"{URL}?{_today_range(world_a)}").json()
    second = api.get(f"{URL}?{_today_range(world_a)}").json()
    assert [i["id"] for i in first["invoices"]] == [i["id"] for i in second["invoices"]]
    assert [c["id"] for c in first["counterparties"]] == [c["id"] for c in second["counterparties"]]


def test_a_period_without_the_issue_day_exports_nothing_and_drafts_never(world_a, api_as):
    taxed, _untaxed, _note = _setup(world_a, label="A")
    build(world_a, billed_contract(world_a, fee="10.00", share="0", start_date=add_months(local_today(world_a.tenant), -3)),
          period=_period(world_a))  # a draft: not an accounting document
    api = api_as(world_a, world_a.accountant)
    day_before = local_today(world_a.tenant).toordinal() - 1
    from datetime import date

    before = date.fromordinal(day_before).isoformat()
    data = api.get(f"{URL}?from={before}&to={before}").json()
    assert data["invoices"] == [] and data["credit_notes"] == []
    data = api.get(f"{URL}?period={local_today(world_a.tenant):%Y-%m}").json()
    assert sorted(i["number"] for i in data["invoices"]) == sorted([taxed.number, _untaxed.number])


def test_tenant_b_never_sees_tenant_a_documents(world_a, world_b, api_as):
    _setup(world_a, label="A")
    own, _other, _note = _setup(world_b, label="B")
    data = api_as(world_b, world_b.accountant).get(f"{URL}?{_today_range(world_b)}").json()
    assert {i["contract"] for i in data["invoices"]} == {c["id"] for c in data["contracts"]}
    assert sorted(c["number"] for c in data["contracts"]) == ["B-1", "B-2"]
    assert len(data["invoices"]) == 2 and len(data["credit_notes"]) == 1
    xml = api_as(world_b, world_b.admin).get(f"{URL}?{_today_range(world_b)}&format=xml").content.decode()
    assert "Клиент A" not in xml and "A-1" not in xml and "Клиент B" in xml


@pytest.mark.parametrize("role", ["account_manager", "engineer", "client_admin", "client_viewer"])
def test_other_roles_may_not_export(world_a, api_as, role):
    response = api_as(world_a, getattr(world_a, role)).get(f"{URL}?{_today_range(world_a)}")
    assert response.status_code == 403


@pytest.mark.parametrize(("query", "field"), [
    ("from=2020-13-01&to=2020-01-31", "from"),
    ("from=x&to=y", "from"),
    ("to=2020-01-31", "from"),
    ("period=2020-99", "period"),
    ("period=nonsense", "period"),
    ("from=2020-02-01&to=2020-01-01", "to"),
    ("from=2001-01-01&to=2020-01-01", "to"),
    ("period=2020-01&format=pdf", "format"),
])
def test_bad_periods_and_formats_are_a_400_naming_the_field(world_a, api_as, query, field):
    response = api_as(world_a, world_a.accountant).get(f"{URL}?{query}")
    assert response.status_code == 400, response.content
    assert field in [error["field"] for error in response.json()["errors"]], response.json()


def test_a_client_without_an_inn_is_exported_with_a_warning(world_a, api_as):
    start = add_months(local_today(world_a.tenant), -3)
    _issue(world_a, build(world_a, billed_contract(world_a, fee="10.00", share="0", start_date=start),
                          period=_period(world_a)))
    data = api_as(world_a, world_a.accountant).get(f"{URL}?{_today_range(world_a)}").json()
    assert len(data["invoices"]) == 1
    assert any("no INN" in warning for warning in data["warnings"])


# --- the page ------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_export_page_renders_in_both_languages_and_the_desk_offers_it(client, world_a, language):
    client.force_login(world_a.accountant)
    client.cookies["django_language"] = language
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    html = page.content.decode()
    # the page's own strings are translated when /work/ru is merged into the catalogue; the crumb already is
    assert f'lang="{language}"' in html
    assert ("Счета и оплата" if language == "ru" else "Accounting export") in html
    desk = client.get("/billing/", HTTP_ACCEPT_LANGUAGE=language)
    assert 'action="/accounting/export/"' in desk.content.decode()


def test_the_page_downloads_the_month_as_1c_xml(client, world_a):
    taxed, _untaxed, _note = _setup(world_a, label="A")
    client.force_login(world_a.admin)
    response = client.get(f"{PAGE}?period={local_today(world_a.tenant):%Y-%m}&format=xml")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="accounting-tenant-a-')
    assert taxed.number in response.content.decode()
    ET.fromstring(response.content)  # noqa: S314 — our own output: well-formed


def test_the_page_shows_errors_on_the_fields(client, world_a):
    client.force_login(world_a.accountant)
    response = client.get(f"{PAGE}?from=2020-02-01&to=2020-01-01&format=xml")
    assert response.status_code == 400
    assert response.context["form"].errors["to"]
    response = client.get(f"{PAGE}?period=2020-13&format=json")
    assert response.status_code == 400 and response.context["form"].errors["period"]


@pytest.mark.parametrize("role", ["account_manager", "engineer"])
def test_the_page_is_for_administrators_and_accountants(client, world_a, role):
    client.force_login(getattr(world_a, role))
    assert client.get(PAGE).status_code == 403
    assert 'action="/accounting/export/"' not in client.get("/billing/").content.decode()


def test_the_page_exports_only_the_current_tenant(client, world_a, world_b):
    _setup(world_a, label="A")
    _setup(world_b, label="B")
    client.force_login(world_b.accountant)
    month = f"{local_today(world_b.tenant):%Y-%m}"
    data = json.loads(client.get(f"{PAGE}?period={month}&format=json").content)
    assert sorted(c["number"] for c in data["contracts"]) == ["B-1", "B-2"]


def test_vat_codes():
    assert [export.vat_code(D(rate)) for rate in ("22.00", "20.00", "10.00", "0.00")] == [
        "НДС22", "НДС20", "НДС10", "БезНДС"]


def test_the_month_helper_is_the_clock_month(world_a):
    start, end = month_of(local_today(world_a.tenant))
    assert start.day == 1 and end >= start


def test_the_export_reads_a_fixed_number_of_queries_however_many_documents(world_a, api_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _setup(world_a, label="A")
    api = api_as(world_a, world_a.accountant)
    with CaptureQueriesContext(connection) as few:
        assert api.get(f"{URL}?{_today_range(world_a)}&format=xml").status_code == 200
    start = add_months(local_today(world_a.tenant), -3)
    for number in range(3):
        invoice = _issue(world_a, build(world_a, billed_contract(world_a, fee="10.00", share="0", start_date=start,
                                                                 number=f"A-more-{number}"), period=_period(world_a)))
        _credit(world_a, invoice, "1.00", "Округление")
    with CaptureQueriesContext(connection) as many:
        data = api.get(f"{URL}?{_today_range(world_a)}&format=json").json()
    assert len(data["invoices"]) == 5 and len(data["credit_notes"]) == 4
    # (the first request also records when the API key was last used)
    assert len(many) <= len(few) <= QUERY_BUDGET, [q["sql"][:120] for q in many]
