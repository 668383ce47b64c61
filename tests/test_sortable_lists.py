"""Sortable list columns: a header link sorts by its column, a second click turns the order around,
the header says which way (arrow, aria-sort), the filters stay in the link, and an unknown sort
leaves the list in its default order instead of failing."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from contracts.models import Contract
from sla.models import Breach
from sla.views import BREACH_SORT
from tenancy.sorting import ColumnSort
from tests.billing.support import billed_contract, build
from tests.contracts.api_support import active_contract
from tests.factories import ClientFactory
from tests.orders.test_views import raise_order

pytestmark = pytest.mark.django_db


def get(client, user, url, language="en", **params):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)


def header(html: str, label: str) -> str:
    match = re.search(r'<th class="sortable[^"]*" aria-sort="(\w+)"><a href="([^"]+)"[^>]*>' + re.escape(label), html)
    assert match, f"no sortable header {label!r}"
    return match.group(1), match.group(2).replace("&amp;", "&")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_contracts_sort_by_client_both_ways_keeping_the_filter(client, world_a, language):
    zeta = ClientFactory(tenant=world_a.tenant, name="Zeta Ltd")
    alpha = ClientFactory(tenant=world_a.tenant, name="Alpha Ltd")
    for who in (zeta, alpha):
        active_contract(world_a, client=who)
    label = "Клиент" if language == "ru" else "Client"
    url = reverse("contracts:contract-list")
    page = get(client, world_a.admin, url, language, state="active")
    state, link = header(page.content.decode(), label)
    assert state == "none" and "state=active" in link and "sort=client" in link
    ascending = get(client, world_a.admin, url, language, state="active", sort="client")
    assert [c.client.name for c in ascending.context["page"]] == ["Alpha Ltd", "Zeta Ltd"]
    state, link = header(ascending.content.decode(), label)
    assert state == "ascending" and "sort=-client" in link
    descending = get(client, world_a.admin, url, language, state="active", sort="-client")
    assert [c.client.name for c in descending.context["page"]][0] == "Zeta Ltd"
    assert header(descending.content.decode(), label)[0] == "descending"
    assert all(c.state == "active" for c in descending.context["page"])


def test_an_unknown_sort_keeps_the_default_order(client, world_a):
    active_contract(world_a)
    for bad in ("password", "--number", "client__tenant__name", "x" * 5000):
        response = get(client, world_a.admin, reverse("contracts:contract-list"), sort=bad)
        assert response.status_code == 200 and response.context["sort"] == "-created"
    with world_a.context():
        assert Contract.objects.exists()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_orders_headers_map_to_the_keyset_sorts(client, world_a, language):
    contract = active_contract(world_a)
    first = raise_order(world_a, contract, title="First")
    second = raise_order(world_a, contract, title="Second")
    url = reverse("orders:order-list")
    label = "Обращение" if language == "ru" else "Reported"
    page = get(client, world_a.admin, url, language, state="open")
    state, link = header(page.content.decode(), label)
    assert state == "none" and "sort=oldest" in link and "state=open" in link
    oldest = get(client, world_a.admin, url, language, sort="oldest")
    assert [o.pk for o in oldest.context["orders"]] == [first.pk, second.pk]
    state, link = header(oldest.content.decode(), label)
    assert state == "ascending" and "sort=newest" in link
    newest = get(client, world_a.admin, url, language, sort="newest")
    assert [o.pk for o in newest.context["orders"]] == [second.pk, first.pk]
    due = get(client, world_a.admin, url, language, sort="-due")
    assert due.status_code == 200
    assert header(due.content.decode(), "Ближайший срок" if language == "ru" else "Next due")[0] == "descending"
    unknown = get(client, world_a.admin, url, language, sort="title")
    assert unknown.status_code == 200 and unknown.context["sort"] == "due"


@pytest.mark.parametrize(("name", "who", "label"), [
    ("contracts:client-list", "admin", "Name"), ("confirmations:act-list", "admin", "Number"),
    ("sla:breach-list", "admin", "Breached"), ("billing:desk", "accountant", "Number"),
    ("billing:portal-invoice-list", "client_admin", "Number"), ("confirmations:portal-act-list", "client_admin", "Period"),
    ("reviews:review-list", "admin", "Period"), ("reviews:portal-review-list", "client_admin", "Meeting"),
    ("reviews:item-list", "account_manager", "Due"), ("reviews:portal-item-list", "client_admin", "State"),
])
def test_every_list_has_sortable_headers_and_survives_a_bad_sort(client, world_a, name, who, label):
    user = getattr(world_a, who)
    if name == "billing:desk":  # the desk shows a table per state that has invoices
        build(world_a, billed_contract(world_a))
    html = get(client, user, reverse(name)).content.decode()
    header(html, label)
    for sort in ("-" + "x", "amount;drop", ""):
        assert get(client, user, reverse(name), sort=sort).status_code == 200
    state, link = header(get(client, user, reverse(name), sort="-number" if label == "Number" else "").content.decode(),
                         label)
    if label == "Number":
        assert state == "descending"


def test_a_column_that_cannot_be_empty_is_sorted_along_its_index(world_a):
    """Descending, a nullable column puts its empty values last (`DESC NULLS LAST`); a column that
    cannot be empty is ordered plainly, so that PostgreSQL reads the page along the tenant's index
    instead of sorting every row of the tenant (the breaches page, newest first)."""
    def order_by(sort: ColumnSort) -> str:
        with world_a.context():
            sql = str(sort.apply(Breach.objects.all(), None)[0].query).upper()
        return sql[sql.index("ORDER BY"):]

    assert order_by(BREACH_SORT) == 'ORDER BY "SLA_BREACH"."BREACHED_AT" DESC, "SLA_BREACH"."ID" DESC'
    assert "NULLS LAST" in order_by(ColumnSort({"waived": ("waived_at",)}, default="-waived"))
    assert "NULLS LAST" not in order_by(ColumnSort({"order": ("order__number",)}, default="-order"))
    assert "NULLS LAST" in order_by(ColumnSort({"team": ("order__team__name",)}, default="-team"))
