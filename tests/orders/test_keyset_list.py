"""The order list at scale: the columns the database keeps, keyset pages through the API and the
pages, and what a wrong cursor or page size gets."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import unquote

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from sla import services as sla_services
from tests.conftest import postgres_only
from tests.contracts.api_support import active_contract, assert_error
from tests.support import raise_order

from .api_support import move, session_as

ORDERS = "/api/v1/orders/"
PRIORITIES = ["low", "normal", "high", "critical"]


def _orders(world, n: int = 9) -> list[Order]:
    """`n` orders with different due times; every third cancelled (no running clock)."""
    contract = active_contract(world)
    orders = []
    for i in range(n):
        order = raise_order(world, contract, actor=world.engineer, priority=PRIORITIES[i % 4], title=f"Order {i}")
        if i % 3 == 2:
            order = move(world, order, ("cancel", world.engineer))
        orders.append(order)
    return orders


def _expected_due_order(world) -> list[int]:
    with world.context():
        rows = list(Order.objects.values_list("pk", "next_due_at"))
    valued = sorted((due, pk) for pk, due in rows if due is not None)
    return [pk for _due, pk in valued] + sorted((pk for pk, due in rows if due is None), reverse=True)


def _walk(api, url, params) -> tuple[list[int], list[dict]]:
    seen, pages = [], []
    response = api.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append(body)
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            return seen, pages
        response = api.get(body["next"])


def test_the_database_keeps_next_due_and_breached_on_the_order(world_a):
    orders = _orders(world_a, 3)
    with world_a.context():
        for order in Order.objects.prefetch_related("clocks"):
            running = [c.due_at for c in order.clocks.all() if c.stopped_at is None and c.due_at is not None]
            assert order.next_due_at == (min(running) if running else None)
            assert order.is_breached is False
        first = Order.objects.get(pk=orders[0].pk)
        due = first.next_due_at
    # the sweep past every due time breaches the clocks: the order says so at once
    sla_services.sla_sweep(now=due + dt.timedelta(days=400))
    with world_a.context():
        first = Order.objects.get(pk=orders[0].pk)
        assert first.is_breached is True
    # a copy read before the breach and saved afterwards does not write the old values back
    stale = orders[0]
    assert stale.is_breached is False
    with world_a.context():
        stale.title = "Renamed"
        stale.save()
        assert Order.objects.get(pk=stale.pk).is_breached is True


def test_api_pages_walk_every_order_once_in_due_order_and_back(world_a, api_as):
    _orders(world_a)
    api = api_as(world_a, user=world_a.engineer)
    seen, pages = _walk(api, ORDERS, {"page_size": 2})
    assert seen == _expected_due_order(world_a)
    assert len(pages) == 5 and pages[0]["previous"] is None
    # and back from the last page, by the `previous` links
    back, body = [], pages[-1]
    back = [row["id"] for row in body["results"]]
    while body["previous"]:
        body = api.get(body["previous"]).json()
        back = [row["id"] for row in body["results"]] + back
    assert back == seen


@pytest.mark.parametrize("ordering", ["-next_due_at", "reported_at", "-reported_at", "number", "-desired_deadline"])
def test_api_pages_follow_each_ordering(world_a, api_as, ordering):
    _orders(world_a, 7)
    api = api_as(world_a, user=world_a.engineer)
    everything = [row["id"] for row in api.get(ORDERS, {"ordering": ordering, "page_size": 200}).json()["results"]]
    seen, _pages = _walk(api, ORDERS, {"ordering": ordering, "page_size": 3})
    assert seen == everything and sorted(seen) == sorted(set(seen)) and len(seen) == 7


def test_filters_page_the_same_way(world_a, api_as):
    orders = _orders(world_a)
    api = api_as(world_a, user=world_a.engineer)
    seen, _pages = _walk(api, ORDERS, {"state": "cancelled", "page_size": 1})
    assert seen == sorted((o.pk for o in orders[2::3]), reverse=True)


@pytest.mark.parametrize("size", ["0", "-1", "10000", "abc", "1.5"])
def test_a_page_size_out_of_range_is_a_400_naming_it(world_a, api_as, size):
    body = assert_error(api_as(world_a).get(ORDERS, {"page_size": size}), 400)
    assert body["errors"][0]["field"] == "page_size"


def test_a_tampered_or_foreign_cursor_is_a_400_naming_it(world_a, api_as):
    _orders(world_a, 4)
    api = api_as(world_a, user=world_a.engineer)
    token = unquote(api.get(ORDERS, {"page_size": 1}).json()["next"].split("cursor=")[1].split("&")[0])
    for cursor in ["junk", token[:-3] + "abc", "x" * 5000]:
        body = assert_error(api.get(ORDERS, {"cursor": cursor}), 400)
        assert body["errors"][0]["field"] == "cursor"
    # a cursor of one ordering does not page another
    assert api.get(ORDERS, {"cursor": token, "page_size": 1}).status_code == 200
    body = assert_error(api.get(ORDERS, {"cursor": token, "ordering": "-reported_at"}), 400)
    assert body["errors"][0]["field"] == "cursor"


def test_two_ordering_fields_are_a_400_naming_ordering(world_a, api_as):
    body = assert_error(api_as(world_a).get(ORDERS, {"ordering": "state,-reported_at"}), 400)
    assert body["errors"][0]["field"] == "ordering"


def test_another_tenants_orders_never_appear_on_any_page(world_a, world_b, api_as):
    _orders(world_a, 4)
    theirs = _orders(world_b, 4)
    seen, _pages = _walk(api_as(world_a, user=world_a.engineer), ORDERS, {"page_size": 1})
    assert len(seen) == 4 and not set(seen) & {o.pk for o in theirs}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_orders_page_pages_by_cursor_and_counts(world_a, language):
    _orders(world_a, 30)
    client = session_as(world_a.engineer)
    url = reverse("orders:order-list")
    first = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert first.status_code == 200 and len(first.context["page"].rows) == 25
    assert first.context["count"] == 30 and first.context["count_more"] is False
    second = client.get(url, {"cursor": first.context["page"].next}, HTTP_ACCEPT_LANGUAGE=language)
    rows = [o.pk for o in first.context["page"]] + [o.pk for o in second.context["page"]]
    assert rows == _expected_due_order(world_a) and second.context["page"].next is None
    # an expired link shows the first page with a word, not an error
    stale = client.get(url, {"cursor": "junk"}, HTTP_ACCEPT_LANGUAGE=language)
    assert stale.status_code == 200 and [o.pk for o in stale.context["page"]] == rows[:25]


@postgres_only("query plans of PostgreSQL")
def test_the_default_list_is_an_index_range_not_a_sort_of_the_table(world_a, api_as):
    """The plan of the first page reads the (tenant, next_due_at, id) index in order and stops."""
    _orders(world_a, 3)
    with world_a.context(), connection.cursor() as cursor:
        queryset = Order.objects.filter(next_due_at__isnull=False).order_by("next_due_at", "id")[:51]
        sql, params = queryset.query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: make the planner show its index path
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "order_due" in plan and "Sort" not in plan, plan


INDEX_OF_FILTER = {"": "order_due", "state": "order_state_due", "contract_id": "order_contract_due",
                   "client_id": "order_client_due", "team_id": "order_team_due", "assignee_id": "order_assignee_due",
                   "is_breached": "order_breached_due"}


@postgres_only("query plans of PostgreSQL")
@pytest.mark.parametrize("backwards", [False, True], ids=["forwards", "backwards"])
@pytest.mark.parametrize("segment", [0, 1], ids=["with-due", "without-due"])
@pytest.mark.parametrize("name", list(INDEX_OF_FILTER))
def test_each_filter_pages_each_segment_along_its_own_index(world_a, name, segment, backwards):
    """Both segments of the default sort read the filter's (tenant, filter, next_due_at, id) index in
    order. The segment without a due time once walked the primary key and filtered: with no such
    order in the filter (every order in progress has a due time), that read the tenant's whole table
    (1.4 s at 500,000 orders)."""
    from tenancy.keyset import Sort

    orders = _orders(world_a, 3)
    value = {"": None, "state": "in_progress", "contract_id": orders[0].contract_id, "client_id": orders[0].client_id,
             "team_id": 1, "assignee_id": 1, "is_breached": True}[name]
    sort = Sort.parse("next_due_at", Order)
    with world_a.context(), connection.cursor() as cursor:
        queryset = sort.segment(Order.objects.filter(**({name: value} if name else {})), segment)
        sql, params = queryset.order_by(*sort.order(segment, backwards=backwards)).values("id")[:51].query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few rows: make the planner show its index path
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # the filter's own index; for the breached flag on a few rows the planner may as well take
    # (tenant, next_due_at, id) and filter the flag: still a range of the sort's index, in order
    expected = {INDEX_OF_FILTER[name], "order_due"} if name == "is_breached" else {INDEX_OF_FILTER[name]}
    assert re.search(r"using (\w+) on orders_order", plan)[1] in expected and "Sort" not in plan, plan


@pytest.mark.parametrize("side", ["provider", "client"])
def test_the_lean_list_renders_exactly_what_the_order_serializer_renders(world_a, side):
    """The list builds its rows from plain values (orders.api.rows): they equal OrderSerializer's,
    for every kind of order (team and assignee, files, paused, stopped and breached clocks)."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory, force_authenticate

    from orders import selectors
    from orders import services as order_services
    from orders.api import rows as order_rows
    from orders.api.serializers import OrderSerializer

    from .api_support import TeamFactory
    from .test_attachments import pdf

    orders = _orders(world_a, 6)
    team = TeamFactory(tenant=world_a.tenant)
    with world_a.context(user=world_a.engineer):
        order_services.order_assign(order=orders[0], actor=world_a.engineer, team=team, assignee=world_a.engineer)
        order_services.order_attach(order=orders[1], actor=world_a.engineer, upload=pdf())
    move(world_a, orders[3], ("acknowledge", world_a.engineer), ("plan", world_a.engineer))
    move(world_a, orders[4], ("acknowledge", world_a.engineer), ("start_incident", world_a.engineer)) \
        if orders[4].kind == "incident" else None
    sla_services.sla_sweep(now=orders[5].reported_at + dt.timedelta(days=400))
    user = world_a.engineer if side == "provider" else world_a.client_admin
    request = APIRequestFactory().get(ORDERS)
    force_authenticate(request, user=user)
    request = Request(request)
    request.user = user
    now = orders[-1].reported_at + dt.timedelta(hours=1)
    with world_a.context(user=user):
        client_id = world_a.client.pk if side == "client" else None
        queryset = selectors.order_list(client_id=client_id).order_by("id")
        rows = selectors.with_files_flag(selectors.order_api_rows(client_id=client_id)).order_by("id").values(*order_rows.VALUES)  # as the view
        lean = order_rows.OrderRows(request=request, client_view=side == "client", now=now).render(list(rows))
        full = [dict(OrderSerializer(order, context={"request": request, "now": now, "calendars": {}}).data)
                for order in selectors.with_attachments(queryset, client_view=side == "client")]
    assert lean == full
    assert any(row["attachments"] for row in full) and any(row["breached"] for row in full)
    assert any(row["team_name"] and row["assignee_name"] for row in full) or side == "client"


