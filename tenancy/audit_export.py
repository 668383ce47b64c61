"""The audit trail of a period as CSV or JSON Lines, streamed: every event of every event table.

Rows come in chain order (`chain_seq`), then the rows not linked yet by time; each table is read a
page at a time and the tables merged (`tenancy.chain.keyset_pages`), so no file is ever held in
memory. With a contract, only that contract's events and those of its orders, acts, invoices,
reviews and disputes (each event table says how it reaches its contract in `CONTRACT_PATH`; a table
that does not is left out of a contract's export).

Who reads it: the provider's administrators and accountants (`AUDIT_READERS`).
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import json
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db.models import CharField, F, Value
from django.utils.translation import gettext as _

from . import spreadsheet
from .bounds import validate_date_in_range
from .chain import ROW_FIELDS, iso_utc, keyset_pages, subject_attname, table_label
from .events import Event, event_models
from .roles import Role

AUDIT_READERS = frozenset({Role.ADMIN, Role.ACCOUNTANT})
FORMATS = ("csv", "jsonl")
MAX_RANGE_DAYS = 366 * 2
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
# (columns added later go at the end, so that an integrator's column positions keep their meaning)
COLUMNS = ["seq", "hash", "table", "subject_id", "contract", "kind", "transition", "from", "to", "actor_id", "actor",
           "at_utc", "at_local", "note", "data"]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportQuery:
    date_from: dt.date
    date_to: dt.date
    contract_id: int | None = None
    fmt: str = "csv"


def period_errors(date_from: dt.date | None, date_to: dt.date | None) -> dict[str, str]:
    """What is wrong with a period, by field (`from`, `to`); empty when it is fine."""
    errors = {}
    for name, day in (("from", date_from), ("to", date_to)):
        try:
            validate_date_in_range(day)
        except Exception as exc:  # noqa: BLE001 — a ValidationError, said on the field
            errors[name] = " ".join(getattr(exc, "messages", [str(exc)]))
    if errors or date_from is None or date_to is None:
        return errors
    if date_to < date_from:
        errors["to"] = _("The range ends before it starts.")
    elif (date_to - date_from).days > MAX_RANGE_DAYS:
        errors["to"] = _("Ask for two years at most.")
    return errors


def contracts():
    """The current tenant's contracts, to choose one (contracts sits above tenancy: no import)."""
    return apps.get_model("contracts", "Contract").objects.all()


def filename(tenant, query: ExportQuery) -> str:
    return f"audit-{tenant.slug}-{query.date_from:%Y%m%d}-{query.date_to:%Y%m%d}.{query.fmt}"


def _bounds(tenant, query: ExportQuery) -> tuple[dt.datetime, dt.datetime]:
    """The period's first and last instant (exclusive), its days taken in the tenant's zone."""
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    start = dt.datetime.combine(query.date_from, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(query.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _tables(query: ExportQuery) -> list[type[Event]]:
    models = event_models()
    return [model for model in models if model.CONTRACT_PATH] if query.contract_id is not None else models


def _queryset(model: type[Event], start, end, contract_id: int | None, *, linked: bool):
    path = model.CONTRACT_PATH
    number = F(f"{path}__number") if path else Value("", output_field=CharField())
    queryset = model.objects.order_by().filter(at__gte=start, at__lt=end, chain_seq__isnull=not linked)
    if contract_id is not None:
        queryset = queryset.filter(**{f"{path}_id": contract_id})
    return queryset.annotate(contract_number=number).values(*ROW_FIELDS, subject_attname(model), "contract_number")


def _rows(tenant, query: ExportQuery, *, linked: bool) -> Iterator[tuple]:
    start, end = _bounds(tenant, query)
    order = ("chain_seq", "id") if linked else ("at", "id")

    def table(model) -> Iterator[tuple]:
        label = table_label(model)
        pages = keyset_pages(lambda: _queryset(model, start, end, query.contract_id, linked=linked), order,
                             tenant_id=tenant.pk)
        for row in pages:
            yield (row[order[0]], label, row["id"], model, row)

    return heapq.merge(*(table(model) for model in _tables(query)), key=lambda item: item[:3])


def records(tenant, query: ExportQuery) -> Iterator[dict]:
    """Each event of the period as a flat record: linked ones by number, then the rest by time."""
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    for linked in (True, False):
        for _key, label, _pk, model, row in _rows(tenant, query, linked=linked):
            at = row["at"]
            yield {
                "seq": row["chain_seq"], "hash": row["chain_hash"], "table": label,
                "subject_id": row[subject_attname(model)], "contract": row["contract_number"] or "",
                "kind": row["kind"], "transition": row["transition"], "from": row["from_state"],
                "to": row["to_state"], "actor_id": row["actor_id"], "actor": row["actor_label"],
                "at_utc": iso_utc(at), "at_local": at.astimezone(zone).isoformat(timespec="seconds"),
                "note": row["note"], "data": row["data"],
            }


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading quote."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else str(value)
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


class _Line:
    """A file-like object that hands back what csv.writer writes, for streaming (Django's recipe)."""

    def write(self, value: str) -> str:
        return value


def stream(tenant, query: ExportQuery, *, language: str | None = None) -> Iterator[bytes]:
    """The export file, a piece at a time (for a StreamingHttpResponse). `language` (the page's
    download) gives a Russian reader ";" and translated headers; the API passes none."""
    if query.fmt == "csv":
        writer = csv.writer(_Line(), delimiter=spreadsheet.delimiter(language), lineterminator="\r\n")
        header = spreadsheet.headers(COLUMNS, language)
        yield (spreadsheet.BOM + writer.writerow(header)).encode()  # a BOM, so Excel reads Cyrillic as UTF-8
        for record in records(tenant, query):
            yield writer.writerow([safe_cell(record[column]) for column in COLUMNS]).encode()
    else:
        for record in records(tenant, query):
            yield (json.dumps(record, ensure_ascii=False) + "\n").encode()
