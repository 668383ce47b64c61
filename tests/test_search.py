"""The global search: found by number, title, description and client name, grouped by kind; always
inside the current tenant, and for a client user only their client's rows, linking to the portal;
a huge or punctuation-only query answers with a message, never an error."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import services
from tests.clock import month_of
from tests.conftest import postgres_only
from tests.contracts.api_support import active_contract
from tests.factories import ClientFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/search/"


def raise_order(world, contract, actor, **fields):
    with world.context(user=actor):
        return services.order_create(actor=actor, contract=contract, **fields)


@pytest.fixture
def two_clients(world_a):
    """Client A (the world's) and client Y of the same tenant, each with a contract and an order."""
    contract_a = active_contract(world_a)
    order_a = raise_order(world_a, contract_a, world_a.client_admin, title="Printer jammed on floor 3",
                          description="The toner warehouse is empty")
    client_y = ClientFactory(tenant=world_a.tenant, name="Yellowstone Logistics")
    user_y = UserFactory(username="a_y_admin")
    MembershipFactory(tenant=world_a.tenant, user=user_y, role="client_admin", client=client_y)
    contract_y = active_contract(world_a, client=client_y)
    order_y = raise_order(world_a, contract_y, user_y, title="Printer smoking in the lobby")
    return {"contract_a": contract_a, "order_a": order_a, "client_y": client_y, "user_y": user_y,
            "contract_y": contract_y, "order_y": order_y}


def search(client, user, q, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(URL, {"q": q}, HTTP_ACCEPT_LANGUAGE=language)


def hits(response, kind) -> list[str]:
    return [hit.url for group in response.context["groups"] if group.kind == kind for hit in group.hits]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_staff_find_orders_by_title_number_description_and_client(client, world_a, two_clients, language):
    order_a, order_y = two_clients["order_a"], two_clients["order_y"]
    response = search(client, world_a.account_manager, "printer", language)
    assert response.status_code == 200
    assert set(hits(response, "orders")) == {reverse("orders:order-detail", args=[o.pk]) for o in (order_a, order_y)}
    assert hits(search(client, world_a.account_manager, order_a.number, language), "orders") == [
        reverse("orders:order-detail", args=[order_a.pk])]
    assert hits(search(client, world_a.account_manager, "toner", language), "orders") == [
        reverse("orders:order-detail", args=[order_a.pk])]
    assert reverse("orders:order-detail", args=[order_y.pk]) in hits(
        search(client, world_a.account_manager, "Yellowstone", language), "orders")
    found = search(client, world_a.account_manager, "Yellowstone", language)
    assert hits(found, "clients") == [reverse("contracts:client-detail", args=[two_clients["client_y"].pk])]
    assert reverse("contracts:contract-detail", args=[two_clients["contract_y"].pk]) in hits(found, "contracts")
    assert ("Заявки" if language == "ru" else "Orders") in found.content.decode()


def test_a_client_user_finds_only_their_clients_rows_with_portal_links(client, world_a, two_clients):
    response = search(client, world_a.client_admin, "printer")
    assert hits(response, "orders") == [reverse("orders:portal-order-detail", args=[two_clients["order_a"].pk])]
    assert "smoking" not in response.content.decode()
    assert "clients" not in [group.kind for group in response.context["groups"]]
    other = search(client, two_clients["user_y"], two_clients["order_a"].number)
    assert hits(other, "orders") == []
    contracts = search(client, world_a.client_admin, two_clients["contract_a"].number)
    assert hits(contracts, "contracts") == [reverse("contracts:portal-contract", args=[two_clients["contract_a"].pk])]


def test_another_tenants_rows_are_never_found(client, world_a, world_b, two_clients):
    response = search(client, world_b.account_manager, "printer")
    assert response.status_code == 200
    assert all(not group.hits for group in response.context["groups"])
    assert two_clients["order_a"].number not in response.content.decode()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_huge_query_is_cut_and_said_so(client, world_a, two_clients, language):
    response = search(client, world_a.account_manager, "printer " + "x" * 10_000, language)
    assert response.status_code == 200
    assert response.context["query"].truncated
    assert 'data-testid="search-truncated"' in response.content.decode()
    assert len(response.context["query"].text) <= 200


@pytest.mark.parametrize("language", ["en", "ru"])
def test_punctuation_only_asks_for_a_word(client, world_a, two_clients, language):
    response = search(client, world_a.account_manager, "?!%%--*&", language)
    assert response.status_code == 200
    text = response.content.decode()
    assert ("Введите слово или номер" if language == "ru" else "Enter a word or number") in text
    assert response.context["groups"] == []


def test_control_characters_are_spaces(client, world_a, two_clients):
    response = search(client, world_a.account_manager, "print\x00er\x1b printer")
    assert response.status_code == 200
    assert response.context["query"].words == ["print", "er", "printer"]


def test_sql_wildcards_are_plain_characters(client, world_a, two_clients):
    response = search(client, world_a.account_manager, "100%_ printer")
    assert response.status_code == 200
    assert hits(response, "orders") == []


def test_more_links_lead_to_the_filtered_list(client, world_a):
    contract = active_contract(world_a)
    for number in range(7):
        raise_order(world_a, contract, world_a.client_admin, title=f"Broken chair {number}")
    response = search(client, world_a.account_manager, "chair")
    orders = next(group for group in response.context["groups"] if group.kind == "orders")
    assert len(orders.hits) == 5 and orders.more
    assert orders.more_url == reverse("orders:order-list") + "?q=chair"


def test_the_results_page_does_not_query_per_row(client, world_a):
    contract = active_contract(world_a)
    client.force_login(world_a.account_manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"q": "chair"}).status_code == 200
        return len(captured)

    raise_order(world_a, contract, world_a.client_admin, title="Broken chair")
    queries()  # the first page after signing in also touches the session
    few = queries()
    for number in range(6):
        raise_order(world_a, contract, world_a.client_admin, title=f"Broken chair {number}")
    assert queries() == few


def test_the_top_bar_has_a_labelled_search_box(client, world_a):
    client.force_login(world_a.account_manager)
    text = client.get(reverse("orders:order-list")).content.decode()
    assert 'role="search"' in text and 'for="topbar-search-q"' in text


@postgres_only("full-text search runs on PostgreSQL")
def test_full_text_on_postgres_finds_words_in_any_order_and_cyrillic(client, world_a):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract, world_a.client_admin, title="Сломался принтер на третьем этаже")
    assert connection.vendor == "postgresql"
    response = search(client, world_a.account_manager, "этаже принтер")
    assert hits(response, "orders") == [reverse("orders:order-detail", args=[order.pk])]
    prefix = search(client, world_a.account_manager, order.number[:8])
    assert reverse("orders:order-detail", args=[order.pk]) in hits(prefix, "orders")


