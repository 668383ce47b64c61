"""Every value the API accepts renders on every page: the longest texts, the biggest amounts, the
boundary dates, in English and in Russian. And a value stored before the bounds existed (a
deadline of 9999-12-31) still renders instead of failing the page with a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from orders.models import Order
from tenancy.bounds import DATE_MAX, DATE_MIN, TEXT_MAX_LENGTH
from tests.contracts.api_support import active_contract
from tests.support import raise_order

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "ru"]


def _page(client, user, url, language):
    client.force_login(user)
    client.cookies["django_language"] = language
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (url, language, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_deadline_stored_far_beyond_the_bounds_still_renders(client, world_a, language):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    with world_a.context():
        Order.objects.filter(pk=order.pk).update(desired_deadline=dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC))
    _page(client, world_a.engineer, reverse("orders:order-detail", args=[order.pk]), language)
    _page(client, world_a.client_admin, reverse("orders:portal-order-detail", args=[order.pk]), language)
    _page(client, world_a.engineer, reverse("orders:order-list"), language)
    _page(client, world_a.client_admin, reverse("orders:portal-order-list"), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_order_with_the_extremes_the_api_accepts_renders_on_every_page(client, world_a, api_as, language):
    deadline = f"{DATE_MAX.isoformat()}T23:59:59Z"  # the latest accepted (a deadline must follow the report)
    contract = active_contract(world_a, end_date=None)
    response = api_as(world_a).post("/api/v1/orders/", {
        "contract": contract.pk, "title": "Т" * 300, "description": "Описание " * (TEXT_MAX_LENGTH // 9),
        "expected_result": "x" * TEXT_MAX_LENGTH, "desired_deadline": deadline,
    }, format="json")
    assert response.status_code == 201, response.content
    order_id = response.json()["id"]
    _page(client, world_a.engineer, reverse("orders:order-detail", args=[order_id]), language)
    _page(client, world_a.engineer, reverse("orders:order-list"), language)
    _page(client, world_a.client_admin, reverse("orders:portal-order-detail", args=[order_id]), language)
    _page(client, world_a.client_admin, reverse("orders:portal-order-list"), language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_contract_with_the_extremes_the_api_accepts_renders(client, world_a, api_as, language):
    response = api_as(world_a).post("/api/v1/contracts/", {
        "number": "N" * 50, "title": "Договор " * 20, "client": world_a.client.pk,
        "provider": world_a.own_provider.pk, "start_date": DATE_MIN.isoformat(), "end_date": DATE_MAX.isoformat(),
        "monthly_fee": "9" * 10 + ".99", "description": "д" * TEXT_MAX_LENGTH,
    }, format="json")
    assert response.status_code == 201, response.content
    contract_id = response.json()["id"]
    _page(client, world_a.account_manager, reverse("contracts:contract-detail", args=[contract_id]), language)
    _page(client, world_a.account_manager, reverse("contracts:contract-list"), language)
