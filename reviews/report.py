"""The review report as people read it: the page, the PDF (WeasyPrint, ru/en) and the CSV, all from
the same figures (the review's snapshot once prepared)."""

from __future__ import annotations

import csv
import io
import logging

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sla.models import Priority
from tenancy import spreadsheet

from . import charts
from .models import Review
from .selectors import review_report

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
LANGUAGES = ("ru", "en")


def hours(seconds) -> str:
    if seconds is None:
        return "—"
    minutes = int(seconds) // 60
    return f"{minutes // 60}:{minutes % 60:02d}"


def presented(report: dict) -> dict:
    """The figures plus what templates need: charts as SVG, durations as h:mm, labels."""
    priorities = dict(Priority.choices)
    months = report.get("months", [])
    monthly = report.get("monthly_compliance", [])
    ratings = report.get("ratings", {})
    return {
        **report,
        "response_median": hours(report["times"]["response"]["median_seconds"]),
        "response_p90": hours(report["times"]["response"]["p90_seconds"]),
        "resolution_median": hours(report["times"]["resolution"]["median_seconds"]),
        "resolution_p90": hours(report["times"]["resolution"]["p90_seconds"]),
        "breaches_by_priority": [(priorities.get(r["priority"], r["priority"]), r["count"])
                                 for r in report["breaches"]["by_priority"]],
        "compliance_chart": charts.grouped_bars(
            months, [(_("Response, %"), [m["response_pct"] for m in monthly]),
                     (_("Resolution, %"), [m["resolution_pct"] for m in monthly])],
            title=_("SLA compliance by month")),
        "rating_chart": charts.line(months, [m["mean"] for m in ratings.get("monthly", [])],
                                    title=_("Mean rating by month")),
        "provider_chart": charts.horizontal_bars(
            [(p["name"] or "—", p["count"]) for p in report["breaches"]["by_provider"]],
            title=_("Breaches by provider")),
    }


def csv_rows(report: dict) -> list[list]:
    """The report's figures as (section, item, value) rows."""
    rows: list[list] = [["section", "item", "value"],
                        ["period", "start", report["period_start"]], ["period", "end", report["period_end"]]]
    for direction in ("raised", "closed"):
        for row in report["orders"][direction]:
            rows.append([f"orders_{direction}", f"{row['kind']}/{row['priority']}", row["count"]])
        rows.append([f"orders_{direction}", "total", report["orders"][f"{direction}_total"]])
    for metric, figures in report["compliance"].items():
        for key in ("met", "breached", "open", "total", "pct"):
            rows.append([f"compliance_{metric}", key, figures[key]])
    for metric, figures in report["times"].items():
        for key in ("count", "median_seconds", "p90_seconds"):
            rows.append([f"time_to_{metric}", key, figures[key]])
    for month in report["monthly_compliance"]:
        rows.append(["monthly_compliance", month["month"], f"{month['response_pct']}/{month['resolution_pct']}"])
    breaches = report["breaches"]
    rows.append(["breaches", "total", breaches["total"]])
    rows += [["breaches_by_priority", r["priority"], r["count"]] for r in breaches["by_priority"]]
    rows += [["breaches_by_provider", r["name"], r["count"]] for r in breaches["by_provider"]]
    rows += [["breaches", key, breaches[key]] for key in ("penalty_total", "waived_count", "waived_total")]
    rows += [["invoiced", key, value] for key, value in report["invoiced"].items()]
    ratings = report["ratings"]
    rows += [["ratings", "count", ratings["count"]], ["ratings", "mean", ratings["mean"]],
             ["ratings", "trend", ratings["trend"]]]
    rows += [["rating_by_month", m["month"], m["mean"]] for m in ratings["monthly"]]
    rows += [["rating_distribution", rating, count] for rating, count in ratings["distribution"].items()]
    rows += [["low_rating", f"{r['source']} {r['ref']}", f"{r['rating']}: {r['comment']}"] for r in ratings["low"]]
    rows += [["corrective_actions", key, value] for key, value in report["corrective_actions"].items()]
    rows += [["disputed_act", a["number"], a["state"]] for a in report["disputed_acts"]]
    rows += [["previous_item", i["what"], i["state"]] for i in report["previous_items"]]
    return rows


def _safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def render_csv(report: dict, *, language: str | None = None) -> str:
    """The figures as CSV; `language` (the page's download) gives a Russian reader ";", decimal commas,
    translated headers and a BOM (tenancy.spreadsheet); the API passes none and gets plain CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=spreadsheet.delimiter(language))
    rows = csv_rows(report)
    if language:
        buffer.write(spreadsheet.BOM)
        rows = [spreadsheet.headers(rows[0], language), *rows[1:]]
    for row in rows:
        writer.writerow([_safe_cell(spreadsheet.cell(cell, language)) for cell in row])
    return buffer.getvalue()


def render_pdf_html(review: Review, *, language: str) -> str:
    """The report's HTML as the PDF renders it, in `language` (ru or en)."""
    language = language if language in LANGUAGES else "ru"
    with translation.override(language), timezone.override(review.contract.tenant.time_zone):
        return render_to_string("reviews/pdf/report.html", {
            "review": review, "contract": review.contract, "report": presented(review_report(review)),
            "items": list(review.items.all()), "language": language})


def render_pdf(review: Review, *, language: str) -> bytes:
    """The report as a PDF: the same figures as the page."""
    from weasyprint import HTML

    return HTML(string=render_pdf_html(review, language=language)).write_pdf()


def filename(review: Review, extension: str) -> str:
    return f"review-{review.contract.number}-{review.kind}-{review.period_start:%Y-%m-%d}.{extension}".replace(" ", "_")
