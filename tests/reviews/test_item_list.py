"""The action items register: every review's plan point by point, open ones first by due date, overdue,
done, dropped or all on request, by owner and by contract, sortable; the client's portal shows their
client's items only. A cancelled review's items and another tenant's never show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from reviews.models import ActionItem
from tests.clock import local_today
from tests.factories import ClientFactory
from tests.reviews.support import reviewed_contract
from tests.reviews.test_lists import review_row

pytestmark = pytest.mark.django_db


def browser(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def item(world, review, what: str, *, owner=None, due_in: int | None = None, state="open") -> ActionItem:
    today = local_today(world.tenant)
    with world.context():
        return ActionItem.objects.create(review=review, what=what, owner=owner, state=state,
                                         due_date=None if due_in is None else today + dt.timedelta(days=due_in))


@pytest.fixture
def plan(world_a):
    alpha = reviewed_contract(world_a, number="ITEMS-ALPHA")
    beta = reviewed_contract(world_a, number="ITEMS-BETA", client=ClientFactory(tenant=world_a.tenant, name="Beta"))
    held_alpha = review_row(world_a, alpha, months_ago=1, state="held")
    held_beta = review_row(world_a, beta, months_ago=2, state="held")
    cancelled = review_row(world_a, alpha, months_ago=4, state="cancelled")
    return {
        "late": item(world_a, held_alpha, "Replace the UPS", owner=world_a.engineer, due_in=-3),
        "soon": item(world_a, held_beta, "Train the night shift", owner=world_a.account_manager, due_in=2),
        "undated": item(world_a, held_alpha, "Agree on a spare parts stock", owner=world_a.client_admin),
        "client_late": item(world_a, held_alpha, "Send the floor plans", owner=world_a.client_admin, due_in=-1),
        "done": item(world_a, held_beta, "Patch the mail server", owner=world_a.engineer, due_in=-10, state="done"),
        "dropped": item(world_a, held_alpha, "Move the rack", due_in=-20, state="dropped"),
        "cancelled": item(world_a, cancelled, "Of a cancelled review", owner=world_a.engineer, due_in=-5),
        "alpha": alpha, "beta": beta, "held_alpha": held_alpha,
    }


def listed(response) -> list[str]:
    assert response.status_code == 200
    return [row.what for row in response.context["page"]]


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_register_lists_open_items_by_due_date_and_filters(world_a, plan, language):
    manager = browser(world_a.account_manager, language)
    page = manager.get("/reviews/items/")
    assert listed(page) == ["Replace the UPS", "Send the floor plans", "Train the night shift",
                            "Agree on a spare parts stock"]  # undated last; no cancelled review's item
    html = page.content.decode()
    assert html.count("data-overdue") == 2
    assert f'/reviews/{plan["held_alpha"].pk}/#item-{plan["late"].pk}' in html
    assert listed(manager.get("/reviews/items/", {"show": "overdue"})) == ["Replace the UPS", "Send the floor plans"]
    assert listed(manager.get("/reviews/items/", {"show": "done"})) == ["Patch the mail server"]
    assert listed(manager.get("/reviews/items/", {"show": "dropped"})) == ["Move the rack"]
    assert len(listed(manager.get("/reviews/items/", {"show": "all"}))) == 6
    assert listed(manager.get("/reviews/items/", {"owner": world_a.engineer.pk, "show": "all"})) == [
        "Patch the mail server", "Replace the UPS"]
    assert listed(manager.get("/reviews/items/", {"contract": plan["beta"].pk})) == ["Train the night shift"]
    latest = listed(manager.get("/reviews/items/", {"sort": "-due"}))  # undated last either way
    assert latest[0] == "Train the night shift" and latest[-1] == "Agree on a spare parts stock"
    by_contract = listed(manager.get("/reviews/items/", {"sort": "-contract"}))
    assert by_contract[0] == "Train the night shift"
    empty = manager.get("/reviews/items/", {"contract": plan["beta"].pk, "show": "dropped"}).content.decode()
    assert ("Нет пунктов, подходящих под эти фильтры." if language == "ru"
            else "No action items match these filters.") in empty
    # the reviews page leads here
    assert 'href="/reviews/items/"' in manager.get("/reviews/").content.decode()


def test_bad_filters_show_the_open_items_and_say_why(world_a, plan):
    manager = browser(world_a.account_manager)
    for params in ({"show": "bogus"}, {"owner": "abc"}, {"owner": "99999999999999999999"}, {"contract": "-1"},
                   {"sort": "what;drop"}, {"page": "x"}):
        assert len(listed(manager.get("/reviews/items/", params))) == 4, params
    assert "errorlist" in manager.get("/reviews/items/", {"show": "bogus"}).content.decode()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_portal_shows_the_clients_items_only(world_a, plan, language):
    own = browser(world_a.client_admin, language)
    page = own.get("/portal/reviews/items/")
    assert listed(page) == ["Replace the UPS", "Send the floor plans", "Agree on a spare parts stock"]
    assert set(page.context["filter_form"].fields) == {"show"}
    assert f'/portal/reviews/{plan["held_alpha"].pk}/#item-{plan["late"].pk}' in page.content.decode()
    # the provider's filters are not a way into another client's items
    assert listed(own.get("/portal/reviews/items/", {"contract": plan["beta"].pk, "show": "all"})) == [
        "Move the rack", "Replace the UPS", "Send the floor plans", "Agree on a spare parts stock"]
    assert 'href="/portal/reviews/items/"' in own.get("/portal/reviews/").content.decode()


def test_another_tenant_and_other_roles(world_a, world_b, plan):
    assert listed(browser(world_b.account_manager).get("/reviews/items/", {"show": "all"})) == []
    assert listed(browser(world_b.client_admin).get("/portal/reviews/items/", {"show": "all"})) == []
    assert listed(browser(world_a.engineer).get("/reviews/items/", {"owner": world_a.engineer.pk})) == [
        "Replace the UPS"]
    assert browser(world_a.client_admin).get("/reviews/items/").status_code in (302, 403)
    assert browser(world_a.account_manager).get("/portal/reviews/items/").status_code in (302, 403)


ITEMS = "/api/v1/action-items/"


def test_the_api_lists_every_reviews_items_with_filters(world_a, plan, api_as):
    from tests.contracts.api_support import assert_error

    api = api_as(world_a, world_a.account_manager)

    def whats(query: str = "") -> list[str]:
        response = api.get(f"{ITEMS}{query}")
        assert response.status_code == 200, response.content
        return [row["what"] for row in response.json()["results"]]

    assert whats() == ["Move the rack", "Patch the mail server", "Replace the UPS", "Send the floor plans",
                       "Train the night shift", "Agree on a spare parts stock"]  # soonest due, undated last
    row = api.get(f"{ITEMS}?search=UPS").json()["results"][0]
    assert row["review"] == plan["held_alpha"].pk and row["contract"] == plan["alpha"].pk
    assert row["contract_number"] == "ITEMS-ALPHA" and row["client"] == plan["alpha"].client_id
    assert row["owner"] == world_a.engineer.pk and row["state"] == "open"
    assert whats("?overdue=true") == ["Replace the UPS", "Send the floor plans"]
    assert len(whats("?overdue=false")) == 4
    assert whats("?state=done&state=dropped") == ["Move the rack", "Patch the mail server"]
    assert whats(f"?owner={world_a.client_admin.pk}") == ["Send the floor plans", "Agree on a spare parts stock"]
    assert whats(f"?contract={plan['beta'].pk}") == ["Patch the mail server", "Train the night shift"]
    assert whats(f"?review={plan['held_alpha'].pk}&state=open&ordering=-created_at") == [
        "Send the floor plans", "Agree on a spare parts stock", "Replace the UPS"]
    today = local_today(world_a.tenant)
    assert whats(f"?due_from={today}&due_to={today + dt.timedelta(days=5)}") == ["Train the night shift"]
    for query, field in (("?state=late", "state"), ("?overdue=maybe", "overdue"), ("?owner=abc", "owner"),
                         ("?contract=99999999999999999999", "contract"), ("?due_from=2026-02-30", "due_from"),
                         ("?ordering=what", "ordering")):
        assert_error(api.get(f"{ITEMS}{query}"), 400, field=field)
    assert api.post(ITEMS, {}, format="json").status_code == 405


def test_the_api_register_keeps_to_the_tenant_and_the_client(world_a, world_b, plan, api_as):
    from tests.reviews.support import session_as

    assert api_as(world_b, world_b.account_manager).get(ITEMS).json()["count"] == 0
    own = session_as(world_a.client_admin)
    assert [row["what"] for row in own.get(f"{ITEMS}?state=open").json()["results"]] == [
        "Replace the UPS", "Send the floor plans", "Agree on a spare parts stock"]
    assert own.get(f"{ITEMS}?contract={plan['beta'].pk}").json()["count"] == 0
    assert own.get(f"{ITEMS}?review={plan['soon'].review_id}").json()["count"] == 0