def test_a_page_without_files_skips_the_files_query_and_a_page_with_one_shows_it(world_a, api_as):
    from django.test.utils import CaptureQueriesContext

    from orders import services as order_services

    from .test_attachments import pdf

    orders = _orders(world_a, 3)
    api = api_as(world_a)
    api.get(ORDERS)  # the key's resolution and the tenant's limits cached, as for the second request
    with CaptureQueriesContext(connection) as without:
        data = api.get(ORDERS).json()
    assert all(row["attachments"] == [] for row in data["results"])
    assert not any("orders_orderattachment" in q["sql"] and "EXISTS" not in q["sql"] for q in without)
    with world_a.context(user=world_a.engineer):
        order_services.order_attach(order=orders[1], actor=world_a.engineer, upload=pdf())
    with CaptureQueriesContext(connection) as with_one:
        data = api.get(ORDERS).json()
    shown = {row["id"]: row["attachments"] for row in data["results"]}
    assert [pk for pk, files in shown.items() if files] == [orders[1].pk]
    assert len(shown[orders[1].pk]) == 1
    assert len(with_one) == len(without) + 1


# --- the list's statement compiled once (tenancy.keyset.KeysetBase) ----------------------------


def _orm_list(monkeypatch):
    """The list as it is without the compiled statement: the ORM's segments."""
    from orders import selectors
    from orders.api.viewsets import OrderViewSet

    monkeypatch.setattr(OrderViewSet, "list_rows", lambda self, request: selectors.with_files_flag(
        self.filter_queryset(selectors.order_api_rows(client_id=self.client_id))))


