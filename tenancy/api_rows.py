"""A list's page as plain rows: the hot lists of the API without DRF's per-row, per-field work.

DRF renders a row by building the model instance (and one per related row), then asking each
serializer field for its attribute and its representation. At 50 rows a page and 25 fields that is
most of a list's time. `RowWriter` compiles a serializer's readable fields once into
(name, `values()` lookup, converter) triples; `FastListMixin.list` reads the page with `values()` over
exactly those lookups and writes each row with one loop over the triples.

The output is the serializer's own: a converter is the field's `to_representation` unless the field
returns the column's value as it is (text, integers, booleans, choices, related ids), and `None` stays
`None`, as DRF does. A field with no column (`SerializerMethodField`, source `*`) must be given by the
serializer's `row_fields(context)`: {name: (lookups it reads, function of the row)}; a field the
writer cannot compile is an error when the class is first used, never a silently different value.
The serializer stays what the OpenAPI document describes; the detail and write paths use it as before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.response import Response
from rest_framework.settings import api_settings

# `to_representation`s that return a column's value unchanged (a str, an int, a bool, a choice, an id)
_AS_IS = {
    serializers.CharField.to_representation,
    serializers.IntegerField.to_representation,
    serializers.BooleanField.to_representation,
    serializers.ChoiceField.to_representation,
    PrimaryKeyRelatedField.to_representation,
}

RowFunction = Callable[[dict], Any]
_DATETIME = object()


def _plain_datetime(field) -> bool:
    """A DRF `DateTimeField` as DRF renders it: ISO 8601 in the request's current time zone."""
    return (isinstance(field, serializers.DateTimeField)
            and type(field).to_representation is serializers.DateTimeField.to_representation
            and type(field).enforce_timezone is serializers.DateTimeField.enforce_timezone
            and not hasattr(field, "timezone")
            and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601)


