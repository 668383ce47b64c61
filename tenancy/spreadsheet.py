"""CSV as the reader's spreadsheet expects it. Russian Excel and LibreOffice split on ";" and read
"1220,50" as a number, so a Russian user's CSV has ";" between cells, decimal commas and translated
headers; an English user's keeps ",". Every file starts with a UTF-8 BOM so Excel reads Cyrillic.
The API's CSV stays machine-readable: its callers pass no language and get the plain dialect.

`HEADERS` names the columns of every CSV a page offers (billing, audit, review report)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

BOM = "\ufeff"

HEADERS = {
    # billing: invoices and the adjustments register
    "invoice": _("Invoice"), "state": _("State"), "contract": _("Contract"), "client": _("Client"),
    "period_start": _("Period start"), "period_end": _("Period end"), "currency": _("Currency"),
    "line": _("Line"), "kind": _("Kind"), "description": _("Description"), "amount": _("Amount"),
    "vat": _("VAT"), "line_total": _("Line total"), "invoice_subtotal": _("Invoice subtotal"),
    "invoice_vat": _("Invoice VAT"), "invoice_total": _("Invoice total"),
    "invoice_credited": _("Credited"), "invoice_outstanding": _("Outstanding"),
    "credit_note": _("Credit note"), "period": _("Period"), "evidence": _("Evidence"),
    "reference": _("Reference"), "rating": _("Rating"), "penalty": _("Penalty"), "at": _("At"),
    # audit trail
    "seq": _("No."), "hash": _("Hash"), "table": _("Table"), "subject_id": _("Object ID"),
    "transition": _("Transition"), "from": pgettext_lazy("audit column", "From"),
    "to": pgettext_lazy("audit column", "To"), "actor_id": _("Actor ID"),
    "actor": _("Actor"), "at_utc": _("Time (UTC)"), "at_local": _("Local time"), "note": _("Note"),
    "data": _("Data"),
    # review report
    "section": _("Section"), "item": _("Item"), "value": _("Value"),
}


def is_russian(language: str | None) -> bool:
    return bool(language) and language.startswith("ru")


def delimiter(language: str | None) -> str:
    return ";" if is_russian(language) else ","


def headers(columns: list[str], language: str | None) -> list[str]:
    """The header row: the column keys for machines and English readers, translated for Russian ones."""
    if not is_russian(language):
        return list(columns)
    with translation.override(language):
        return [str(HEADERS.get(column, column)) for column in columns]


def cell(value, language: str | None):
    """A decimal number with a decimal comma for a Russian spreadsheet; everything else unchanged."""
    if isinstance(value, Decimal | float) and is_russian(language):
        return str(value).replace(".", ",")
    return value
