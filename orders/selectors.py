"""Reads of orders shared by pages, the API and reports; each loads what its caller touches."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, Prefetch
from django.db.models.expressions import RawSQL
from django.utils.encoding import force_str

from contracts.models import Client, Contract
from sla.models import SLAClock
from tenancy.api_rows import compiled, reused
from tenancy.context import current_tenant_id

from .models import Order, OrderAttachment, OrderComment, OrderEvent, Team, TeamMember


def order_list(*, client_id: int | None = None):
    """Orders with contract, client, team and people loaded and their clocks prefetched. The
    order's own `next_due_at` and `is_breached` columns (kept by the database) sort and filter.

    `client_id` limits a client-side user to their client's orders.
    """
    queryset = (
        Order.objects.select_related("contract", "client", "team", "assignee", "reported_by")
        .prefetch_related(Prefetch("clocks", queryset=SLAClock.objects.select_related("calendar").order_by("metric")))
    )
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    return queryset


_PERSON = ("username", "first_name", "last_name")


def order_api_list(*, client_id: int | None = None):
    """`order_list` loading only the columns the API renders of the related rows (a contract row
    is wide; the list needs its number)."""
    return order_list(client_id=client_id).only(
        *[field.name for field in Order._meta.concrete_fields],
        "contract__number", "contract__state",  # django-fsm reads the state of every contract it loads
        "client__name", "team__name",
        *[f"{person}__{name}" for person in ("assignee", "reported_by") for name in _PERSON],
    )


# What the API list shows of each order's related rows, as (annotation, model, the order's column, field).
ROW_NAMES = (
    ("row_contract_number", Contract, "contract_id", "number"),
    ("row_client_name", Client, "client_id", "name"),
    ("row_team_name", Team, "team_id", "name"),
    *[(f"row_{person}_{name}", get_user_model(), f"{person}_id", name)
      for person in ("assignee", "reported_by") for name in _PERSON],
)


def _row_name_sql(model, column: str, field: str) -> str:
    """`(SELECT field FROM model's table WHERE id = the order's column)`: the same row the foreign key
    joins (the keys are composite with the tenant, so it is the order's tenant's row; row-level
    security applies to it as to a join)."""
    quote, meta = connection.ops.quote_name, model._meta
    target, table, key = quote(meta.get_field(field).column), quote(meta.db_table), quote(meta.pk.column)
    order = f"{quote(Order._meta.db_table)}.{quote(column)}"
    return f"(SELECT {target} FROM {table} WHERE {key} = {order})"  # noqa: S608 — the models' own names


def order_api_rows(*, client_id: int | None = None):
    """The orders of the API list with the names it shows of their contract, client, team and
    people as scalar subqueries (`ROW_NAMES`), for `values()` rows. Read through subqueries, not
    joins: PostgreSQL plans a six-table join under row-level security in milliseconds, far longer
    than it runs it; a subquery per name is planned in a fraction of that and reads one index entry.
    Written as SQL once per process: the ORM would build and compile nine subqueries per query."""
    queryset = Order.objects.all()
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    return queryset.annotate(**{name: RawSQL(sql, ()) for name, sql in _row_names_sql().items()})  # noqa: S611


def with_files_flag(queryset):
    """The API list's orders with `row_has_files`: whether the order has any attachment (internal or
    not), so that a page none of whose orders has one skips the files query."""
    quote = connection.ops.quote_name
    files, orders = quote(OrderAttachment._meta.db_table), quote(Order._meta.db_table)
    column = quote(OrderAttachment._meta.get_field("order").column)
    sql = f"EXISTS (SELECT 1 FROM {files} WHERE {files}.{column} = {orders}.{quote('id')})"  # noqa: S608
    return queryset.annotate(row_has_files=RawSQL(sql, (), output_field=BooleanField()))  # noqa: S611


_ROW_NAMES_SQL: dict[str, str] = {}


def _row_names_sql() -> dict[str, str]:
    if not _ROW_NAMES_SQL:
        _ROW_NAMES_SQL.update({name: _row_name_sql(model, column, field) for name, model, column, field in ROW_NAMES})
    return _ROW_NAMES_SQL


_PAGE_IDS = object()  # a page's order ids, in a statement compiled once: one array parameter
PAGE_VALUES = ("id", "number", "kind", "title", "priority", "state", "contract_id", "client_id", "team_id",
               "assignee_id", "reported_at", "next_due_at", "row_contract_number", "row_client_name", "row_team_name",
               "row_assignee_username", "row_assignee_first_name", "row_assignee_last_name")
PAGE_CLOCK_VALUES = ("order_id", "metric", "calendar_id", "started_at", "due_at", "warn_at", "paused_since", "pauses",
                     "warned_at", "stopped_at", "breached_at", "target")
CALENDAR_VALUES = ("name", "time_zone", "always_on", "working_hours", "holiday_country", "extra_days_off")
_JOINED_CALENDAR = tuple(f"calendar__{name}" for name in CALENDAR_VALUES)


def _by_page_ids(make_values, id_column: str, key: tuple, ids: list[int]) -> list[dict]:
    """The `values()` rows of the queryset `make_values()` whose `id_column` is one of `ids`. On
    PostgreSQL the statement is built and compiled once per process under `key` (`tenancy.api_rows.reused`; the key names the tenant and
    anything else the queryset depends on) and prepared once per connection, the ids one array
    parameter (`= ANY(%s)`); elsewhere the ORM's `IN`."""
    if connection.vendor != "postgresql":
        return list(make_values().filter(**{f"{id_column}__in": ids}))

    def fresh():
        queryset = make_values()
        column = f"{connection.ops.quote_name(queryset.model._meta.db_table)}.{connection.ops.quote_name(id_column)}"
        page = RawSQL(f"{column} = ANY(%s)", (_PAGE_IDS,), output_field=BooleanField())  # noqa: S611
        return compiled(queryset.filter(page))

    statement = reused(key, fresh)
    return statement.run(statement.sql, [list(ids) if param is _PAGE_IDS else param for param in statement.params])


