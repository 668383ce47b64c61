"""Keyset ("cursor") pages: a page is an index range after the last row seen, never an OFFSET.

A list sorted by one field pages by that field's value and the row's id (the tie-breaker), so the
cost of a page is the same on the first page and the ten-thousandth, and a row added or removed
while someone pages never shifts the rows they have not seen yet. A field that may be empty sorts
its empty values last, newest first: the order is two *segments*, the rows with a value (by value,
then id, in the sort's direction) and then the rows without one (by id, descending). Each segment
is one indexed range (`(tenant, field, id)`), which is why they are queried apart.

The position travels as an opaque, signed token (`?cursor=`): it names the sort it belongs to, so a
token from another sort, an edited token or one signed with an old key is refused with a 400
naming the parameter (`InvalidCursor`) rather than answered from a full scan.

- `Sort.parse("-reported_at", Order)` — a sort term of a model;
- `keyset_page(queryset, sort=…, cursor=…, size=…)` — one page: rows, `next` and `previous` tokens;
- `capped_count(queryset)` — "how many", counted no further than a person reads;
- `KeysetPagination` — the same for the REST API (`?cursor=`, `?page_size=`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import replace_query_param

from .api_paging import MAX_PAGE_SIZE, PAGE_SIZE_PARAM, page_size_of, page_size_parameter

if TYPE_CHECKING:
    from .api_rows import CompiledValues

SALT = "tenancy.keyset"
COUNT_CAP = 1000


class InvalidCursor(exceptions.ValidationError):
    """A `cursor` that was not issued for this list and sort (edited, stale, another sort's)."""

    def __init__(self, param: str = "cursor"):
        super().__init__({param: [gettext(
            "This cursor is not valid for this list: use the `next` or `previous` link of the list as it was "
            "given, with the same ordering."
        )]})


@dataclass(frozen=True)
class Sort:
    """One sort field of a model, with the row's id as the tie-breaker."""

    field: str
    descending: bool = False
    nullable: bool = False
    python: Any = field(default=None, compare=False, repr=False)  # the model field, to read values back

    @classmethod
    def parse(cls, term: str, model) -> Sort:
        name = term.lstrip("-")
        model_field = model._meta.get_field(name)
        return cls(field=name, descending=term.startswith("-"), nullable=bool(model_field.null), python=model_field)

    @property
    def term(self) -> str:
        return ("-" if self.descending else "") + self.field

    # --- segments --------------------------------------------------------------------------

    @property
    def segments(self) -> int:
        return 2 if self.nullable else 1

    def segment(self, queryset: QuerySet, index: int) -> QuerySet:
        if not self.nullable:
            return queryset
        return queryset.filter(**{f"{self.field}__isnull": index == 1})

    def order(self, index: int, *, backwards: bool = False) -> list:
        """The ORDER BY of a segment (reversed when paging backwards)."""
        if index == 1:  # the empty values: newest first
            # By the (empty) field too, although it is the same for every row of the segment: so the
            # order is the one of the (…, field, id) index read backwards, which PostgreSQL then reads
            # for the page. Ordered by the id alone, it walks the primary key and filters, which for
            # a filter with no empty values (every order in progress has a due time) is the whole table.
            if backwards:
                return [F(self.field).asc(nulls_last=True), "id"]
            return [F(self.field).desc(nulls_first=True), "-id"]
        descending = self.descending != backwards
        if descending:
            return [F(self.field).desc(), "-id"]
        return [F(self.field).asc(), "id"]

    def position(self, index: int, row) -> list:
        if index == 1:
            return [row.pk]
        return [_plain(getattr(row, self.field)), row.pk]

    def beyond(self, index: int, position: list, *, backwards: bool = False) -> Q:
        """The rows of a segment strictly after `position` in its order (before, backwards).

        Written as `f >= v AND (f > v OR (f = v AND id > i))`, which an index on (…, f, id) reads
        as one range starting at v."""
        if index == 1:
            (pk,) = position
            return Q(id__gt=pk) if backwards else Q(id__lt=pk)
        value, pk = position
        later = not self.descending != backwards  # ascending and forwards, or descending and backwards
        strict, loose, after_id = ("gt", "gte", "gt") if later else ("lt", "lte", "lt")
        return Q(**{f"{self.field}__{loose}": value}) & (
            Q(**{f"{self.field}__{strict}": value}) | Q(**{self.field: value, f"id__{after_id}": pk}))

    # --- tokens ----------------------------------------------------------------------------

    def token(self, index: int, position: list, *, backwards: bool = False, scope: str = "") -> str:
        return signing.dumps({"o": self.term, "q": scope, "s": index, "p": position, "b": int(backwards)},
                             salt=SALT, compress=False)

    def read(self, token: str, *, scope: str = "", param: str = "cursor") -> tuple[int, list, bool]:
        """(segment, position, backwards) of a token issued for this sort, or InvalidCursor."""
        if len(token) > 1000:
            raise InvalidCursor(param)
        try:
            data = signing.loads(token, salt=SALT)
            if data["o"] != self.term or data.get("q", "") != scope:
                raise ValueError("another sort's cursor")
            index, position, backwards = int(data["s"]), list(data["p"]), bool(data["b"])
            if index not in range(self.segments) or len(position) != (1 if index == 1 else 2):
                raise ValueError("malformed position")
            pk = int(position[-1])
            if index == 1:
                return index, [pk], backwards
            value = None if position[0] is None else self.python.to_python(position[0])
            if value is None:
                raise ValueError("an empty value in the valued segment")
            return index, [value, pk], backwards
        except (signing.BadSignature, KeyError, TypeError, ValueError, AttributeError, OverflowError,
                DjangoValidationError) as exc:
            raise InvalidCursor(param) from exc


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


@dataclass
class KeysetPage:
    rows: list
    next: str | None
    previous: str | None

    @property
    def has_other_pages(self) -> bool:
        return bool(self.next or self.previous)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


class KeysetBase:
    """A list's rows compiled once (`tenancy.api_rows.CompiledValues`): `SELECT <values> FROM …
    WHERE <scope and filters>`. A segment's rows are that statement as a subquery, with the segment,
    the position and the order written around it — the same conditions and order `Sort` gives the
    ORM, on the subquery's columns, which PostgreSQL pulls up into one query and reads from the same
    index. The sort's field and `id` must be among the values."""

    def __init__(self, values: CompiledValues):
        self.statement = values

    def same(self, other: KeysetBase) -> bool:
        return self.statement.same(other.statement)

    def rows(self, sort: Sort, index: int, position: list | None, *, backwards: bool, limit: int) -> list[dict]:
        return self.statement.run(*self.sql(sort, index, position, backwards=backwards, limit=limit))

    def sql(self, sort: Sort, index: int, position: list | None, *, backwards: bool, limit: int) -> tuple[str, list]:
        """A segment's page: (SQL, parameters)."""
        from django.db import connections

        connection = connections[self.statement.db]
        quote = connection.ops.quote_name
        column, pk = f"_k.{quote(sort.field)}", f"_k.{quote('id')}"
        where, params = [], list(self.statement.params)
        if sort.nullable:
            where.append(f"{column} IS NULL" if index == 1 else f"{column} IS NOT NULL")
        if position is not None and index == 1:
            where.append(f"{pk} > %s" if backwards else f"{pk} < %s")
            params.append(position[0])
        elif position is not None:
            value = sort.python.get_db_prep_value(position[0], connection, prepared=False)
            later = not sort.descending != backwards
            strict, loose, after = (">", ">=", ">") if later else ("<", "<=", "<")
            where.append(f"{column} {loose} %s AND ({column} {strict} %s OR ({column} = %s AND {pk} {after} %s))")
            params += [value, value, value, position[1]]
        if index == 1:
            order = f"{column} ASC NULLS LAST, {pk} ASC" if backwards else f"{column} DESC NULLS FIRST, {pk} DESC"
        else:
            direction = "DESC" if sort.descending != backwards else "ASC"
            order = f"{column} {direction}, {pk} {direction}"
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        return f"SELECT * FROM ({self.statement.sql}) _k{condition} ORDER BY {order} LIMIT {int(limit)}", params  # noqa: S608


def _segment_rows(source, sort: Sort, index: int, position: list | None, *, backwards: bool, wanted: int,
                  keys: tuple[str, ...]) -> list[dict]:
    if isinstance(source, KeysetBase):
        return source.rows(sort, index, position, backwards=backwards, limit=wanted)
    rows = sort.segment(source, index)
    if position is not None:
        rows = rows.filter(sort.beyond(index, position, backwards=backwards))
    return list(rows.order_by(*sort.order(index, backwards=backwards)).values(*keys)[:wanted])


def keyset_page(queryset: QuerySet | KeysetBase, *, sort: Sort, cursor: str | None = None, size: int,
                scope: str = "", param: str = "cursor", values: tuple[str, ...] | None = None) -> KeysetPage:
    """One page of `queryset` in `sort`'s order, after (or before) the position in `cursor`.

    The positions come first, from one index range per segment (each segment is always asked, so
    the number of queries never depends on where the page falls); then the page's rows are loaded
    by id with the queryset's joins and prefetches, once. With `values` (which name `id` and the
    sort's field), the segments' queries read those values and the rows are those dictionaries: no
    second query, no model instances. `scope` binds the tokens to more than the sort (e.g. a
    parent object), so that a token is refused elsewhere. A `KeysetBase` instead of a queryset is
    the list's rows compiled once (it gives the values' rows)."""
    start, position, backwards = (0, None, False) if not cursor else sort.read(cursor, scope=scope, param=param)
    compiled = isinstance(queryset, KeysetBase)
    bare = queryset if compiled else queryset.select_related(None).prefetch_related(None)
    keys = tuple(values) if values else ("id", sort.field)
    found: list[tuple[int, list, dict]] = []
    for index in (range(start, -1, -1) if backwards else range(start, sort.segments)):
        wanted = max(size + 1 - len(found), 1)  # asked even when full: the same queries on every page
        for row in _segment_rows(bare, sort, index, position if index == start else None, backwards=backwards,
                                 wanted=wanted, keys=keys):
            found.append((index, [row["id"]] if index == 1 else [_plain(row[sort.field]), row["id"]], row))
    found = found[: size + 1]
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
    if values or compiled:
        rows = [row for _, _, row in found]
    else:
        ids = [row["id"] for _, _, row in found]
        loaded = {item.pk: item for item in queryset.filter(pk__in=ids)} if ids else {}
        rows = [loaded[pk] for pk in ids if pk in loaded]
    found = [(index, where) for index, where, _ in found]
    first = sort.token(found[0][0], found[0][1], backwards=True, scope=scope) if found else None
    last = sort.token(found[-1][0], found[-1][1], scope=scope) if found else None
    if backwards:
        # going back: what follows this page is where we came from; more before it if we found more
        return KeysetPage(rows, next=last or _flipped(sort, start, position, backwards, scope), previous=first if more else None)
    return KeysetPage(rows, next=last if more else None,
                      previous=(first or _flipped(sort, start, position, backwards, scope)) if cursor else None)


def _flipped(sort: Sort, index: int, position: list | None, backwards: bool, scope: str) -> str | None:
    """The cursor's own position facing the other way: an empty page's way back to where it was reached."""
    if position is None:
        return None
    return sort.token(index, [_plain(value) for value in position], backwards=not backwards, scope=scope)


def capped_count(queryset: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """How many rows, counted up to `cap`: (count, more). A person reads "1,000+", not the exact
    size of a tenant's history, and the count costs at most `cap` index entries."""
    count = queryset.order_by()[: cap + 1].count()
    return min(count, cap), count > cap


def kept_counts(queryset: QuerySet, **counts) -> dict:
    """`queryset.aggregate(count=Count("pk"), **counts)`, kept in the shared cache for
    `COUNT_KEPT_SECONDS` when `count` is `LARGE_COUNT` or more, as the API keeps its lists' long
    counts: a page-number list of a tenant's whole history (120,000 breaches) would otherwise read
    every row's index entry at every page. The key is the rows' SQL and parameters, so each filter
    and each tenant counts on its own; a short list is counted at every request."""
    from django.core.cache import cache
    from django.db.models import Count

    from .api_rows import COUNT_KEPT_SECONDS, LARGE_COUNT

    rows = queryset.order_by()
    sql, params = rows.query.sql_with_params()
    key = "kept-counts:" + hashlib.sha256(repr((sql, params, sorted(counts))).encode()).hexdigest()
    kept = cache.get(key)
    if kept is not None:
        return kept
    figures = rows.aggregate(count=Count("pk"), **counts)
    if figures["count"] >= LARGE_COUNT:
        cache.set(key, figures, COUNT_KEPT_SECONDS)
    return figures


# --- the REST API --------------------------------------------------------------------------------


class KeysetPagination(BasePagination):
    """`?cursor=` pages for API lists: `{"next": url|null, "previous": url|null, "results": [...]}`.

    The view's `?ordering=` (one field, default the view's `ordering[0]`) is the sort; `page_size`
    is 1–200 (default 50). The `next` link walks the whole list, however long, at the same cost per page.
    A page number (`?page=`, how the other lists page) is a 400 naming it, not the first page again.
    """

    page_size = api_settings.PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"
    page_size_query_param = PAGE_SIZE_PARAM
    ordering_param = "ordering"
    page_number_param = "page"  # refused: see `paginate_queryset`
    refused_query_params = (page_number_param,)  # answered here, not as an unknown parameter (tenancy.api_query)

    def sort_for(self, request, view) -> Sort:
        raw = request.query_params.get(self.ordering_param) or ""
        terms = [term.strip() for term in raw.split(",") if term.strip()] or list(view.ordering[:1])
        if len(terms) != 1:
            raise exceptions.ValidationError({self.ordering_param: [gettext(
                "This list is ordered by one field at a time (its pages follow that field).")]})
        return Sort.parse(terms[0], view.model)

    def size_for(self, request) -> int:
        return page_size_of(request, self)

    def paginate_queryset(self, queryset, request, view=None, values: tuple[str, ...] | None = None):
        """The page's rows: model instances, or with `values` those values as dictionaries."""
        self.request = request
        if request.query_params.get(self.page_number_param) not in (None, ""):
            # the other lists' page number: answered here with the first page, a client that
            # pages by number would read it again and again
            raise exceptions.ValidationError({self.page_number_param: [gettext(
                "This list pages by cursor: follow its `next` link (the `cursor` parameter), not a page number.")]})
        self.page = keyset_page(queryset, sort=self.sort_for(request, view), size=self.size_for(request),
                                cursor=request.query_params.get(self.cursor_query_param) or None,
                                param=self.cursor_query_param, values=values)
        return self.page.rows

    def _link(self, token: str | None) -> str | None:
        if token is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, token)

    def get_paginated_response(self, data):
        return Response({"next": self._link(self.page.next), "previous": self._link(self.page.previous),
                         "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri",
                         "description": str(_("The next page; null on the last one."))},
                "previous": {"type": "string", "nullable": True, "format": "uri",
                             "description": str(_("The page before; null on the first one."))},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.cursor_query_param, "required": False, "in": "query",
             "description": str(_("Where the page starts: the `cursor` of a `next` or `previous` link, as given.")),
             "schema": {"type": "string"}},
            page_size_parameter(self),
        ]