def datetime_writer(zone) -> Callable[[dt.datetime], str]:
    """`DateTimeField.to_representation` of an aware column value, the zone looked up once a page;
    anything else (a naive value, no time zones) goes to DRF's own."""
    drf = serializers.DateTimeField().to_representation

    def write(value):
        if value is None:  # DRF's answer for an empty value, without the call
            return None
        if zone is None or not isinstance(value, dt.datetime) or value.tzinfo is None:
            return drf(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


class RowWriter:
    def __init__(self, serializer_class: type[serializers.Serializer]):
        serializer = serializer_class()
        computed = getattr(serializer_class, "ROW_FIELDS", {})
        self.serializer_class = serializer_class
        self.plan: list[tuple[str, str | None, Callable | None]] = []  # (name, lookup, converter)
        lookups: dict[str, None] = {}
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            if name in computed:
                self.plan.append((name, None, None))
                lookups.update(dict.fromkeys(computed[name]))
                continue
            if field.source == "*" or isinstance(field, serializers.BaseSerializer) or not field.source_attrs:
                raise ImproperlyConfigured(f"{serializer_class.__name__}.{name} has no column: name it in ROW_FIELDS "
                                           "and give it in row_fields()")
            lookup = "__".join(field.source_attrs)
            if type(field).to_representation in _AS_IS:
                convert = None
            elif _plain_datetime(field):
                convert = _DATETIME  # made per page: the request's time zone
            else:
                convert = field.to_representation
            self.plan.append((name, lookup, convert))
            lookups[lookup] = None
        self.lookups = list(lookups)
        self.has_computed = bool(computed)

    def write(self, rows, context: dict) -> list[dict]:
        functions: dict[str, RowFunction] = self.serializer_class.row_fields(context) if self.has_computed else {}
        datetime = datetime_writer(timezone.get_current_timezone() if settings.USE_TZ else None)
        plan = [(name, lookup, datetime if convert is _DATETIME else convert, functions.get(name))
                for name, lookup, convert in self.plan]
        out = []
        for row in rows:
            item = {}
            for name, lookup, convert, function in plan:
                if function is not None:
                    item[name] = function(row)
                else:
                    value = row[lookup]
                    item[name] = value if value is None or convert is None else convert(value)
            out.append(item)
        return out


_writers: dict[type, RowWriter] = {}


def row_writer(serializer_class) -> RowWriter:
    writer = _writers.get(serializer_class)
    if writer is None:
        writer = _writers[serializer_class] = RowWriter(serializer_class)
    return writer


def _related_sql(model, lookup: str) -> str | None:
    """A lookup through foreign keys (`contract__client__name`) as nested scalar subqueries over the
    list's own table, or None for a column of the table itself or any other path. The same values as
    the joins `values()` would make (the keys are composite with the tenant, so the related row is the
    tenant's; row-level security applies to it as to a join), without the joins: PostgreSQL plans a
    join of four or five tables under row-level security in longer than it runs it."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db import connection

    quote = connection.ops.quote_name
    parts = lookup.split("__")
    if len(parts) < 2:
        return None
    current, expr, key = model, None, None
    try:
        for depth, name in enumerate(parts):
            field = current._meta.get_field(name)
            if not getattr(field, "concrete", False) or (field.is_relation and not field.many_to_one):
                return None
            if expr is None:
                value = f"{quote(current._meta.db_table)}.{quote(field.column)}"
            else:
                alias = f"_r{depth}"
                value = (f"(SELECT {alias}.{quote(field.column)} FROM {quote(current._meta.db_table)} {alias} "  # noqa: S608
                         f"WHERE {alias}.{key} = {expr})")
            if depth == len(parts) - 1:
                return value
            if not field.many_to_one or len(field.foreign_related_fields) != 1:
                return None
            current, expr, key = field.related_model, value, quote(field.foreign_related_fields[0].column)
    except FieldDoesNotExist:
        return None
    return None


class _Rows:
    """A list's queryset as `values()` rows to the paginator: sliced, it reads the page's columns
    (those of related rows by subqueries, `_related_sql`); counted, it counts the model's rows
    without the joins the columns need (as DRF's count does)."""

    def __init__(self, queryset, lookups: list[str]):
        self.queryset, self.lookups = queryset, lookups

    @property
    def ordered(self) -> bool:
        return self.queryset.ordered

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        from django.db.models.expressions import RawSQL

        related = {}
        for index, lookup in enumerate(self.lookups):
            sql = _related_sql(self.queryset.model, lookup)
            if sql is not None:
                related[f"_row_{index}"] = (lookup, RawSQL(sql, ()))  # noqa: S611 — the models' own names
        if not related:
            return list(self.queryset.values(*self.lookups)[key])
        plain = [lookup for lookup in self.lookups if lookup not in {name for name, _ in related.values()}]
        rows = list(self.queryset.values(*plain, **{alias: sql for alias, (_, sql) in related.items()})[key])
        for row in rows:
            for alias, (lookup, _) in related.items():
                row[lookup] = row.pop(alias)
        return rows


class FastListMixin:
    """`list` through `RowWriter`: the same filters, ordering, pagination and output as DRF's
    `ListModelMixin`, read with `values()`. The list's serializer declares `ROW_FIELDS` and
    `row_fields(context)` for its fields without a column. A paginator other than page-number or
    limit-offset (one that reads the rows' attributes, like a cursor) gets DRF's own list."""

    def list(self, request, *args, **kwargs):
        paginator = self.paginator
        if paginator is not None and not isinstance(paginator, (PageNumberPagination, LimitOffsetPagination)):
            return super().list(request, *args, **kwargs)
        writer = row_writer(self.get_serializer_class())
        queryset = self.filter_queryset(self.get_queryset())
        if paginator is None:
            return Response(writer.write(queryset.values(*writer.lookups), self.get_serializer_context()))
        page = self.paginate_queryset(_Rows(queryset, writer.lookups))
        return self.get_paginated_response(writer.write(page, self.get_serializer_context()))
