"""The webhook pages, in English and Russian: register (the secret on a page of its own, shown
once), change, test, rotate, replay, delete; bad input is a form error that saves nothing; another
tenant's or client's endpoint is a 404; only administrators open them."""

from __future__ import annotations

import pytest
from django.test import Client

from integrations.webhooks.models import Endpoint
from tests.orders.api_support import other_client

from .support import PUBLIC_URL, deliveries, endpoints

pytestmark = pytest.mark.django_db


def browser(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


def register(page: Client, url=PUBLIC_URL, types=("order.created",)):
    return page.post("/webhooks/", {"url": url, "event_types": list(types), "description": "ERP"})


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("who", ["admin", "client_admin"])
def test_every_webhook_page_renders_in_both_languages(world_a, language, who, committed):
    page = browser(getattr(world_a, who), language)
    response = register(page)
    assert response.status_code == 302
    [endpoint] = endpoints(world_a)
    secret = page.get(response["Location"])
    assert secret.status_code == 200 and b"whsec_" in secret.content
    with committed():
        page.post(f"/webhooks/{endpoint.pk}/test/")
    for url in ["/webhooks/", f"/webhooks/{endpoint.pk}/", f"/webhooks/{endpoint.pk}/?page=2",
                f"/webhooks/{endpoint.pk}/secret/"]:
        assert page.get(url).status_code == 200, url
    home = page.get("/" if who == "admin" else "/portal/")
    assert b'href="/webhooks/"' in home.content


def test_the_secret_is_shown_once_and_a_reload_neither_shows_it_nor_makes_another(world_a):
    page = browser(world_a.admin)
    location = register(page)["Location"]
    first = page.get(location)
    [endpoint] = endpoints(world_a)
    assert b"whsec_" in first.content
    assert first["Cache-Control"].startswith("max-age=0") or "no-cache" in first["Cache-Control"]
    again = page.get(location)
    assert again.status_code == 200 and b"whsec_" not in again.content
    assert len(endpoints(world_a)) == 1
    rotated = page.post(f"/webhooks/{endpoint.pk}/rotate/", {"overlap_hours": "24"})
    assert rotated["Location"] == location
    assert b"whsec_" in page.get(location).content
    assert b"whsec_" not in page.get(location).content


@pytest.mark.parametrize(("data", "field"), [
    ({"url": "https://intranet.example.com/", "event_types": ["order.created"]}, "url"),
    ({"url": "not a url", "event_types": ["order.created"]}, "url"),
    ({"url": PUBLIC_URL, "event_types": ["order.exploded"]}, "event_types"),
    ({"url": PUBLIC_URL}, "event_types"),
    ({"url": "x" * 3000, "event_types": ["order.created"]}, "url"),
])
def test_bad_input_is_a_form_error_and_nothing_is_saved(world_a, settings, data, field):
    settings.DEBUG = False
    response = browser(world_a.admin).post("/webhooks/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert endpoints(world_a) == []


def test_http_is_refused_outside_debug(world_a, settings):
    settings.DEBUG = False
    response = register(browser(world_a.admin), url="http://hooks.example.com/in")
    assert response.status_code == 400 and "url" in response.context["form"].errors


def test_an_endpoint_is_edited_disabled_replayed_and_deleted(world_a, committed):
    page = browser(world_a.admin)
    register(page)
    [endpoint] = endpoints(world_a)
    saved = page.post(f"/webhooks/{endpoint.pk}/", {"url": PUBLIC_URL, "description": "CRM",
                                                    "event_types": ["act.signed", "invoice.paid"]})
    assert saved.status_code == 302
    with world_a.context():
        assert Endpoint.objects.get().event_types == ["act.signed", "invoice.paid"]
        assert not Endpoint.objects.get().is_active  # the box was not ticked
    bad = page.post(f"/webhooks/{endpoint.pk}/", {"url": "https://intranet.example.com/", "event_types": ["act.signed"],
                                                  "is_active": "on"})
    assert bad.status_code == 400
    page.post(f"/webhooks/{endpoint.pk}/", {"url": PUBLIC_URL, "event_types": ["act.signed"], "is_active": "on"})
    with committed():
        page.post(f"/webhooks/{endpoint.pk}/test/")
    [delivery] = deliveries(world_a)
    with committed():
        assert page.post(f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/replay/").status_code == 302
    assert page.get(f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/replay/").status_code == 405
    assert page.post(f"/webhooks/{endpoint.pk}/rotate/", {"overlap_hours": "9999"}).status_code == 302
    assert page.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert endpoints(world_a) == []


@pytest.mark.parametrize("role", ["account_manager", "engineer", "accountant", "client_signatory", "client_viewer"])
def test_only_administrators_open_the_pages(world_a, role):
    assert browser(getattr(world_a, role)).get("/webhooks/").status_code == 403


def test_another_tenants_or_clients_endpoint_is_a_404_on_every_page(world_a, world_b, committed):
    _, other_admin, _ = other_client(world_a)
    page = browser(world_a.client_admin)
    register(page)
    [endpoint] = endpoints(world_a)
    with committed():
        page.post(f"/webhooks/{endpoint.pk}/test/")
    [delivery] = deliveries(world_a)
    for intruder in (browser(world_b.admin), browser(other_admin)):
        for url in [f"/webhooks/{endpoint.pk}/", f"/webhooks/{endpoint.pk}/secret/"]:
            assert intruder.get(url).status_code == 404, url
        for url in [f"/webhooks/{endpoint.pk}/test/", f"/webhooks/{endpoint.pk}/rotate/",
                    f"/webhooks/{endpoint.pk}/delete/", f"/webhooks/{endpoint.pk}/deliveries/{delivery.pk}/replay/"]:
            assert intruder.post(url, {"overlap_hours": "1"}).status_code == 404, url
        assert b"/webhooks/%d/" % endpoint.pk not in intruder.get("/webhooks/").content
    assert len(endpoints(world_a)) == 1 and len(deliveries(world_a)) == 1
    # the tenant's administrator manages the client's endpoint too
    assert browser(world_a.admin).get(f"/webhooks/{endpoint.pk}/").status_code == 200
