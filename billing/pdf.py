"""Invoices as PDF (WeasyPrint), in Russian or English: a template per language, like the acts.

The line descriptions are rendered in the document's language from each line's `data`, so a
Russian PDF reads in Russian whatever the reader's interface language is. Several invoices (a
period's) go into one document, one invoice per page. An invoice with credit notes lists them under
its lines, with the total credited and what is left to pay.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils import timezone, translation

from tenancy.legal import supplier_of

from .exports import credited, outstanding
from .models import LineKind

LANGUAGES = ("ru", "en")
TEMPLATES = {"ru": "billing/pdf/invoices_ru.html", "en": "billing/pdf/invoices_en.html"}
METRICS_RU = {"response": "реакции", "resolution": "решения"}
DESCRIPTIONS_RU = {
    LineKind.FEE: "Услуги по договору {contract} за {period}",
    LineKind.QUALITY: "Корректировка за качество: средняя оценка {mean} по {count} оценк(ам), {pct} % "
                      "от части вознаграждения, зависящей от качества ({base})",
    LineKind.PENALTY: "Штраф по SLA: нарушен срок {metric} по заявке {order}, {at}",
    LineKind.PENALTY_CAP: "Ограничение штрафов {pct} % вознаграждения ({cap}): штрафы {penalties} уменьшены на {excess}",
}

# a part of a month (see `models.describe_line`)
FEE_PART_RU = "Услуги по договору {contract} за {start}–{end}: {days} из {month_days} {day_word} от ежемесячного " \
              "вознаграждения {fee}"
QUALITY_PART_RU = "Корректировка за качество за {start}–{end}: средняя оценка {mean} по {count} оценк(ам), {pct} % " \
                  "от части вознаграждения, зависящей от качества ({base})"
CAP_BY_PARTS_RU = "Ограничение штрафов по условиям, действовавшим в каждой части месяца ({cap}): штрафы {penalties} " \
                  "уменьшены на {excess}"

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _describe(line, language: str) -> str:
    if language != "ru":
        return line.describe()
    data = dict(line.data or {})
    template = DESCRIPTIONS_RU.get(line.kind)
    if line.kind == LineKind.FEE and "days" in data:
        template = FEE_PART_RU
        # "из 31 дня", "из 30 дней": the genitive after the month's number of days
        data["day_word"] = "дня" if int(data["month_days"]) % 10 == 1 and int(data["month_days"]) % 100 != 11 else "дней"
    elif line.kind == LineKind.QUALITY and "start" in data:
        template = QUALITY_PART_RU
    elif line.kind == LineKind.PENALTY_CAP and "pct" not in data:
        template = CAP_BY_PARTS_RU
    if not template:
        return line.description
    data["metric"] = METRICS_RU.get(data.get("metric"), data.get("metric"))
    try:
        return template.format(**data)
    except (KeyError, IndexError):
        return line.description


def line_text(line, language: str) -> str:
    """A line's description in `language` (ru or en), whatever language is active."""
    if language == "ru":
        return _describe(line, "ru")
    with translation.override(language):
        return line.describe()


def invoices_html(invoices, *, language: str = "ru") -> str:
    """The HTML the PDF is printed from: every invoice in `invoices` (lines, evidence and credit
    notes already loaded by the selector), in `language` (ru or en)."""
    language = language if language in LANGUAGES else "ru"
    documents = []
    for invoice in invoices:
        lines = [{"line": line, "text": _describe(line, language)} for line in invoice.lines.all()]
        notes = sorted(invoice.credit_notes.all(), key=lambda n: (n.issue_date, n.pk))
        documents.append({"invoice": invoice, "contract": invoice.contract, "client": invoice.client,
                          "provider": supplier_of(invoice.contract), "lines": lines, "credit_notes": notes,
                          "credited": credited(invoice), "outstanding": outstanding(invoice)})
    with translation.override(language), timezone.override("UTC"):
        return render_to_string(TEMPLATES[language], {"documents": documents})


def render_invoices_pdf(invoices, *, language: str = "ru") -> bytes:
    """One PDF with every invoice in `invoices` (lines and evidence already loaded by the selector)."""
    from weasyprint import HTML

    return HTML(string=invoices_html(invoices, language=language)).write_pdf()