def _walk_back(api, body) -> list[dict]:
    pages = [body]
    while body["previous"]:
        body = api.get(body["previous"]).json()
        pages.insert(0, body)
    return pages


@pytest.mark.parametrize("params", [
    {}, {"ordering": "-next_due_at"}, {"ordering": "reported_at"}, {"ordering": "-reported_at"},
    {"ordering": "number"}, {"ordering": "-desired_deadline"}, {"ordering": "state"}, {"state": "cancelled"},
    {"priority": "high"}, {"breached": "false"},
])
def test_the_compiled_list_answers_every_page_as_the_orm_does(world_a, api_as, monkeypatch, params):
    """Forwards and back, every page (rows, next and previous links) of the compiled statement equals
    the ORM's, for each sort (both segments of a nullable one) and filter. The clock stands still
    while both walk: a cursor is signed with the second it was made in, and a running clock's figures
    are those of now."""
    _orders(world_a, 7)
    with time_machine.travel(timezone.now(), tick=False):
        for user in (world_a.engineer, world_a.client_admin):
            api = api_as(world_a, user=user)
            compiled, compiled_pages = _walk(api, ORDERS, {**params, "page_size": 2})
            compiled_back = _walk_back(api, compiled_pages[-1])
            with monkeypatch.context() as patch:
                _orm_list(patch)
                orm, orm_pages = _walk(api, ORDERS, {**params, "page_size": 2})
                orm_back = _walk_back(api, orm_pages[-1])
            assert compiled == orm and compiled_pages == orm_pages and compiled_back == orm_back, params


