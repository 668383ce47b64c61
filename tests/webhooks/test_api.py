"""The webhook API: who may manage endpoints, bad input refused with the field named and nothing
saved or sent, the secret shown once, the tenant wall and the client scope on every endpoint."""

from __future__ import annotations

import pytest

from integrations.webhooks.models import Delivery, Endpoint
from tests.orders.api_support import other_client, session_as

from .support import DELIVERIES, ENDPOINTS, PUBLIC_URL, deliveries, endpoints

pytestmark = pytest.mark.django_db


def create(api, url=PUBLIC_URL, types=("order.created", "invoice.issued"), **more):
    return api.post(ENDPOINTS, {"url": url, "event_types": list(types), **more}, format="json")


def error_fields(response) -> set:
    return {e["field"] for e in response.json()["errors"]}


def test_an_administrator_registers_an_endpoint_and_sees_the_secret_once(world_a, api_as):
    api = api_as(world_a)
    response = create(api, description="ERP")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["event_types"] == ["order.created", "invoice.issued"]
    assert body["client"] is None
    again = api.get(f"{ENDPOINTS}{body['id']}/").json()
    assert "secret" not in again
    listed = api.get(ENDPOINTS).json()
    assert "secret" not in str(listed) or body["secret"] not in str(listed)
    [endpoint] = endpoints(world_a)
    assert body["secret"] not in endpoint.secret_token  # stored encrypted


@pytest.mark.parametrize(("url", "code"), [
    ("http://hooks.example.com/in", "https_required"),
    ("https://intranet.example.com/in", "private_address"),
    ("https://mixed.example.com/in", "private_address"),
    ("https://metadata.example.com/latest", "private_address"),
    ("https://v6-local.example.com/in", "private_address"),
    ("https://127.0.0.1/in", "private_address"),
    ("https://[::ffff:10.0.0.1]/in", "private_address"),
    ("https://nowhere.invalid/in", "unresolvable"),
    ("https://user:pw@hooks.example.com/in", "invalid_url"),
    ("ftp://hooks.example.com/in", "https_required"),
    ("https://hooks.example.com:99999/in", "invalid_url"),
    ("", "required"),
])
def test_a_bad_url_is_refused_naming_the_field_and_nothing_is_saved(world_a, api_as, settings, url, code,
                                                                      django_capture_on_commit_callbacks):
    settings.DEBUG = False
    with django_capture_on_commit_callbacks() as callbacks:
        response = create(api_as(world_a), url=url)
    assert response.status_code == 400, response.content
    assert "url" in error_fields(response)
    assert endpoints(world_a) == [] and not callbacks


@pytest.mark.parametrize("types", [["order.exploded"], [], "order.created", [1]])
def test_an_unknown_event_type_is_refused(world_a, api_as, types):
    response = api_as(world_a).post(ENDPOINTS, {"url": PUBLIC_URL, "event_types": types}, format="json")
    assert response.status_code == 400
    assert "event_types" in str(response.json())
    assert endpoints(world_a) == []


def test_a_url_that_redirects_is_refused_at_registration(local_tenant, api_as, receiver):
    receiver.head_status = 301
    receiver.head_location = "https://elsewhere.example.com/"
    response = create(api_as(local_tenant), url=receiver.url)
    assert response.status_code == 400 and "url" in error_fields(response)
    assert "redirect" in str(response.json()).lower()
    assert endpoints(local_tenant) == [] and receiver.received == []