@pytest.fixture
def documents(world_a, two_clients):
    """Acts and issued invoices of both clients' contracts, numbered apart from the contracts."""
    from tests.factories import ActFactory, InvoiceFactory

    made = {}
    this_month = timezone.localdate().replace(day=1)
    months = [month_of(this_month - dt.timedelta(days=1 + 31 * n)) for n in (1, 2)]  # two months before this one
    with world_a.context():
        for key in ("contract_a", "contract_y"):
            contract = two_clients[key]
            contract.title = "Сервис «Север»" if key == "contract_a" else "Helpdesk Yellowstone"
            contract.save()
            made[key] = {
                "acts": [ActFactory(tenant=world_a.tenant, contract=contract, sent=True) for _ in range(2)],
                "invoices": [InvoiceFactory(tenant=world_a.tenant, contract=contract, issued=True,
                                            period_start=start, period_end=end) for start, end in months],
            }
    return made


def _urls(kind: str, rows) -> list[str]:
    name = "confirmations:act-detail" if kind == "acts" else "billing:invoice-detail"
    return [reverse(name, args=[row.pk]) for row in sorted(rows, key=lambda row: -row.pk)]


@pytest.mark.parametrize("kind", ["acts", "invoices"])
def test_acts_and_invoices_are_found_by_their_number_and_their_contracts_words(client, world_a, two_clients,
                                                                             documents, kind):
    mine, theirs = documents["contract_a"][kind], documents["contract_y"][kind]
    staff = world_a.admin
    assert hits(search(client, staff, mine[0].number), kind) == _urls(kind, [mine[0]])
    # the contract's number, its title's words, its client's name: every document of it, newest first
    assert hits(search(client, staff, two_clients["contract_y"].number), kind) == _urls(kind, theirs)
    assert hits(search(client, staff, "Yellowstone"), kind) == _urls(kind, theirs)
    # a word of the client's name and the document's number together
    assert hits(search(client, staff, f"Yellowstone {theirs[1].number}"), kind) == _urls(kind, [theirs[1]])
    assert hits(search(client, staff, f"Yellowstone {mine[1].number}"), kind) == []
    assert hits(search(client, staff, "zzzz"), kind) == []


@postgres_only("full-text search runs on PostgreSQL")
@pytest.mark.parametrize("kind", ["acts", "invoices"])
def test_a_contracts_words_find_its_documents_in_any_order_and_in_cyrillic(client, world_a, documents, kind):
    mine = documents["contract_a"][kind]
    assert hits(search(client, world_a.admin, "север сервис"), kind) == _urls(kind, mine)
    # websearch syntax keeps its meaning: an excluded word, "or"
    assert hits(search(client, world_a.admin, "сервис -север"), kind) == []
    both = documents["contract_a"][kind] + documents["contract_y"][kind]
    assert hits(search(client, world_a.admin, "Север or Yellowstone"), kind)[:4] == _urls(kind, both)[:4]


def test_a_client_user_finds_only_their_own_documents(client, world_a, two_clients, documents):
    user_y = two_clients["user_y"]
    response = search(client, user_y, "Сервис")  # the other client's contract title
    assert hits(response, "acts") == [] and hits(response, "invoices") == []
    theirs = documents["contract_y"]["acts"]
    assert hits(search(client, user_y, theirs[0].number), "acts") == [
        reverse("confirmations:portal-act-detail", args=[theirs[0].pk])]


def test_another_tenants_documents_are_never_found(client, world_a, world_b, documents):
    act = documents["contract_a"]["acts"][0]
    response = search(client, world_b.admin, act.number)
    assert hits(response, "acts") == []
    assert reverse("confirmations:act-detail", args=[act.pk]) not in response.content.decode()


def test_the_documents_search_costs_the_same_queries_with_more_documents(client, world_a, two_clients, documents):
    from tests.factories import ActFactory

    client.force_login(world_a.admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, {"q": "Yellowstone"}).status_code == 200
        return len(captured)

    queries()
    few = queries()
    with world_a.context():
        for _ in range(6):
            ActFactory(tenant=world_a.tenant, contract=two_clients["contract_y"], sent=True)
    assert queries() == few
