"""The list benchmark's seeding and baseline wiring at a tiny size, so that `make bench` does not rot:
the bulk SQL fills every column the models need (a new NOT NULL column without a default fails here
first), the baselines answer through the same API key and tenant wall as the product, and the last
page is found."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tests.bench.lists import last_page, seed_documents, seed_orders, seed_shop, session_cookie
from tests.conftest import postgres_only

pytestmark = [postgres_only("the list benchmark seeds with PostgreSQL's SQL and measures under row-level security"),
              pytest.mark.postgres]


class _TestWeb:
    """What `last_page` asks of the benchmark's HTTP side, answered by Django's test client."""

    def __init__(self, client: Client):
        self.client = client

    def get(self, path, *, auth=None):
        response = self.client.get(path, HTTP_AUTHORIZATION=auth)
        return response.status_code, response.content

    def json(self, path, *, auth):
        status, content = self.get(path, auth=auth)
        assert status == 200, (path, status, content[:300])
        return json.loads(content)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.bench.lists_urls")
def test_seeding_and_baselines_at_a_tiny_size():
    from orders.models import Order
    from sla.models import Breach, SLAClock
    from tenancy.context import tenant_context

    now = timezone.now()
    big = seed_shop("Bench big", contracts=4, clients=2, staff=3, teams=2)
    small = seed_shop("Bench small", contracts=1, clients=1, staff=1, teams=1)
    first = seed_orders(big, 60, now)
    grown = seed_orders(big, 130, now)  # the benchmark grows the table between sizes
    seed_orders(small, 7, now)
    documents = seed_documents(big, now, months=2)
    assert (first["orders"], grown["orders"]) == (60, 70)
    assert documents == {"acts": 8, "invoices": 8}
    with tenant_context(big.tenant):
        assert Order.objects.count() == 130
        assert SLAClock.objects.count() == 260
        breached = SLAClock.objects.filter(breached_at__isnull=False).count()
        assert breached > 0
        assert Breach.objects.count() == breached
        assert Order.objects.filter(state="in_progress").exists()
        # the words seeded by SQL are those the order services write (orders.search)
        from orders.models import OrderSearchTerm
        from orders.search import order_words

        for order in Order.objects.order_by("id")[:30]:
            seeded = OrderSearchTerm.objects.filter(order=order).values_list("term", flat=True)
            assert sorted(seeded) == sorted(order_words(order)), order.number

    client = Client()
    auth, small_auth = f"Bearer {big.key}", f"Bearer {small.key}"
    for name, project, expected in (("orders", "orders", 130), ("contracts", "contracts", 4), ("acts", "acts", 8),
                                    ("invoices", "invoices", 8), ("breaches", "breaches", breached)):
        baseline = client.get(f"/bench-baseline/api/{name}/", HTTP_AUTHORIZATION=auth)
        assert baseline.status_code == 200, baseline.content[:300]
        assert baseline.json()["count"] == expected
        product = client.get(f"/api/v1/{project}/", HTTP_AUTHORIZATION=auth)
        assert product.status_code == 200, product.content[:300]
        assert product.json()["results"]
    found = client.get("/api/v1/orders/", {"search": "сервер"}, HTTP_AUTHORIZATION=auth).json()["results"]
    assert found and all("Сервер" in row["title"] for row in found)
    # the tenant wall holds for the baseline as for the product, and a key is needed
    assert client.get("/bench-baseline/api/orders/", HTTP_AUTHORIZATION=small_auth).json()["count"] == 7
    assert client.get("/bench-baseline/api/orders/").status_code in (401, 403)
    assert client.get("/bench-baseline/api/bare/", HTTP_AUTHORIZATION=auth).json()["results"] == []
    assert client.get("/bench-baseline/api/bare/").status_code in (401, 403)  # the floor pays for the key too

    web = _TestWeb(client)
    url, how, count = last_page(web, "/bench-baseline/api/orders/", auth=auth)
    assert (url, how, count) == ("/bench-baseline/api/orders/?page=3", "page 3 of 3", 130)
    assert len(web.json(url, auth=auth)["results"]) == 30
    from orders.models import Order

    first_url = "/api/v1/orders/?priority=normal"
    url, how, _ = last_page(web, first_url, auth=auth, model=Order)
    last_ids = [row["id"] for row in web.json(url, auth=auth)["results"]]
    every_id, following = [], first_url
    while following:  # the whole list, page by page, to compare the last page found with
        data = web.json(following, auth=auth)
        every_id += [row["id"] for row in data["results"]]
        following = data.get("next")
    assert "priority=normal" in url and last_ids, how
    assert last_ids == every_id[-len(last_ids):], how

    # the pages: a real session of the administrator, the product's list and the plain one
    name, key = session_cookie(big).split("=", 1)
    client.cookies[name] = key
    assert client.get("/orders/").status_code == 200
    page = client.get("/bench-baseline/orders-page/")
    assert page.status_code == 200
    assert page.content.decode().count("<tr><td>") == 25
