"""The accounting export: the invoices and credit notes issued in a period, for the accounting system.

Two renderings of the same data (`export_data`):

- **JSON** for any system: the suppliers (`organisations`), the clients (`counterparties`) with
  their legal details, the `contracts`, the `invoices` with their lines and the `credit_notes`,
  each referring to the others by a stable UUID; amounts are strings with 2 decimals.
- **1C:Enterprise "EnterpriseData" XML** (`to_enterprise_data`), the universal exchange format of
  1C's accounting configurations (Бухгалтерия предприятия and others load it through "Синхронизация
  данных" / "Загрузка данных из файла"). A `Message` whose `msg:Header` (namespace
  http://www.1c.ru/SSL/Exchange/Message) names the format (EnterpriseData 1.8), the creation time, the
  versions the sender speaks and the sender and recipient (`msg:Confirmation`: exchange plan, From,
  To, message numbers), and whose `Body` (namespace http://v8.1c.ru/edi/edi_stnd/EnterpriseData/1.8)
  holds, in this order:

  - `Справочник.Организации`: the supplier of each document (the tenant, or the provider that signs
    the contract, see `tenancy.legal.supplier_of`);
  - `Справочник.Контрагенты`: each client: name, full name, ИНН, КПП, ЮридическоеФизическоеЛицо;
  - `Справочник.Договоры`: each contract: kind "СПокупателем", number, date, organisation,
    counterparty, settlement currency;
  - `Документ.РеализацияТоваровУслуг` per issued (or paid) invoice: number, date, organisation,
    counterparty, contract (`ДанныеВзаиморасчетов`), currency, total, amounts without VAT
    (`СуммаВключаетНДС` false), and one `Услуги/Строка` per invoice line: the service
    (`Номенклатура`), the line's text (`Содержание`), quantity 1, price, sum, `СтавкаНДС`
    (НДС22, НДС20, НДС10, НДС0 or БезНДС) and `СуммаНДС`;
  - `Документ.КорректировкаРеализации` per credit note (a reduction of a sale agreed with the
    client): number, date, the invoice it corrects (`ДокументОснование`: its Ссылка, number, date),
    the same parties, and one line with the amount and VAT of the reduction.

  Every catalogue item and document carries `КлючевыеСвойства` with a `Ссылка`: a UUID derived from
  the tenant and the row (uuid5), so that exporting the same period again updates what the
  accounting system loaded before instead of duplicating it. References inside a document repeat
  the key properties of what they point at, as the format does.

  The element names and the envelope follow published EnterpriseData 1.8 exchange files; no XSD of
  the format was available to validate against, so the test checks well-formedness, namespaces and
  every value the accountant relies on.

What is exported: invoices in the state issued or paid whose issue date falls in the period (both
days included) — drafts and voided invoices are not accounting documents — and the credit notes
issued in the period, whatever the period of their invoice.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape, quoteattr

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation

from billing.models import LineKind
from billing.pdf import line_text
from tenancy.legal import LEGAL_FIELDS, supplier_of

from .selectors import export_credit_notes, export_invoices

FORMATS = ("xml", "json")
FORMAT_VERSION = "1.8"
ED_NS = f"http://v8.1c.ru/edi/edi_stnd/EnterpriseData/{FORMAT_VERSION}"
MSG_NS = "http://www.1c.ru/SSL/Exchange/Message"
EXCHANGE_PLAN = "СинхронизацияДанныхЧерезУниверсальныйФормат"
RECIPIENT = "1C"
CONTENT_TYPES = {"xml": "application/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# ISO 4217 numeric codes of the currencies contracts are in (contracts.models.CURRENCIES)
CURRENCY_CODES = {"RUB": "643", "USD": "840", "EUR": "978", "CNY": "156", "KZT": "398", "BYN": "933",
                  "AED": "784", "GBP": "826", "CHF": "756"}
CURRENCY_NAMES_RU = {"RUB": "руб.", "USD": "USD", "EUR": "EUR", "CNY": "CNY", "KZT": "KZT", "BYN": "BYN",
                     "AED": "AED", "GBP": "GBP", "CHF": "CHF"}
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:contracts-platform:accounting-export")
TWO_PLACES = Decimal("0.01")


def money(value) -> str:
    return str(Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP))


def vat_code(rate) -> str:
    """The EnterpriseData VAT rate of a percentage: 22 → НДС22; 0 → БезНДС (the tenant's "0 % / not
    liable": a provider outside VAT, the usual case of a zero rate on services)."""
    rate = Decimal(rate)
    if rate == 0:
        return "БезНДС"
    return f"НДС{rate.normalize():f}".replace(".", "_")


def ref(tenant_id: int, kind: str, pk) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{tenant_id}:{kind}:{pk}"))


def _iso(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00"


@dataclass(frozen=True)
class Period:
    date_from: dt.date
    date_to: dt.date


# --- the data ---------------------------------------------------------------------------------------

def _party(obj, *, tenant_id: int, kind: str) -> dict:
    data = {
        "id": ref(tenant_id, kind, obj.pk),
        "name": obj.name,
        "legal_name": getattr(obj, "legal_name", "") or obj.name,
        "kind": "individual" if obj.is_individual else "legal_entity",
        **{name: getattr(obj, name) for name in LEGAL_FIELDS},
    }
    if kind == "client":
        data["client_id"] = obj.pk
        data["tax_id"] = obj.tax_id
    return data


def _supplier(contract, tenant_id: int) -> tuple[str, object]:
    supplier = supplier_of(contract)
    kind = "tenant" if supplier.__class__.__name__ == "Tenant" else "provider"
    return kind, supplier


def export_data(*, tenant, period: Period) -> dict:
    """Everything the export holds, as plain data (JSON types, amounts as strings); both renderings
    are made from it. Texts are in Russian, the language of the accounts."""
    language = "ru"
    invoices = list(export_invoices(date_from=period.date_from, date_to=period.date_to))
    notes = list(export_credit_notes(date_from=period.date_from, date_to=period.date_to))
    organisations: dict[str, dict] = {}
    counterparties: dict[str, dict] = {}
    contracts: dict[str, dict] = {}
    warnings: list[str] = []

    def parties(invoice) -> tuple[str, str, str]:
        contract = invoice.contract
        kind, supplier = _supplier(contract, tenant.pk)
        org = _party(supplier, tenant_id=tenant.pk, kind=kind)
        if org["id"] not in organisations:
            organisations[org["id"]] = org
            if not org["inn"]:
                warnings.append(f"The supplier {org['legal_name']} has no INN.")
        client = _party(invoice.client, tenant_id=tenant.pk, kind="client")
        if client["id"] not in counterparties:
            counterparties[client["id"]] = client
            if not client["inn"]:
                warnings.append(f"The client {client['legal_name']} has no INN.")
        contract_id = ref(tenant.pk, "contract", contract.pk)
        if contract_id not in contracts:
            contracts[contract_id] = {
                "id": contract_id, "contract_id": contract.pk, "number": contract.number, "title": contract.title,
                "date": (contract.start_date or timezone.localdate(contract.created_at, zoneinfo.ZoneInfo(tenant.time_zone))
                         ).isoformat(),
                "organisation": org["id"], "counterparty": client["id"], "currency": contract.currency,
            }
        return org["id"], client["id"], contract_id

    invoice_rows = []
    with translation.override(language):
        for invoice in invoices:
            org_id, client_id, contract_id = parties(invoice)
            lines = [{
                "position": line.position, "kind": line.kind, "service": str(LineKind(line.kind).label),
                "description": line_text(line, language), "quantity": "1", "price": money(line.amount),
                "amount": money(line.amount), "vat_rate": money(invoice.vat_rate), "vat_code": vat_code(invoice.vat_rate),
                "vat": money(line.vat), "total": money(line.amount + line.vat),
            } for line in invoice.lines.all()]
            invoice_rows.append({
                "id": ref(tenant.pk, "invoice", invoice.pk), "invoice_id": invoice.pk, "number": invoice.number,
                "date": invoice.issue_date.isoformat(), "state": invoice.state,
                "period_start": invoice.period_start.isoformat(), "period_end": invoice.period_end.isoformat(),
                "organisation": org_id, "counterparty": client_id, "contract": contract_id,
                "currency": invoice.currency, "amounts_include_vat": False, "vat_rate": money(invoice.vat_rate),
                "vat_code": vat_code(invoice.vat_rate), "subtotal": money(invoice.subtotal),
                "vat": money(invoice.vat_amount), "total": money(invoice.total), "lines": lines,
            })
        note_rows = []
        for note in notes:
            invoice = note.invoice
            org_id, client_id, contract_id = parties(invoice)
            note_rows.append({
                "id": ref(tenant.pk, "credit_note", note.pk), "credit_note_id": note.pk, "number": note.number,
                "date": note.issue_date.isoformat(), "reason": note.reason,
                "invoice": ref(tenant.pk, "invoice", invoice.pk), "invoice_number": invoice.number,
                "invoice_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
                "organisation": org_id, "counterparty": client_id, "contract": contract_id,
                "currency": invoice.currency, "amounts_include_vat": False, "vat_rate": money(invoice.vat_rate),
                "vat_code": vat_code(invoice.vat_rate), "amount": money(note.amount), "vat": money(note.vat),
                "total": money(note.total), "service": str(LineKind.FEE.label),
            })

    def total(rows, key):
        return money(sum((Decimal(row[key]) for row in rows), Decimal("0")))

    return {
        "format": "accounting-export", "version": 1,
        "organisation": {"id": tenant.pk, "name": tenant.name},
        "period": {"from": period.date_from.isoformat(), "to": period.date_to.isoformat()},
        "generated_at": timezone.now().isoformat(),
        "organisations": list(organisations.values()),
        "counterparties": sorted(counterparties.values(), key=lambda c: (c["name"], c["client_id"])),
        "contracts": sorted(contracts.values(), key=lambda c: (c["number"], c["contract_id"])),
        "invoices": invoice_rows,
        "credit_notes": note_rows,
        "totals": {
            "invoices": {"subtotal": total(invoice_rows, "subtotal"), "vat": total(invoice_rows, "vat"),
                         "total": total(invoice_rows, "total")},
            "credit_notes": {"amount": total(note_rows, "amount"), "vat": total(note_rows, "vat"),
                             "total": total(note_rows, "total")},
        },
        "warnings": warnings,
    }


def to_json(data: dict) -> bytes:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


# --- EnterpriseData XML ---------------------------------------------------------------------------

class _Node:
    """A minimal XML element: ElementTree cannot put the root in no namespace and its child in a
    default one, which is how 1C writes (and reads) an exchange message."""

    def __init__(self, tag: str, text: str | None = None, attrs: dict | None = None):
        self.tag, self.text, self.attrs, self.children = tag, text, attrs or {}, []

    def add(self, tag: str, text=None, attrs=None) -> _Node:
        child = _Node(tag, None if text is None else str(text), attrs)
        self.children.append(child)
        return child

    def write(self, out: list[str], depth: int = 0) -> None:
        pad = "\t" * depth
        attrs = "".join(f" {name}={quoteattr(value)}" for name, value in self.attrs.items())
        if self.children:
            out.append(f"{pad}<{self.tag}{attrs}>\n")
            for child in self.children:
                child.write(out, depth + 1)
            out.append(f"{pad}</{self.tag}>\n")
        elif self.text is None or self.text == "":
            out.append(f"{pad}<{self.tag}{attrs}/>\n")
        else:
            out.append(f"{pad}<{self.tag}{attrs}>{escape(self.text)}</{self.tag}>\n")


def _legal_keys(node: _Node, party: dict) -> None:
    node.add("Ссылка", party["id"])
    node.add("Наименование", party["name"])
    node.add("НаименованиеПолное", party["legal_name"])
    if party["inn"]:
        node.add("ИНН", party["inn"])
    if party["kpp"]:
        node.add("КПП", party["kpp"])
    node.add("ЮридическоеФизическоеЛицо",
             "ФизическоеЛицо" if party["kind"] == "individual" else "ЮридическоеЛицо")


def _organisation_keys(node: _Node, org: dict) -> None:
    node.add("Ссылка", org["id"])
    node.add("Наименование", org["name"])
    node.add("НаименованиеСокращенное", org["legal_name"])
    node.add("НаименованиеПолное", org["legal_name"])
    if org["inn"]:
        node.add("ИНН", org["inn"])
    if org["kpp"]:
        node.add("КПП", org["kpp"])
    node.add("ЮридическоеФизическоеЛицо",
             "ФизическоеЛицо" if org["kind"] == "individual" else "ЮридическоеЛицо")


def _currency(node: _Node, code: str, tenant_id: int) -> None:
    node.add("Ссылка", ref(tenant_id, "currency", code))
    classifier = node.add("ДанныеКлассификатора")
    classifier.add("Код", CURRENCY_CODES.get(code, code))
    classifier.add("Наименование", CURRENCY_NAMES_RU.get(code, code))


def _contract_keys(node: _Node, contract: dict, orgs: dict, clients: dict, tenant_id: int) -> None:
    node.add("Ссылка", contract["id"])
    node.add("ВидДоговора", "СПокупателем")
    _organisation_keys(node.add("Организация"), orgs[contract["organisation"]])
    _legal_keys(node.add("Контрагент"), clients[contract["counterparty"]])
    _currency(node.add("ВалютаВзаиморасчетов"), contract["currency"], tenant_id)
    node.add("РасчетыВУсловныхЕдиницах", "false")
    node.add("Наименование", f"Договор № {contract['number']} от {_ru_date(contract['date'])}")
    node.add("Дата", _iso(dt.date.fromisoformat(contract["date"])))
    node.add("Номер", contract["number"])


def _ru_date(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d.%m.%Y")


def _settlement(node: _Node, doc: dict, contracts: dict, orgs: dict, clients: dict, tenant_id: int) -> None:
    data = node.add("ДанныеВзаиморасчетов")
    _contract_keys(data.add("Договор"), contracts[doc["contract"]], orgs, clients, tenant_id)
    _currency(data.add("ВалютаВзаиморасчетов"), doc["currency"], tenant_id)
    data.add("КурсВзаиморасчетов", "1")
    data.add("КратностьВзаиморасчетов", "1")
    data.add("РасчетыВУсловныхЕдиницах", "false")


def _service(node: _Node, kind: str, name: str, tenant_id: int) -> None:
    node.add("Ссылка", ref(tenant_id, "service", kind))
    node.add("НаименованиеПолное", name)
    node.add("Наименование", name)


def to_enterprise_data(data: dict, *, sender: str) -> bytes:
    """The export as a 1C EnterpriseData exchange message (UTF-8 XML)."""
    tenant_id = data["organisation"]["id"]
    orgs = {org["id"]: org for org in data["organisations"]}
    clients = {client["id"]: client for client in data["counterparties"]}
    contracts = {contract["id"]: contract for contract in data["contracts"]}

    message = _Node("Message", attrs={"xmlns:msg": MSG_NS, "xmlns:xs": "http://www.w3.org/2001/XMLSchema",
                                      "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance"})
    header = message.add("msg:Header")
    header.add("msg:Format", ED_NS)
    header.add("msg:CreationDate", timezone.localtime(dt.datetime.fromisoformat(data["generated_at"]), dt.UTC)
               .replace(microsecond=0, tzinfo=None).isoformat())
    confirmation = header.add("msg:Confirmation")
    confirmation.add("msg:ExchangePlan", EXCHANGE_PLAN)
    confirmation.add("msg:To", RECIPIENT)
    confirmation.add("msg:From", sender)
    confirmation.add("msg:MessageNo", "1")
    confirmation.add("msg:ReceivedNo", "0")
    header.add("msg:AvailableVersion", FORMAT_VERSION)
    body = message.add("Body", attrs={"xmlns": ED_NS})

    for org in data["organisations"]:
        item = body.add("Справочник.Организации")
        _organisation_keys(item.add("КлючевыеСвойства"), org)
        if org["ogrn"]:
            item.add("ОГРН", org["ogrn"])
    for client in data["counterparties"]:
        item = body.add("Справочник.Контрагенты")
        _legal_keys(item.add("КлючевыеСвойства"), client)
    for contract in data["contracts"]:
        item = body.add("Справочник.Договоры")
        _contract_keys(item.add("КлючевыеСвойства"), contract, orgs, clients, tenant_id)

    for invoice in data["invoices"]:
        doc = body.add("Документ.РеализацияТоваровУслуг")
        keys = doc.add("КлючевыеСвойства")
        keys.add("Ссылка", invoice["id"])
        keys.add("Дата", _iso(dt.date.fromisoformat(invoice["date"])))
        keys.add("Номер", invoice["number"])
        _organisation_keys(keys.add("Организация"), orgs[invoice["organisation"]])
        _currency(doc.add("Валюта"), invoice["currency"], tenant_id)
        doc.add("Сумма", invoice["total"])
        _legal_keys(doc.add("Контрагент"), clients[invoice["counterparty"]])
        _settlement(doc, invoice, contracts, orgs, clients, tenant_id)
        doc.add("СуммаВключаетНДС", "false")
        doc.add("Комментарий", f"Счёт № {invoice['number']} за период {_ru_date(invoice['period_start'])} – "
                               f"{_ru_date(invoice['period_end'])}")
        services = doc.add("Услуги")
        for line in invoice["lines"]:
            row = services.add("Строка")
            _service(row.add("Номенклатура"), line["kind"], line["service"], tenant_id)
            row.add("Содержание", line["description"])
            row.add("Количество", line["quantity"])
            row.add("Цена", line["price"])
            row.add("Сумма", line["amount"])
            row.add("СтавкаНДС", line["vat_code"])
            row.add("СуммаНДС", line["vat"])

    for note in data["credit_notes"]:
        doc = body.add("Документ.КорректировкаРеализации")
        keys = doc.add("КлючевыеСвойства")
        keys.add("Ссылка", note["id"])
        keys.add("Дата", _iso(dt.date.fromisoformat(note["date"])))
        keys.add("Номер", note["number"])
        _organisation_keys(keys.add("Организация"), orgs[note["organisation"]])
        basis = doc.add("ДокументОснование")
        basis.add("Ссылка", note["invoice"])
        if note["invoice_date"]:
            basis.add("Дата", _iso(dt.date.fromisoformat(note["invoice_date"])))
        basis.add("Номер", note["invoice_number"])
        _organisation_keys(basis.add("Организация"), orgs[note["organisation"]])
        doc.add("ВидОперации", "КорректировкаПоСогласованиюСторон")
        _currency(doc.add("Валюта"), note["currency"], tenant_id)
        doc.add("Сумма", note["total"])
        _legal_keys(doc.add("Контрагент"), clients[note["counterparty"]])
        _settlement(doc, note, contracts, orgs, clients, tenant_id)
        doc.add("СуммаВключаетНДС", "false")
        doc.add("Комментарий", f"Корректировка {note['number']} к счёту № {note['invoice_number']}: {note['reason']}")
        services = doc.add("Услуги")
        row = services.add("Строка")
        _service(row.add("Номенклатура"), LineKind.FEE, note["service"], tenant_id)
        row.add("Содержание", note["reason"])
        row.add("Количество", "1")
        row.add("Цена", note["amount"])
        row.add("Сумма", note["amount"])
        row.add("СтавкаНДС", note["vat_code"])
        row.add("СуммаНДС", note["vat"])

    out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    message.write(out)
    return "".join(out).encode()


def render(data: dict, fmt: str, *, sender: str) -> bytes:
    return to_enterprise_data(data, sender=sender) if fmt == "xml" else to_json(data)


def filename(tenant, period: Period, fmt: str) -> str:
    stem = f"accounting-{tenant.slug}-{period.date_from:%Y%m%d}-{period.date_to:%Y%m%d}"
    return f"{stem}.{fmt}"
