"""Saved views: a user saves the orders (or contracts) list's current filters and sort under a
name, finds it beside the filter form, opens the list with it and deletes it. Each view is its
owner's, in its tenant; a missing or duplicate name is a form error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from search.models import SavedView

pytestmark = pytest.mark.django_db

CREATE = reverse("search:saved-view-create")


def signed_in(client, user, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def save(client, name, query="state=open&sort=newest&cursor=abc", list_name="orders", language="en"):
    return client.post(CREATE, {"list_name": list_name, "name": name, "query": query}, HTTP_ACCEPT_LANGUAGE=language)


def views_of(world, user) -> list[tuple[str, str, str]]:
    with world.context():
        return list(SavedView.objects.filter(user=user).values_list("list_name", "name", "query"))


@pytest.mark.parametrize("language", ["en", "ru"])
def test_saving_the_current_orders_list_and_opening_it_again(client, world_a, language):
    signed_in(client, world_a.account_manager, language)
    response = save(client, "  My open   orders ", language=language)
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:order-list") + "?state=open&sort=newest"
    assert views_of(world_a, world_a.account_manager) == [("orders", "My open orders", "state=open&sort=newest")]
    page = client.get(reverse("orders:order-list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert 'data-saved-view="My open orders"' in page
    assert 'href="/orders/?state=open&amp;sort=newest"' in page
    assert ("Сохранённые виды" if language == "ru" else "Saved views") in page


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_missing_or_repeated_name_is_a_form_error(client, world_a, language):
    signed_in(client, world_a.account_manager, language)
    assert save(client, "Mine", language=language).status_code == 302
    again = save(client, "Mine", language=language)
    assert again.status_code == 400
    assert again.context["form"].errors["name"]
    assert ("У вас уже есть вид" if language == "ru" else "You already have a view") in again.content.decode()
    empty = save(client, "   ", language=language)
    assert empty.status_code == 400 and empty.context["form"].errors["name"]
    assert save(client, "Mine", list_name="contracts", language=language).status_code == 302
    assert save(client, "x", list_name="nonsense").status_code == 400
    assert save(client, "long", query="q=" + "x" * 5000).status_code == 400
    assert len(views_of(world_a, world_a.account_manager)) == 2


def test_views_are_per_user_and_per_tenant(client, world_a, world_b):
    signed_in(client, world_a.account_manager)
    save(client, "Mine")
    with world_a.context():
        view = SavedView.objects.get()
    signed_in(client, world_a.engineer)
    assert 'data-saved-view="Mine"' not in client.get(reverse("orders:order-list")).content.decode()
    assert client.post(reverse("search:saved-view-delete", args=[view.pk])).status_code == 404
    signed_in(client, world_b.account_manager)
    assert client.post(reverse("search:saved-view-delete", args=[view.pk])).status_code == 404
    assert 'data-saved-view="Mine"' not in client.get(reverse("orders:order-list")).content.decode()
    assert views_of(world_a, world_a.account_manager) != []


def test_deleting_ones_own_view(client, world_a):
    signed_in(client, world_a.account_manager)
    save(client, "Contracts I watch", query="state=active&sort=-client", list_name="contracts")
    page = client.get(reverse("contracts:contract-list")).content.decode()
    assert 'href="/contracts/?state=active&amp;sort=-client"' in page
    with world_a.context():
        view = SavedView.objects.get()
    response = client.post(reverse("search:saved-view-delete", args=[view.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("contracts:contract-list")
    assert views_of(world_a, world_a.account_manager) == []


def test_client_users_have_no_saved_views_of_provider_lists(client, world_a):
    signed_in(client, world_a.client_admin)
    response = save(client, "Sneaky")
    assert response.status_code == 302 and response["Location"] == reverse("portal")
    assert views_of(world_a, world_a.client_admin) == []
