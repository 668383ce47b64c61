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

A list's statement is compiled once per process and reused (`_Statement`, `_statements`): building
the queryset, its filters and ordering and compiling it with the ORM cost as much Python as the
database spends running it. The key is everything the statement is made from — the view and action,
the tenant, the user and their client scope (`statement_scope`), the active time zone and the query
string without its page parameters — so a hit is the statement the ORM would compile; a filter that
checks its value against the database (a `ModelChoiceFilter`: the contract must exist in the tenant)
is compiled every time, so that its 400 stays. Only the statement is kept, never rows: every request
runs it. Under pytest every hit is compiled again and compared (`API_LIST_STATEMENTS_VERIFY`).

A count of `LARGE_COUNT` rows or more is kept with its statement for `COUNT_KEPT_SECONDS`
(`KeptCountPaginator`): the pages never depend on it, only the `count` the answer shows may lag.
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet, ImproperlyConfigured
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.pagination import LimitOffsetPagination, PageNumberPagination
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.response import Response
from rest_framework.settings import api_settings

from . import prepared as prepared_statements
from .api_paging import PagePagination

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
    utc = getattr(zone, "key", None) == "UTC"  # the API's zone; the database's values are in UTC already

    def write(value):
        if value is None:  # DRF's answer for an empty value, without the call
            return None
        if utc and type(value) is dt.datetime and value.tzinfo is dt.UTC:
            return value.isoformat()[:-6] + "Z"
        if zone is None or not isinstance(value, dt.datetime) or value.tzinfo is None:
            return drf(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return write


def _plain_big_integer(field) -> bool:
    """A DRF `BigIntegerField` (a big auto id) that answers the integer, as `IntegerField` does."""
    big = getattr(serializers, "BigIntegerField", None)
    return (big is not None and isinstance(field, big) and type(field).to_representation is big.to_representation
            and not getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING))


def _plain_decimal(field) -> bool:
    """A DRF `DecimalField` that writes a string with its fixed decimal places, as money is."""
    return (isinstance(field, serializers.DecimalField)
            and type(field).to_representation is serializers.DecimalField.to_representation
            and type(field).quantize is serializers.DecimalField.quantize
            and field.decimal_places is not None and not field.localize
            and getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING))


def decimal_writer(field) -> Callable[[Any], str]:
    """`DecimalField.to_representation` for a column's value: a `Decimal` that already has the
    field's decimal places (a `numeric(…, 2)` column's) is written as it is — quantizing it to the
    same exponent changes nothing; anything else goes to DRF's own."""
    drf, places = field.to_representation, field.decimal_places

    def write(value):
        if type(value) is decimal.Decimal:
            text = f"{value:f}"  # finite: digits, a sign, and a point when the value has places
            if places and len(text) > places and text[-places - 1] == "." or not places and "." not in text \
                    and text[-1:].isdigit():
                return text
        return drf(value)

    return write


def _plain_date(field) -> bool:
    return (isinstance(field, serializers.DateField)
            and type(field).to_representation is serializers.DateField.to_representation
            and str(getattr(field, "format", api_settings.DATE_FORMAT)).lower() == ISO_8601)


def date_writer(field) -> Callable[[Any], Any]:
    """`DateField.to_representation` for a column's date: ISO 8601."""
    drf = field.to_representation
    return lambda value: value.isoformat() if type(value) is dt.date else drf(value)


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
            if type(field).to_representation in _AS_IS or _plain_big_integer(field):
                convert = None
            elif _plain_datetime(field):
                convert = _DATETIME  # made per page: the request's time zone
            elif _plain_decimal(field):
                convert = decimal_writer(field)
            elif _plain_date(field):
                convert = date_writer(field)
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


def selected_names(query) -> list[str]:
    """The names of a `values()` query's columns, in the order its SQL selects them."""
    if query.selected:
        return list(query.selected)
    return [*query.extra_select, *query.values_select, *query.annotation_select]


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

    def values_queryset(self):
        """The `values()` queryset of the page's columns, and the lookup each of its columns is (in
        the order the query selects them)."""
        from django.db.models.expressions import RawSQL

        related = {}
        for index, lookup in enumerate(self.lookups):
            sql = _related_sql(self.queryset.model, lookup)
            if sql is not None:
                related[f"_row_{index}"] = (lookup, RawSQL(sql, ()))  # noqa: S611 — the models' own names
        plain = [lookup for lookup in self.lookups if lookup not in {name for name, _ in related.values()}]
        values = self.queryset.values(*plain, **{alias: sql for alias, (_, sql) in related.items()})
        return values, [related[name][0] if name in related else name for name in selected_names(values.query)]

    def __getitem__(self, key):
        values, names = self.values_queryset()
        return [dict(zip(names, row.values(), strict=True)) for row in values[key]]