def test_private_addresses_are_allowed_only_for_a_listed_tenant(world_a, world_b, api_as, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TENANTS = [world_a.tenant.slug]
    assert create(api_as(world_a), url="https://intranet.example.com/in").status_code == 201
    assert create(api_as(world_b), url="https://intranet.example.com/in").status_code == 400


@pytest.mark.parametrize("role", ["account_manager", "engineer", "accountant", "client_signatory", "client_viewer"])
def test_only_administrators_manage_webhooks(world_a, api_as, role):
    api = api_as(world_a, getattr(world_a, role))
    assert create(api).status_code == 403
    assert api.get(ENDPOINTS).status_code == 403
    assert api.get(DELIVERIES).status_code == 403


def test_an_endpoint_is_changed_rotated_tested_and_deleted(world_a, api_as, django_capture_on_commit_callbacks):
    api = api_as(world_a)
    endpoint = create(api).json()
    url = f"{ENDPOINTS}{endpoint['id']}/"
    changed = api.patch(url, {"event_types": ["act.signed"], "description": "Signed acts"}, format="json")
    assert changed.status_code == 200 and changed.json()["event_types"] == ["act.signed"]
    assert api.patch(url, {"url": "https://intranet.example.com/"}, format="json").status_code == 400
    assert api.patch(url, {"event_types": ["nope"]}, format="json").status_code == 400
    assert api.get(url).json()["url"] == PUBLIC_URL
    assert api.post(f"{url}rotate-secret/", {"overlap_hours": -1}, format="json").status_code == 400
    assert api.post(f"{url}rotate-secret/", {"overlap_hours": "x"}, format="json").status_code == 400
    rotated = api.post(f"{url}rotate-secret/", {}, format="json")
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")
    assert api.post(f"{url}test/", {}, format="json").status_code == 202
    assert api.delete(url).status_code == 204
    assert endpoints(world_a) == []


def test_another_tenant_cannot_read_change_or_act_on_an_endpoint(world_a, world_b, api_as):
    endpoint = create(api_as(world_a)).json()
    api_as(world_a).post(f"{ENDPOINTS}{endpoint['id']}/test/", {}, format="json")
    [delivery] = deliveries(world_a)
    other = api_as(world_b)
    url = f"{ENDPOINTS}{endpoint['id']}/"
    assert other.get(ENDPOINTS).json()["count"] == 0
    assert other.get(DELIVERIES).json()["count"] == 0
    assert other.get(url).status_code == 404
    assert other.patch(url, {"description": "mine"}, format="json").status_code == 404
    assert other.post(f"{url}rotate-secret/", {}, format="json").status_code == 404
    assert other.post(f"{url}test/", {}, format="json").status_code == 404
    assert other.delete(url).status_code == 404
    assert other.get(f"{DELIVERIES}{delivery.pk}/").status_code == 404
    assert other.post(f"{DELIVERIES}{delivery.pk}/replay/", {}, format="json").status_code == 404
    with world_a.context():
        assert Endpoint.objects.get().description == ""
        assert Delivery.objects.count() == 1


def test_a_client_administrator_manages_only_their_clients_endpoints(world_a, api_as):
    _, other_admin, _ = other_client(world_a)
    mine = session_as(world_a.client_admin)
    theirs = session_as(other_admin)
    tenant_wide = create(api_as(world_a)).json()
    own = create(mine, types=["order.created"])
    assert own.status_code == 201, own.content
    own = own.json()
    assert own["client"] == world_a.client.pk

    assert [e["id"] for e in mine.get(ENDPOINTS).json()["results"]] == [own["id"]]
    assert mine.get(f"{ENDPOINTS}{tenant_wide['id']}/").status_code == 404
    assert theirs.get(f"{ENDPOINTS}{own['id']}/").status_code == 404
    assert theirs.patch(f"{ENDPOINTS}{own['id']}/", {"description": "x"}, format="json").status_code == 404
    assert theirs.post(f"{ENDPOINTS}{own['id']}/test/", {}, format="json").status_code == 404
    assert theirs.delete(f"{ENDPOINTS}{own['id']}/").status_code == 404
    # the provider's internal warnings are not a client's to subscribe to
    refused = create(mine, types=["sla.clock_warned"])
    assert refused.status_code == 400 and "event_types" in error_fields(refused)
    # the tenant's administrator sees every endpoint
    assert {e["id"] for e in api_as(world_a).get(ENDPOINTS).json()["results"]} == {own["id"], tenant_wide["id"]}


def test_deliveries_filter_by_event_type_and_date(world_a, api_as):
    """An integrator looking for what was sent of one kind, or on one day, asks the log for it."""
    import datetime as dt

    from django.utils import timezone

    from tests.clock import local_today

    api = api_as(world_a)
    endpoint = create(api).json()
    api.post(f"{ENDPOINTS}{endpoint['id']}/test/", {}, format="json")
    [sent] = deliveries(world_a)
    with world_a.context():
        other = Delivery.objects.create(tenant=world_a.tenant, endpoint_id=endpoint["id"], message_id="msg_other",
                                        event_type="invoice.issued", event_key="k-other", body="{}",
                                        created_at=timezone.now() - dt.timedelta(days=10))
    ids = lambda answer: [row["id"] for row in answer.json()["results"]]  # noqa: E731
    assert ids(api.get(DELIVERIES, {"event_type": "webhook.test"})) == [sent.pk]
    assert set(ids(api.get(f"{DELIVERIES}?event_type=webhook.test&event_type=invoice.issued"))) == {sent.pk, other.pk}
    today = local_today(world_a.tenant)
    assert ids(api.get(DELIVERIES, {"date_from": today.isoformat()})) == [sent.pk]
    assert ids(api.get(DELIVERIES, {"date_to": (today - dt.timedelta(days=5)).isoformat()})) == [other.pk]
    assert api.get(DELIVERIES, {"event_type": "order.deleted"}).status_code == 400
    assert api.get(DELIVERIES, {"date_from": "yesterday"}).status_code == 400
