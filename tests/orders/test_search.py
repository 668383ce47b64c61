"""Finding orders by the beginnings of their words (orders.search): the orders list's search box, the
API's `search` and the global search match alike, inside the tenant, from an index under row-level
security, and every odd query answers without an error."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.urls import reverse

from orders import search, services
from orders.models import Order, OrderSearchTerm
from tests.conftest import postgres_only
from tests.contracts.api_support import active_contract
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["rare", "common"])
def strategy(request, monkeypatch):
    """Both ways of matching (`orders.search.matching`): a rare word's orders as the candidates, or
    every word checked order by order (as when every word typed is in thousands of orders)."""
    if request.param == "common":
        monkeypatch.setattr(search, "RARE", 0)
    return request.param


def raise_order(world, actor=None, contract=None, **fields):
    actor = actor or world.client_admin
    with world.context(user=actor):
        return services.order_create(actor=actor, contract=contract or active_contract(world), **fields)


def found(world, text) -> set[int]:
    with world.context():
        return set(search.matching(Order.objects.all(), text).values_list("pk", flat=True))


def page_numbers(client, user, text, language="en") -> list[str]:
    client.force_login(user)
    response = client.get(reverse("orders:order-list"), {"q": text}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return sorted(row.number for row in response.context["orders"]) if "orders" in response.context else []


def test_words_are_lower_case_distinct_and_cut():
    assert search.words("Server DOWN: server room 0042", "Сломался ПРИНТЕР") == [
        "server", "down", "room", "0042", "42", "сломался", "принтер"]
    assert search.words("x" * 100) == ["x" * search.TERM_LENGTH]
    assert search.words("000", "--- !!!") == ["000"]
    assert search.query_words("0042 0042 a b c d e f g h i") == ["0042", "a", "b", "c", "d", "e", "f", "g"]


def test_every_word_typed_begins_a_word_of_the_order(world_a, strategy):
    contract = active_contract(world_a)
    server = raise_order(world_a, contract=contract, title="Server down in room 0012", description="Fans are silent")
    printer = raise_order(world_a, contract=contract, title="Сломался принтер на третьем этаже")
    assert found(world_a, "serv") == {server.pk}
    assert found(world_a, "SILENT serv") == {server.pk}  # any order of words, any case, description too
    assert found(world_a, "serv printer") == set()  # every word must match
    assert found(world_a, "принт этаж") == {printer.pk}
    assert found(world_a, "erver") == set()  # the beginning of a word, not any part of it
    assert found(world_a, printer.number) == {printer.pk}
    assert found(world_a, "12") == found(world_a, "room 0012") == {server.pk}  # a number without its leading zeros
    assert found(world_a, "") == found(world_a, " -- ") == {server.pk, printer.pk}  # no word: no narrowing


def test_a_word_may_begin_the_clients_name(world_a, strategy):
    client_y = ClientFactory(tenant=world_a.tenant, name="Yellowstone Logistics")
    order_a = raise_order(world_a, title="Printer jammed")
    order_y = raise_order(world_a, actor=world_a.account_manager, contract=active_contract(world_a, client=client_y),
                          title="Printer smoking")
    assert found(world_a, "logist") == {order_y.pk}
    assert found(world_a, "printer yellow") == {order_y.pk}
    assert found(world_a, "printer") == {order_a.pk, order_y.pk}


def test_the_words_follow_an_edit_of_the_title_and_description(world_a, strategy):
    order = raise_order(world_a, title="Laptop screen flickers")
    with world_a.context(user=world_a.account_manager):
        order = services.order_update(order=order, actor=world_a.account_manager, title="Monitor flickers",
                              description="Cable replaced")
    assert found(world_a, "laptop") == set()
    assert found(world_a, "monitor cable") == {order.pk}
    with world_a.context():
        assert OrderSearchTerm.objects.filter(order=order).count() == len(search.order_words(order))


def test_a_long_description_keeps_a_bounded_number_of_words(world_a):
    order = raise_order(world_a, title="Log attached", description=" ".join(f"line{n}" for n in range(2000)))
    with world_a.context():
        assert OrderSearchTerm.objects.filter(order=order).count() == search.MAX_TERMS


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_list_page_and_the_api_find_the_same_orders_and_only_the_tenants(client, api_as, world_a, world_b, language, strategy):
    mine = raise_order(world_a, title="Backup failed overnight")
    raise_order(world_a, title="Printer jammed")
    theirs = raise_order(world_b, title="Backup failed overnight")
    assert page_numbers(client, world_a.account_manager, "backup overn", language) == [mine.number]
    response = api_as(world_a).get("/api/v1/orders/", {"search": "backup overn"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    response = api_as(world_b).get("/api/v1/orders/", {"search": "backup"})
    assert [row["id"] for row in response.json()["results"]] == [theirs.pk]


def test_the_client_portal_finds_only_its_clients_orders(client, world_a, strategy):
    client_y = ClientFactory(tenant=world_a.tenant, name="Yellowstone Logistics")
    mine = raise_order(world_a, title="Backup failed")
    raise_order(world_a, actor=world_a.account_manager, contract=active_contract(world_a, client=client_y),
                title="Backup failed")
    client.force_login(world_a.client_admin)
    response = client.get(reverse("orders:portal-order-list"), {"q": "backup"})
    assert response.status_code == 200
    assert mine.number in response.content.decode()
    assert [order.pk for order in response.context["orders"]] == [mine.pk]


@pytest.mark.parametrize("text", ["\x00", "a\x00b", "%", "_", "' OR 1=1 --", "\\", "😀", "x" * 10_000,
                                  " ".join(["word"] * 500), "\U0010ffff", "\ud7fb"])
def test_odd_queries_answer_without_an_error(client, api_as, world_a, text):
    raise_order(world_a, title="Backup failed")
    assert api_as(world_a).get("/api/v1/orders/", {"search": text}).status_code == 200
    client.force_login(world_a.account_manager)
    assert client.get(reverse("orders:order-list"), {"q": text}).status_code == 200
    assert client.get("/search/", {"q": text}).status_code == 200


def test_the_successor_of_a_prefix_skips_the_surrogates():
    assert search._after_prefix("ab") == "ac"
    assert search._after_prefix("a\ud7ff") == "a\ue000"


@postgres_only("row-level security and its index conditions exist only on PostgreSQL")
def test_under_row_level_security_the_words_are_matched_in_the_index(world_a):
    raise_order(world_a, title="Backup failed overnight")
    with world_a.context(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = search.matching(Order.objects.order_by("-id"), "backup")[:6].query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # a range on the term as the index's condition, not a filter over every row the policy lets through
    assert "order_search_term" in plan, plan
    assert re.search(r"Index Cond: \(\(tenant_id = .*\bterm\)?(::text)? >= 'backup'::text\) AND \(\(?term", plan), plan


@postgres_only("row-level security exists only on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_common_words_rare_together_are_found_in_a_transaction_of_their_own(world_a, monkeypatch):
    # Each statement in its own transaction, as a request without ATOMIC_REQUESTS runs: the statement
    # that intersects the words' orders starts with "(" and must carry the tenant's setting too
    # (tenancy.rls), or row-level security lets no row through and nothing is found.
    monkeypatch.setattr(search, "RARE", 1)
    contract = active_contract(world_a)
    wanted = raise_order(world_a, contract=contract, title="Mail server down")
    raise_order(world_a, contract=contract, title="Mail quota")
    raise_order(world_a, contract=contract, title="Server room hot")
    with world_a.context():
        assert connection.get_autocommit()
        assert list(search.matching(Order.objects.all(), "mail server").values_list("pk", flat=True)) == [wanted.pk]