class CompiledValues:
    """A `values()` queryset compiled once: its SQL and parameters, the names of its columns and the
    converters the ORM applies to them (`ValuesIterable`'s work, done per row by `run`). The query is
    read as written, or with more SQL after it (`LIMIT`) or around it (a subquery)."""

    def __init__(self, values, names: list[str] | None = None):
        query = values.query
        compiler = query.get_compiler(values.db)
        self.db = values.db
        self.sql, self.params = compiler.as_sql()
        self.params = tuple(self.params)
        self.converters = compiler.get_converters([column for column, _sql, _alias in compiler.select[:compiler.col_count]])
        self.names = names if names is not None else selected_names(query)

    def same(self, other: CompiledValues) -> bool:
        return (self.sql, self.params, self.names) == (other.sql, other.params, other.names)

    def run(self, sql: str, params, *, prepared: bool = True) -> list[dict]:
        """Rows of `sql` (this statement's, as it is or within more), as `values()` dictionaries; a
        statement prepared once on the connection unless `prepared` is false (`tenancy.prepared`)."""
        connection = connections[self.db]
        with connection.cursor() as cursor:
            if prepared:
                prepared_statements.execute(connection, cursor, sql, params)
            else:
                cursor.execute(sql, params)
            rows = cursor.fetchall()
        converters = list(self.converters.items())
        names = self.names
        out = []
        for row in rows:
            if converters:
                row = list(row)
                for position, (functions, expression) in converters:
                    value = row[position]
                    for function in functions:
                        value = function(value, expression, connection)
                    row[position] = value
            out.append(dict(zip(names, row, strict=True)))
        return out


def compiled(values, names: list[str] | None = None) -> CompiledValues | None:
    """`CompiledValues` of a queryset, or None when it cannot be one statement (its filters leave
    it empty, or it is sliced)."""
    query = values.query
    if query.low_mark or query.high_mark is not None:
        return None
    try:
        return CompiledValues(values, names)
    except EmptyResultSet:
        return None


LARGE_COUNT = 10_000  # a list this long keeps its count for a while instead of counting every request
COUNT_KEPT_SECONDS = 60
_monotonic = time.monotonic


class _Statement:
    """A page-number list's query and its count, compiled once: the rows `_Rows` would read. Sliced,
    it runs the query with `LIMIT`/`OFFSET`; counted, the count of the same rows. A count of
    `LARGE_COUNT` rows or more is kept for `COUNT_KEPT_SECONDS` (`kept_count`): counting 120,000
    breaches reads 120,000 index entries, on every page an integrator asks for."""

    def __init__(self, rows: _Rows, values: CompiledValues):
        self._kept: tuple[int, float] | None = None
        self.values = values
        self.ordered = rows.ordered
        counted = rows.queryset.order_by().values("pk").query
        count_sql, count_params = counted.get_compiler(values.db).as_sql()
        self.count_sql = f"SELECT COUNT(*) FROM ({count_sql}) _counted"  # noqa: S608 — the ORM's own SQL
        self.count_params = tuple(count_params)

    @classmethod
    def of(cls, rows: _Rows) -> _Statement | None:
        values, names = rows.values_queryset()
        statement = compiled(values, names)
        return None if statement is None else cls(rows, statement)

    def same(self, other: _Statement) -> bool:
        return self.values.same(other.values) and (self.count_sql, self.count_params) == (
            other.count_sql, other.count_params)

    def count(self) -> int:
        connection = connections[self.values.db]
        with connection.cursor() as cursor:
            prepared_statements.execute(connection, cursor, self.count_sql, self.count_params)
            return cursor.fetchone()[0]

    def kept_count(self, *, fresh: bool = False) -> tuple[int, bool]:
        """(the count, whether it was kept from an earlier request rather than counted now)."""
        now = _monotonic()
        if not fresh and self._kept is not None and now - self._kept[1] < COUNT_KEPT_SECONDS:
            return self._kept[0], True
        exact = self.count()
        self._kept = (exact, now) if exact >= LARGE_COUNT else None
        return exact, False

    def known_count(self, count: int) -> None:
        """The exact count, learnt from the last page (it ended before a full page)."""
        if self._kept is not None:
            self._kept = (count, self._kept[1]) if count >= LARGE_COUNT else None

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step is not None or (key.start or 0) < 0 or key.stop is None:
            raise TypeError("a list statement is read by slices of rows")
        start = int(key.start or 0)
        if key.stop <= start:
            return []
        # the first page (most of the requests) is prepared once; a page further on is a statement of
        # its own, run as it is rather than prepared for one use
        return self.values.run(f"{self.values.sql} LIMIT {int(key.stop) - start} OFFSET {start}", self.values.params,
                               prepared=start == 0)


