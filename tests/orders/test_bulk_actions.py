"""Bulk actions on the orders list: tick orders, assign them or move each one a step. Every order goes
through the single-order service (its rules, its event) in its own transaction; the message counts
what changed and names each order that was refused, with the reason."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from orders.models import OrderEvent, OrderState
from tests.contracts.api_support import active_contract
from tests.orders.test_views import fire, raise_order, reload

pytestmark = pytest.mark.django_db

URL = reverse("orders:order-bulk")


def post(client, user, data, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client.post(URL, data, HTTP_ACCEPT_LANGUAGE=language)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def three_orders(world_a):
    contract = active_contract(world_a)
    return [raise_order(world_a, contract, title=f"Broken chair {n}") for n in range(3)]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_assigning_several_orders_at_once(client, world_a, three_orders, language):
    response = post(client, world_a.account_manager, {
        "bulk-orders": [o.pk for o in three_orders], "bulk-action": "assign", "bulk-assignee": world_a.engineer.pk,
        "return_query": "state=open"}, language)
    assert response.status_code == 302 and response["Location"] == reverse("orders:order-list") + "?state=open"
    assert all(reload(world_a, o).assignee_id == world_a.engineer.pk for o in three_orders)
    assert texts(response) == (["3 заявки изменены."] if language == "ru" else ["3 orders changed."])
    with world_a.context():
        assert OrderEvent.objects.filter(order__in=three_orders, kind=OrderEvent.Kind.ASSIGNED).count() == 3


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_step_is_taken_per_order_and_each_refusal_is_named(client, world_a, three_orders, language):
    done_before = fire(world_a, three_orders[0], "acknowledge", world_a.engineer)
    response = post(client, world_a.account_manager, {
        "bulk-orders": [o.pk for o in three_orders], "bulk-action": "transition", "bulk-transition": "acknowledge"},
        language)
    assert response.status_code == 302
    assert [reload(world_a, o).state for o in three_orders] == [OrderState.ACKNOWLEDGED] * 3
    messages = texts(response)
    assert messages[0] == ("2 заявки изменены." if language == "ru" else "2 orders changed.")
    assert messages[1] == ("1 заявка не изменена:" if language == "ru" else "1 order was not changed:")
    assert messages[2].startswith(f"{done_before.number}: ")
    with world_a.context():
        assert OrderEvent.objects.filter(order=three_orders[0], kind=OrderEvent.Kind.TRANSITION).count() == 1


def test_a_step_that_needs_a_reason_is_refused_per_order_without_one(client, world_a, three_orders):
    response = post(client, world_a.account_manager, {
        "bulk-orders": [three_orders[0].pk], "bulk-action": "transition", "bulk-transition": "cancel"})
    assert reload(world_a, three_orders[0]).state == OrderState.NEW
    assert texts(response)[-1] == f"{three_orders[0].number}: Give a reason."


def test_bad_input_is_a_message_not_an_error(client, world_a, three_orders):
    for data in ({"bulk-action": "assign"}, {"bulk-orders": ["x"], "bulk-action": "assign"},
                 {"bulk-orders": [three_orders[0].pk], "bulk-action": "transition"},
                 {"bulk-orders": [three_orders[0].pk], "bulk-action": "explode"},
                 {"bulk-orders": [three_orders[0].pk], "bulk-action": "transition", "bulk-transition": "accept"}):
        response = post(client, world_a.account_manager, data)
        assert response.status_code == 302
        assert texts(response)
    assert reload(world_a, three_orders[0]).state == OrderState.NEW


def test_another_tenants_orders_cannot_be_ticked(client, world_a, world_b, three_orders):
    response = post(client, world_b.account_manager, {
        "bulk-orders": [three_orders[0].pk], "bulk-action": "assign", "bulk-assignee": ""})
    assert response.status_code == 302
    assert any("Orders" in text for text in texts(response))
    with world_a.context():
        assert not OrderEvent.objects.filter(order=three_orders[0], kind=OrderEvent.Kind.ASSIGNED).exists()


def test_client_users_have_no_bulk_actions(client, world_a, three_orders):
    response = post(client, world_a.client_admin, {
        "bulk-orders": [three_orders[0].pk], "bulk-action": "transition", "bulk-transition": "cancel",
        "bulk-note": "no"})
    assert response.status_code == 302 and response["Location"] == reverse("portal")
    assert reload(world_a, three_orders[0]).state == OrderState.NEW
    assert 'name="bulk-orders"' not in client.get(reverse("orders:portal-order-list")).content.decode()


def test_the_list_offers_checkboxes_and_the_form(client, world_a, three_orders):
    client.force_login(world_a.account_manager)
    text = client.get(reverse("orders:order-list")).content.decode()
    assert text.count('name="bulk-orders"') == 3 and 'id="order-bulk"' in text


@pytest.mark.parametrize("role", ["engineer", "accountant"])
def test_only_the_desk_s_managers_change_several_orders_at_once(client, world_a, three_orders, role):
    user = getattr(world_a, role)
    client.force_login(user)
    page = client.get(reverse("orders:order-list"))
    assert page.status_code == 200 and b'id="order-bulk"' not in page.content and b"bulk-orders" not in page.content
    response = post(client, user, {"bulk-orders": [o.pk for o in three_orders], "bulk-action": "assign",
                                   "bulk-assignee": world_a.engineer.pk})
    assert response.status_code == 403
    assert all(reload(world_a, o).assignee_id is None for o in three_orders)


def test_the_bulk_services_refuse_anyone_else(world_a, three_orders):
    from orders import services
    from tenancy.errors import ActionForbidden

    with world_a.context(), pytest.raises(ActionForbidden):
        services.orders_bulk_assign(orders=three_orders, actor=world_a.engineer, assignee=world_a.engineer)
    with world_a.context(), pytest.raises(ActionForbidden):
        services.orders_bulk_transition(orders=three_orders, name="acknowledge", actor=world_a.engineer)


def test_a_manager_sees_the_bulk_form(client, world_a, three_orders):
    client.force_login(world_a.account_manager)
    page = client.get(reverse("orders:order-list"))
    assert b'id="order-bulk"' in page.content
