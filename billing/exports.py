"""Invoices and the adjustments register as CSV and XLSX (openpyxl). PDF is `billing.pdf`.

Both invoice formats hold one row per invoice line with its invoice's number, contract, client,
period, state and totals, so one file serves a single invoice and a whole period. Each credit note
of an invoice follows its lines as a row of its own (kind `credit_note`, its number in
`credit_note`, negative amounts), so the `line_total` column of an invoice adds up to what is left
of it after its credit notes; every row also carries the invoice's `invoice_credited` (the credit
notes' total) and `invoice_outstanding` (what the client still owes: total less credited, nothing
once paid or void).

The adjustments register holds one row per adjustment line and piece of evidence (rating or
breach); the line's amount stands on its first row only, so the amount column sums to the
adjustments (see `selectors.adjustment_rows`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from tenancy import spreadsheet

from .models import InvoiceState
from .selectors import adjustment_rows

# (columns added later go at the end, so that an integrator's column positions keep their meaning)
INVOICE_COLUMNS = ["invoice", "state", "contract", "client", "period_start", "period_end", "currency", "line",
                   "kind", "description", "amount", "vat", "line_total", "invoice_subtotal", "invoice_vat",
                   "invoice_total", "invoice_credited", "invoice_outstanding", "credit_note"]
MONEY_COLUMNS = ("amount", "vat", "line_total", "invoice_subtotal", "invoice_vat", "invoice_total", "invoice_credited",
                 "invoice_outstanding", "penalty")
CREDIT_NOTE = "credit_note"
REGISTER_COLUMNS = ["invoice", "contract", "client", "period", "line", "kind", "description", "amount", "vat",
                    "evidence", "reference", "rating", "penalty", "at"]


def credited(invoice) -> Decimal:
    """The total of an invoice's credit notes (prefetched by the selectors)."""
    return sum((note.total for note in invoice.credit_notes.all()), Decimal("0.00"))


def outstanding(invoice) -> Decimal:
    """What the client still owes on the invoice: its total less its credit notes; nothing once paid
    or void."""
    if invoice.state in (InvoiceState.PAID, InvoiceState.VOID):
        return Decimal("0.00")
    return invoice.total - credited(invoice)


def invoice_rows(invoices: Iterable) -> list[dict]:
    rows = []
    for invoice in invoices:
        head = {
            "invoice": invoice.number or f"draft #{invoice.pk}", "state": invoice.state,
            "contract": invoice.contract.number, "client": invoice.client.name,
            "period_start": invoice.period_start, "period_end": invoice.period_end, "currency": invoice.currency,
            "invoice_subtotal": invoice.subtotal, "invoice_vat": invoice.vat_amount, "invoice_total": invoice.total,
            "invoice_credited": credited(invoice), "invoice_outstanding": outstanding(invoice),
        }
        for line in invoice.lines.all():
            rows.append({**head, "line": line.position, "kind": line.kind, "credit_note": "",
                         "description": line.describe(), "amount": line.amount, "vat": line.vat,
                         "line_total": line.total})
        for note in sorted(invoice.credit_notes.all(), key=lambda n: (n.issue_date, n.pk)):
            rows.append({**head, "line": "", "kind": CREDIT_NOTE, "credit_note": note.number,
                         "description": f"{note.number} ({note.issue_date:%d.%m.%Y}): {note.reason}",
                         "amount": -note.amount, "vat": -note.vat, "line_total": -note.total})
    return rows


def _cell(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def to_csv(rows: list[dict], columns: list[str], *, language: str | None = None) -> bytes:
    """The rows as CSV; with `language` (a page's download) in that reader's dialect (tenancy.spreadsheet),
    without it (the API) with "," and the column keys."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=spreadsheet.delimiter(language), lineterminator="\r\n")
    writer.writerow(spreadsheet.headers(columns, language))
    for row in rows:
        writer.writerow(["" if row.get(key) is None else spreadsheet.cell(_cell(row.get(key)), language)
                         for key in columns])
    return (spreadsheet.BOM + buffer.getvalue()).encode()  # a BOM, so Excel reads Cyrillic as UTF-8


def to_xlsx(rows: list[dict], columns: list[str], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = []
        for key in columns:
            value = row.get(key)
            if getattr(value, "tzinfo", None) is not None:  # Excel has no time zones: ISO text
                value = value.isoformat()
            values.append("" if value is None else value)
        sheet.append(values)
    for column_cells in sheet.columns:
        if column_cells[0].value in MONEY_COLUMNS:
            for cell in column_cells[1:]:
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def invoices_file(invoices, fmt: str, *, language: str | None = None) -> bytes:
    rows = invoice_rows(invoices)
    return to_csv(rows, INVOICE_COLUMNS, language=language) if fmt == "csv" else to_xlsx(rows, INVOICE_COLUMNS, title="Invoices")


def register_file(invoices, fmt: str, *, language: str | None = None) -> bytes:
    rows = adjustment_rows(invoices)
    return to_csv(rows, REGISTER_COLUMNS, language=language) if fmt == "csv" else to_xlsx(rows, REGISTER_COLUMNS, title="Adjustments")


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
