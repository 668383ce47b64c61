"""The zone a person sees times in holds for the whole of a page's request: in the fragments htmx
swaps into the page, and in the date-times a form reads back; the REST API stays in UTC."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from orders.models import Order
from tenancy.preferences import SESSION_KEY
from tests.contracts.api_support import active_contract
from tests.factories import ContractFactory, ProviderFactory
from tests.support import raise_order

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def browser(user, language="en") -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)
    return client


def own_zone(client, user, zone: str) -> None:
    response = client.post(reverse("tenancy:profile"), {
        "first_name": user.first_name or "Ivan", "last_name": user.last_name or "Petrov",
        "email": user.email or "someone@example.com", "language": "", "time_zone": zone})
    assert response.status_code == 302, response.content.decode()[:500]


def offsets(page: str) -> set[str]:
    return {match[-6:] for match in re.findall(r'<time datetime="([^"]+)"', page)}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_htmx_fragment_shows_its_times_in_the_zone_of_the_page_around_it(world_a, language):
    contract = ContractFactory(tenant=world_a.tenant, client=world_a.client)
    client = browser(world_a.account_manager, language)
    url = reverse("contracts:contract-party-add", args=[contract.pk])

    first = ProviderFactory(tenant=world_a.tenant, name="Cable Masters")
    fragment = client.post(url, {"party-kind": "subcontractor", "party-provider": first.pk}, **HTMX)
    assert fragment.status_code == 200 and "<html" not in fragment.content.decode()
    assert offsets(fragment.content.decode()) == {"+03:00"}  # the organisation's zone (Moscow), as the page
    assert offsets(client.get(reverse("contracts:contract-detail", args=[contract.pk])).content.decode()) == {"+03:00"}

    own_zone(client, world_a.account_manager, "Asia/Tokyo")
    second = ProviderFactory(tenant=world_a.tenant, name="Fibre Works")
    fragment = client.post(url, {"party-kind": "subcontractor", "party-provider": second.pk}, **HTMX)
    assert fragment.status_code == 200
    assert offsets(fragment.content.decode()) == {"+09:00"}  # the person's own zone


def test_a_deadline_saved_unchanged_stays_the_same_in_a_zone_of_ones_own(world_a):
    """The edit form shows the deadline in the person's zone and reads it back in the same zone."""
    order = raise_order(world_a, active_contract(world_a))
    deadline = (timezone.now() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    with world_a.context():
        Order.objects.filter(pk=order.pk).update(desired_deadline=deadline)
    client = browser(world_a.engineer)
    own_zone(client, world_a.engineer, "America/New_York")
    url = reverse("orders:order-edit", args=[order.pk])
    form = client.get(url).content.decode()
    shown = re.search(r'name="desired_deadline" value="([^"]+)"', form)[1]
    assert shown == deadline.astimezone(zoneinfo.ZoneInfo("America/New_York")).strftime("%Y-%m-%dT%H:%M")

    response = client.post(url, {"title": order.title, "description": order.description,
                                 "expected_result": order.expected_result, "priority": order.priority,
                                 "desired_deadline": shown})
    assert response.status_code == 302
    with world_a.context():
        assert Order.objects.get(pk=order.pk).desired_deadline == deadline


def test_the_api_answers_in_utc_for_a_session_as_for_a_key(world_a):
    order = raise_order(world_a, active_contract(world_a))
    client = browser(world_a.admin)
    own_zone(client, world_a.admin, "Asia/Tokyo")
    data = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert data["reported_at"].endswith("Z") and data["created_at"].endswith("Z")


def test_a_zone_this_machine_does_not_know_shows_utc_rather_than_failing(world_a):
    client = browser(world_a.admin)
    client.get("/")
    session = client.session
    session[SESSION_KEY] = {"language": "", "time_zone": "Mars/Olympus_Mons"}
    session.save()
    page = client.get(reverse("tenancy:members"))
    assert page.status_code == 200
    assert "Times are shown in UTC." in page.content.decode()