def page_clock_rows(ids: list[int]) -> list[dict]:
    """The clocks of a page's orders with their calendars' stored values, as `values()` rows."""

    def clocks():
        return SLAClock.objects.order_by().values(*PAGE_CLOCK_VALUES, *_JOINED_CALENDAR)

    return _by_page_ids(clocks, "order_id", ("orders page clocks", current_tenant_id()), ids)


class PageOrder(SimpleNamespace):
    """An order of a list page (`order_page_rows`): what the orders table shows of it, read as values
    (a model instance per order, contract, client, team, person and clock cost the page more than
    its queries)."""

    def get_priority_display(self) -> str:
        return _display("priority", self.priority)

    def get_state_display(self) -> str:
        return _display("state", self.state)


class _Person(SimpleNamespace):
    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_username(self) -> str:
        return self.username


def _display(field: str, value) -> str:
    """`Model.get_FOO_display` of an order's field."""
    return force_str(dict(Order._meta.get_field(field).flatchoices).get(value, value), strings_only=True)


def order_page_rows(ids: list[int], *, client_id: int | None = None) -> list[PageOrder]:
    """The orders of a list page, in the order of `ids`, with what the orders table shows: the names
    of their contract, client, team and assignee (the subqueries of `order_api_rows`, not a six-table
    join, which PostgreSQL takes longer to plan than to run) and their clocks as `page_clocks`, in
    two statements compiled once per process and tenant."""
    if not ids:
        return []
    rows = _by_page_ids(lambda: order_api_rows(client_id=client_id).order_by().values(*PAGE_VALUES), "id",
                        ("orders page rows", current_tenant_id(), client_id), ids)
    clocks: dict[int, list] = {}
    for clock in page_clock_rows(ids):
        clocks.setdefault(clock["order_id"], []).append(SimpleNamespace(**clock))
    found = {}
    for row in rows:
        assignee = (_Person(username=row["row_assignee_username"], first_name=row["row_assignee_first_name"],
                            last_name=row["row_assignee_last_name"]) if row["assignee_id"] is not None else None)
        found[row["id"]] = PageOrder(
            **{name: row[name] for name in PAGE_VALUES if not name.startswith("row_")}, pk=row["id"],
            contract=SimpleNamespace(pk=row["contract_id"], number=row["row_contract_number"]),
            client=row["row_client_name"], team=row["row_team_name"], assignee=assignee,
            page_clocks=clocks.get(row["id"], []))
    return [found[pk] for pk in ids if pk in found]


def order_get(*, order_id, client_id: int | None = None) -> Order:
    """One order of the current tenant (and of `client_id`, for a client user); DoesNotExist otherwise."""
    return order_list(client_id=client_id).get(pk=order_id)


def order_timeline(*, order: Order, client_view: bool):
    """The order's history, oldest first; a client sees only the client-visible events."""
    queryset = OrderEvent.objects.filter(order=order).select_related("actor").order_by("at", "id")
    if client_view:
        queryset = queryset.filter(client_visible=True)
    return queryset


def order_comments(*, order: Order, client_view: bool):
    """Comments, oldest first; a client never sees internal ones."""
    queryset = OrderComment.objects.filter(order=order).select_related("author").order_by("created_at", "id")
    if client_view:
        queryset = queryset.filter(internal=False)
    return queryset


def team_list():
    return Team.objects.select_related("provider").prefetch_related(
        Prefetch("memberships", queryset=TeamMember.objects.select_related("user").order_by("user__username"))
    ).order_by("name", "id")


def order_attachments(*, order: Order | None = None, client_view: bool):
    """Attachments with their uploader, oldest first; a client never sees internal ones.

    Without `order`, the queryset to prefetch onto a list of orders.
    """
    queryset = OrderAttachment.objects.select_related("uploaded_by").order_by("uploaded_at", "id")
    if order is not None:
        queryset = queryset.filter(order=order)
    if client_view:
        queryset = queryset.filter(internal=False)
    return queryset


def order_attachment_get(*, order: Order, attachment_id, client_view: bool) -> OrderAttachment:
    """One attachment of `order` the caller may see; DoesNotExist for another order's, or an
    internal one asked for by a client user."""
    return order_attachments(order=order, client_view=client_view).get(pk=attachment_id)


def with_attachments(orders, *, client_view: bool):
    """`orders` with the attachments the caller may see prefetched as `visible_attachments`."""
    return orders.prefetch_related(
        Prefetch("attachments", queryset=order_attachments(client_view=client_view), to_attr="visible_attachments")
    )