class _Statements(threading.local):
    """Each thread's compiled list statements, the most recently used kept (it uses its own
    connection, which the converters were bound with)."""

    SIZE = 256

    def __init__(self):
        self.entries: OrderedDict = OrderedDict()

    def get(self, key):
        statement = self.entries.get(key)
        if statement is not None:
            self.entries.move_to_end(key)
        return statement

    def put(self, key, statement: _Statement) -> None:
        self.entries[key] = statement
        while len(self.entries) > self.SIZE:
            self.entries.popitem(last=False)

    def clear(self) -> None:
        self.entries.clear()


_statements = _Statements()


class _ReadPage(Page):
    """A page that knows whether another follows from its own read (one row more than it shows),
    not from the count."""

    def __init__(self, object_list, number, paginator, *, more: bool):
        super().__init__(object_list, number, paginator)
        self.more = more

    def has_next(self) -> bool:
        return self.more

    def next_page_number(self) -> int:
        return self.number + 1


class _KeptQuerysetCounts(threading.local):
    """Each thread's long counts of the querysets its lists paged, by their SQL and parameters (the
    tenant's id and every filter among them), the most recently used kept."""

    SIZE = 500

    def __init__(self):
        self.kept: OrderedDict = OrderedDict()

    def count(self, queryset, *, fresh: bool = False) -> tuple[int, bool]:
        """(the count, whether it was kept from an earlier request), as `_Statement.kept_count`."""
        try:
            sql, params = queryset.order_by().query.sql_with_params()
        except EmptyResultSet:
            return 0, False
        key = (queryset.db, sql, repr(params))
        now, kept = _monotonic(), self.kept.get(key)
        if not fresh and kept is not None and now - kept[1] < COUNT_KEPT_SECONDS:
            self.kept.move_to_end(key)
            return kept[0], True
        exact = queryset.count()
        if exact >= LARGE_COUNT:
            self.kept[key] = (exact, now)
            self.kept.move_to_end(key)
            while len(self.kept) > self.SIZE:
                self.kept.popitem(last=False)
        else:
            self.kept.pop(key, None)
        return exact, False


_queryset_counts = _KeptQuerysetCounts()


class KeptCountPaginator(Paginator):
    """Django's paginator over a `_Statement` or a queryset whose count may be kept
    (`_Statement.kept_count`, `_KeptQuerysetCounts`): the pages and their `next` never depend on that
    count — a page reads one row more to know whether another follows, and a page number beyond a
    kept count is checked against a fresh count before it is refused — so a count that lags by a
    minute never hides a row. Any other list (with orphans, or not a query) is paged as Django pages it."""

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kwargs)
        self.kept = False

    @property
    def statement(self) -> _Statement | QuerySet | None:
        if self.orphans or not isinstance(self.object_list, _Statement | QuerySet):
            return None
        return self.object_list

    def _kept_count(self, *, fresh: bool = False) -> tuple[int, bool]:
        if isinstance(self.statement, _Statement):
            return self.statement.kept_count(fresh=fresh)
        return _queryset_counts.count(self.statement, fresh=fresh)

    @cached_property
    def count(self) -> int:
        if self.statement is None:
            return super().count
        count, self.kept = self._kept_count()
        return count

    def _counted_again(self) -> None:
        self.__dict__["count"], self.kept = self._kept_count(fresh=True)
        self.__dict__.pop("num_pages", None)

    def page(self, number):
        statement = self.statement
        if statement is None:
            return super().page(number)
        try:
            number = self.validate_number(number)
        except EmptyPage:
            if not self.kept:
                raise
            self._counted_again()  # the kept count may lag behind rows added since
            number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        # an empty list freshly counted has nothing to read
        rows = [] if not self.kept and self.count == 0 else list(statement[bottom:bottom + self.per_page + 1])
        if not rows and number > 1 and self.kept:
            self._counted_again()  # rows removed since the count was kept: past the end now?
            self.validate_number(number)
        more = len(rows) > self.per_page
        rows = rows[:self.per_page]
        if not more and (rows or number == 1):
            self.__dict__["count"] = bottom + len(rows)  # the last page tells the count exactly
            self.__dict__.pop("num_pages", None)
            if isinstance(statement, _Statement):
                statement.known_count(bottom + len(rows))
        return _ReadPage(rows, number, self, more=more)


