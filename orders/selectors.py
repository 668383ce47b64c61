"""Reads of orders shared by pages, the API and reports; each loads what its caller touches."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BooleanField, Prefetch
from django.db.models.expressions import RawSQL

from contracts.models import Client, Contract
from sla.models import SLAClock

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


def order_page_rows(ids: list[int], *, client_id: int | None = None) -> list[Order]:
    """The orders of a list page, in the order of `ids`, with their clocks and the contract, client,
    team and assignee the page's table shows: the names read by the subqueries of `order_api_rows`
    (not a six-table join, which PostgreSQL takes longer to plan than to run) and set on each order
    as unsaved instances holding only those names."""
    if not ids:
        return []
    user_model = get_user_model()
    orders = order_api_rows(client_id=client_id).filter(pk__in=ids).prefetch_related(
        Prefetch("clocks", queryset=SLAClock.objects.select_related("calendar").order_by("metric")))
    found = {}
    for order in orders:
        order.contract = Contract(pk=order.contract_id, tenant_id=order.tenant_id, number=order.row_contract_number)
        order.client = Client(pk=order.client_id, tenant_id=order.tenant_id, name=order.row_client_name)
        order.team = (Team(pk=order.team_id, tenant_id=order.tenant_id, name=order.row_team_name)
                      if order.team_id is not None else None)
        order.assignee = (user_model(pk=order.assignee_id, username=order.row_assignee_username,
                                     first_name=order.row_assignee_first_name, last_name=order.row_assignee_last_name)
                          if order.assignee_id is not None else None)
        found[order.pk] = order
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
