"""Sorting and repeatable filters on the API's lists: the acts list sorts and searches like the
invoices; an order asked for ends with the id, so that an integration paging through rows of equal
values sees each row once; a repeatable filter given empty filters nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from confirmations.models import Act
from tenancy.api_input import with_id_last
from tests.clock import add_months, local_today, month_of
from tests.contracts.api_support import active_contract, assert_error

pytestmark = pytest.mark.django_db
ACTS = "/api/v1/acts/"


def acts(world, contract, count: int, **fields) -> list[Act]:
    start, end = month_of(add_months(local_today(world.tenant), -1))
    with world.context():
        return [Act.objects.create(number=fields.pop("number", None) or f"ACT-O-{world.tenant.pk}-{n:03d}",
                                   contract=contract, client=contract.client, period_start=start, period_end=end,
                                   currency="RUB", created_by=world.admin, **fields) for n in range(count)]


def test_the_acts_list_sorts_and_searches(world_a, api_as):
    contract = active_contract(world_a)
    start, end = month_of(add_months(local_today(world_a.tenant), -2))
    with world_a.context():
        small = Act.objects.create(number="A-SMALL", contract=contract, client=contract.client, period_start=start,
                                   period_end=end, currency="RUB", amount=Decimal("10.00"), created_by=world_a.admin)
        big = Act.objects.create(number="A-BIG", contract=contract, client=contract.client,
                                 period_start=start + dt.timedelta(days=1), period_end=end, currency="RUB",
                                 amount=Decimal("900.00"), created_by=world_a.admin)
    api = api_as(world_a, world_a.account_manager)

    def listed(query: str) -> list[int]:
        response = api.get(f"{ACTS}{query}")
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert listed("") == [big.pk, small.pk]  # newest period first, as before
    assert listed("?ordering=amount") == [small.pk, big.pk]
    assert listed("?ordering=-amount") == [big.pk, small.pk]
    assert listed("?ordering=number") == [big.pk, small.pk]
    assert listed("?search=SMALL") == [small.pk]
    assert listed(f"?search={contract.number}&ordering=period_start") == [small.pk, big.pk]
    for bad in ("minutes", "pdf", "-", "number,,state"):
        assert_error(api.get(f"{ACTS}?ordering={bad}"), 400, field="ordering")


def test_paging_by_a_column_of_equal_values_shows_every_row_once(world_a, api_as):
    rows = acts(world_a, active_contract(world_a), 60)
    api = api_as(world_a, world_a.account_manager)
    seen = []
    for page in (1, 2):
        response = api.get(f"{ACTS}?ordering=state&page={page}")
        assert response.status_code == 200, response.content
        seen += [row["id"] for row in response.json()["results"]]
    assert seen == sorted(act.pk for act in rows)  # every row once, equal states in the order of their ids
    descending = [row["id"] for row in api.get(f"{ACTS}?ordering=-state").json()["results"]]
    assert descending == sorted(descending, reverse=True)  # ties by the id, the same way


def test_the_id_ends_every_order_asked_for():
    assert with_id_last(["state"]) == ["state", "id"]
    assert with_id_last(["-period_start", "number"]) == ["-period_start", "number", "id"]
    assert with_id_last(["number", "-state"]) == ["number", "-state", "-id"]
    assert with_id_last(["-id", "state"]) == ["-id", "state"]
    assert with_id_last(["pk"]) == ["pk"]


def test_a_repeatable_filter_given_empty_filters_nothing(world_a, api_as):
    acts(world_a, active_contract(world_a), 2)
    api = api_as(world_a, world_a.account_manager)
    every = api.get("/api/v1/orders/").json()["results"]
    assert [o["id"] for o in api.get("/api/v1/orders/?state=").json()["results"]] == [o["id"] for o in every]
    assert api.get("/api/v1/orders/?state=&state=new").status_code == 200
    assert_error(api.get("/api/v1/orders/?state=bogus"), 400, field="state")
    assert api.get(f"{ACTS}?state=").json()["count"] == 2