class ListPagination(PagePagination):
    """`?page=` pages through `KeptCountPaginator`: the API's default (settings), so that no list's
    count is read again at every request once it is long."""

    django_paginator_class = KeptCountPaginator

    def get_paginated_response_schema(self, schema):
        answer = super().get_paginated_response_schema(schema)
        answer["properties"]["count"]["description"] = str(_(
            "How many rows the list has. Counted at each request up to %(large)s rows; a longer list's count "
            "may be up to %(seconds)s seconds old. The pages and their `next` links are always current."
        ) % {"large": number_format(LARGE_COUNT, force_grouping=True), "seconds": COUNT_KEPT_SECONDS})
        return answer


@functools.cache
def _checked_filters(filterset_class) -> frozenset[str]:
    """The filters whose value is looked up in the database when the request is validated (once
    per filterset class)."""
    if filterset_class is None:
        return frozenset()
    return frozenset(name for name, item in filterset_class.base_filters.items()
                     if getattr(item, "queryset", None) is not None or "queryset" in item.extra)


def statement_key(view, request, *, paging: set, uncached: frozenset = frozenset()):
    """The key of a list's compiled statement: everything it is made from (see the module's text);
    None when the request names a filter checked against the database, or one of `uncached`."""
    from .context import current_tenant_id

    params = request.query_params
    if (_checked_filters(getattr(view, "filterset_class", None)) | uncached).intersection(params):
        return None
    query = tuple(sorted((name, tuple(params.getlist(name))) for name in params if name not in paging))
    return (type(view), view.action, current_tenant_id(), request.user.pk, view.statement_scope(),
            timezone.get_current_timezone_name(), query)


def reused(key, compile_fresh: Callable[[], Any]):
    """The statement kept under `key`, or `compile_fresh()` kept there (when it is one: not None).
    With `API_LIST_STATEMENTS_VERIFY` (under pytest) a kept statement is compiled again and must be
    the same, so that a key that misses something the statement depends on fails loudly."""
    statement = _statements.get(key) if key is not None else None
    if statement is not None and not getattr(settings, "API_LIST_STATEMENTS_VERIFY", False):
        return statement
    fresh = compile_fresh()
    if fresh is None:
        return None
    if statement is not None:
        if not statement.same(fresh):
            raise AssertionError(f"a cached list statement differs from the compiled one: {key!r}")
        return statement  # the kept one, with what it keeps (a count), as without the check
    if key is not None:
        _statements.put(key, fresh)
    return fresh


class FastListMixin:
    """`list` through `RowWriter`: the same filters, ordering, pagination and output as DRF's
    `ListModelMixin`, read with `values()`. The list's serializer declares `ROW_FIELDS` and
    `row_fields(context)` for its fields without a column. A paginator other than page-number or
    limit-offset (one that reads the rows' attributes, like a cursor) gets DRF's own list.

    `scoped_queryset` may depend on the tenant, the user and the user's `client_id` (the client a
    client user is limited to), which are in the statement's key; a list whose rows depend on more
    returns it from `statement_scope`."""

    pagination_class = ListPagination

    def statement_scope(self):
        return getattr(self, "client_id", None)

    def statement_key(self, request, paginator):
        paging = {getattr(paginator, name, None) for name in (
            "page_query_param", "page_size_query_param", "limit_query_param", "offset_query_param")}
        return statement_key(self, request, paging=paging)

    def list_statement(self, request, paginator, lookups):
        rows: list[_Rows] = []

        def fresh():
            rows.append(_Rows(self.filter_queryset(self.get_queryset()), lookups))
            return _Statement.of(rows[0])

        statement = reused(self.statement_key(request, paginator), fresh)
        return statement if statement is not None else rows[0]

    def list(self, request, *args, **kwargs):
        paginator = self.paginator
        if paginator is not None and not isinstance(paginator, (PageNumberPagination, LimitOffsetPagination)):
            return super().list(request, *args, **kwargs)
        writer = row_writer(self.get_serializer_class())
        if paginator is None:
            queryset = self.filter_queryset(self.get_queryset())
            return Response(writer.write(queryset.values(*writer.lookups), self.get_serializer_context()))
        page = self.paginate_queryset(self.list_statement(request, paginator, writer.lookups))
        return self.get_paginated_response(writer.write(page, self.get_serializer_context()))
