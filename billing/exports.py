"""Invoices and the adjustments register as CSV and XLSX (openpyxl). PDF is `billing.pdf`.

Both invoice formats hold one row per invoice line with its invoice's number, contract, client,
period, state and totals, so one file serves a single invoice and a whole period. The adjustments
register holds one row per adjustment line and piece of evidence (rating or breach).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from .selectors import adjustment_rows

INVOICE_COLUMNS = ["invoice", "state", "contract", "client", "period_start", "period_end", "currency", "line",
                   "kind", "description", "amount", "vat", "line_total", "invoice_subtotal", "invoice_vat",
                   "invoice_total"]
REGISTER_COLUMNS = ["invoice", "contract", "client", "period", "line", "kind", "description", "amount", "vat",
                    "evidence", "reference", "rating", "penalty", "at"]


def invoice_rows(invoices: Iterable) -> list[dict]:
    rows = []
    for invoice in invoices:
        for line in invoice.lines.all():
            rows.append({
                "invoice": invoice.number or f"draft #{invoice.pk}", "state": invoice.state,
                "contract": invoice.contract.number, "client": invoice.client.name,
                "period_start": invoice.period_start, "period_end": invoice.period_end, "currency": invoice.currency,
                "line": line.position, "kind": line.kind, "description": line.describe(), "amount": line.amount,
                "vat": line.vat, "line_total": line.total, "invoice_subtotal": invoice.subtotal,
                "invoice_vat": invoice.vat_amount, "invoice_total": invoice.total,
            })
    return rows


def _cell(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def to_csv(rows: list[dict], columns: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: "" if row.get(key) is None else _cell(row.get(key)) for key in columns})
    return ("\ufeff" + buffer.getvalue()).encode()  # a BOM, so Excel reads Cyrillic as UTF-8


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
        if column_cells[0].value in ("amount", "vat", "line_total", "invoice_subtotal", "invoice_vat",
                                     "invoice_total", "penalty"):
            for cell in column_cells[1:]:
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def invoices_file(invoices, fmt: str) -> bytes:
    rows = invoice_rows(invoices)
    return to_csv(rows, INVOICE_COLUMNS) if fmt == "csv" else to_xlsx(rows, INVOICE_COLUMNS, title="Invoices")


def register_file(invoices, fmt: str) -> bytes:
    rows = adjustment_rows(invoices)
    return to_csv(rows, REGISTER_COLUMNS) if fmt == "csv" else to_xlsx(rows, REGISTER_COLUMNS, title="Adjustments")


CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