def test_the_list_statement_is_compiled_once_for_all_its_pages(world_a, api_as, monkeypatch, settings):
    from tenancy import api_rows, keyset

    settings.API_LIST_STATEMENTS_VERIFY = False
    api_rows._statements.clear()
    built = []
    original = keyset.KeysetBase.__init__

    def counting(self, values):
        built.append(1)
        original(self, values)

    monkeypatch.setattr(keyset.KeysetBase, "__init__", counting)
    _orders(world_a, 7)
    api = api_as(world_a, user=world_a.engineer)
    seen, pages = _walk(api, ORDERS, {"page_size": 2})
    assert len(pages) == 4 and len(seen) == 7 and built == [1]
    _walk(api, ORDERS, {"page_size": 3, "ordering": "number"})  # another sort: its own statement
    assert built == [1, 1]
    _walk(api_as(world_a, user=world_a.client_admin), ORDERS, {"page_size": 2})  # another caller
    assert built == [1, 1, 1]
    api.get(ORDERS, {"search": "order"})
    api.get(ORDERS, {"search": "order"})  # a search follows its words' frequencies: never kept
    assert built == [1, 1, 1]
    api_rows._statements.clear()


@postgres_only("query plans of PostgreSQL")
@pytest.mark.parametrize("backwards", [False, True], ids=["forwards", "backwards"])
@pytest.mark.parametrize("segment", [0, 1], ids=["with-due", "without-due"])
@pytest.mark.parametrize("name", ["", "state", "client_id", "is_breached"])
def test_the_compiled_segments_read_the_same_index_as_the_orm(world_a, name, segment, backwards):
    """The compiled statement is a subquery with the segment, position and order around it:
    PostgreSQL pulls it up and reads the filter's index in order, as for the ORM's query."""
    from orders import selectors
    from orders.api import rows as order_rows
    from tenancy import prepared
    from tenancy.api_rows import compiled
    from tenancy.keyset import KeysetBase, Sort

    orders = _orders(world_a, 3)
    value = {"": None, "state": "in_progress", "client_id": orders[0].client_id, "is_breached": True}[name]
    sort = Sort.parse("next_due_at", Order)
    with world_a.context(), connection.cursor() as cursor:
        queryset = selectors.with_files_flag(selectors.order_api_rows().filter(**({name: value} if name else {})))
        base = KeysetBase(compiled(queryset.order_by().values(*order_rows.VALUES)))
        position = [orders[0].pk] if segment == 1 else [orders[0].next_due_at, orders[0].pk]
        sql, params = base.sql(sort, segment, position, backwards=backwards, limit=51)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        # prepared once per connection (tenancy.prepared), PostgreSQL may settle on a generic plan:
        # it reads the same index
        body, count = prepared._numbered(sql)
        cursor.execute(f"PREPARE plan_test AS {body}")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"EXPLAIN EXECUTE plan_test({', '.join(['%s'] * count)})", params)
        generic = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE plan_test")
    expected = {INDEX_OF_FILTER[name], "order_due"} if name == "is_breached" else {INDEX_OF_FILTER[name]}
    assert re.search(r"using (\w+) on orders_order\b", plan)[1] in expected and "Sort" not in plan, plan
    assert re.search(r"using (\w+) on orders_order\b", generic)[1] in expected and "Sort" not in generic, generic


@postgres_only("the clocks' statement with an array of ids is PostgreSQL's")
def test_the_clocks_statement_is_compiled_once_and_reads_each_pages_own_clocks(world_a, api_as, monkeypatch, settings):
    from orders import selectors
    from sla.models import SLAClock
    from tenancy import api_rows

    settings.API_LIST_STATEMENTS_VERIFY = False
    api_rows._statements.clear()
    made = []
    original = selectors.compiled
    monkeypatch.setattr(selectors, "compiled", lambda values: made.append(1) or original(values))
    _orders(world_a, 7)
    api = api_as(world_a, user=world_a.engineer)
    _seen, pages = _walk(api, ORDERS, {"page_size": 2})
    assert len(pages) == 4 and made == [1]
    with world_a.context():
        for row in (row for page in pages for row in page["results"]):
            metrics = sorted(SLAClock.objects.filter(order_id=row["id"]).values_list("metric", flat=True))
            assert sorted(clock["metric"] for clock in row["clocks"]) == metrics, row["id"]
    api_rows._statements.clear()
