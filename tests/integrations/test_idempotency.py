"""Idempotency-Key on every POST of the API: a retry gets the stored answer and does nothing again;
another request under the same key is a 422, a key still in flight a 409; keys belong to one API
key (or signed-in user) in one tenant."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.idempotency import services
from integrations.idempotency.models import IdempotencyKey
from integrations.idempotency.tasks import purge_expired_keys
from orders.models import Order
from tests.conftest import postgres_only
from tests.contracts.api_support import active_contract, assert_error
from tests.orders.api_support import ORDERS, session_as

pytestmark = pytest.mark.django_db


def order_count(world) -> int:
    with world.context():
        return Order.objects.count()


def key_rows(world) -> list[IdempotencyKey]:
    with world.context():
        return list(IdempotencyKey.objects.all())


def raise_one(api, contract, key: str | None = "order-1", title: str = "Printer on fire"):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return api.post(ORDERS, {"contract": contract.pk, "title": title}, format="json", **headers)


def test_a_retry_with_the_same_key_gets_the_stored_answer_and_raises_no_second_order(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    first = raise_one(api, contract)
    assert first.status_code == 201, first.content
    assert "Idempotent-Replayed" not in first
    again = raise_one(api, contract)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again["Content-Type"] == first["Content-Type"]
    assert again.json() == first.json()
    assert order_count(world_a) == 1
    [row] = key_rows(world_a)
    assert row.status_code == 201 and row.key == "order-1"


def test_json_whitespace_and_key_order_do_not_make_another_request(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    one = api.post(ORDERS, f'{{"contract": {contract.pk}, "title": "x"}}', content_type="application/json",
                   HTTP_IDEMPOTENCY_KEY="k")
    two = api.post(ORDERS, f'{{ "title":"x",\n "contract":{contract.pk} }}', content_type="application/json",
                   HTTP_IDEMPOTENCY_KEY="k")
    assert one.status_code == 201 and two["Idempotent-Replayed"] == "true"
    assert order_count(world_a) == 1


def test_the_same_key_with_another_body_is_a_422_and_does_nothing(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    assert raise_one(api, contract).status_code == 201
    assert_error(raise_one(api, contract, title="Another title"), 422, code="idempotency_key_reused")
    # the same body on another path is another request too
    response = api.post(f"{ORDERS}1/cancel/", {"contract": contract.pk, "title": "Printer on fire"}, format="json",
                        HTTP_IDEMPOTENCY_KEY="order-1")
    assert_error(response, 422, code="idempotency_key_reused")
    assert order_count(world_a) == 1


def test_a_key_whose_request_is_still_running_is_a_409(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    raise_one(api, contract, key="warm-up")
    [warm] = key_rows(world_a)
    with world_a.context():  # the first request has taken the key and not answered yet
        services.idempotency_begin(owner=warm.owner, key="busy", request_hash=services.request_fingerprint(
            _fake_request(contract)))
    assert_error(raise_one(api, contract, key="busy"), 409, code="idempotency_key_in_flight")
    assert order_count(world_a) == 1


def _fake_request(contract):
    """The fingerprint `raise_one` sends (the same method, path and body)."""
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from tenancy.api_input import ApiJSONParser

    django_request = APIRequestFactory().post(ORDERS, {"contract": contract.pk, "title": "Printer on fire"},
                                              format="json")
    return Request(django_request, parsers=[ApiJSONParser()])


def test_a_key_left_in_flight_by_a_dead_request_frees_itself_after_the_timeout(world_a, api_as, settings):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    raise_one(api, contract, key="warm-up")
    owner = key_rows(world_a)[0].owner
    with world_a.context():
        services.idempotency_begin(owner=owner, key="dead",
                                   request_hash=services.request_fingerprint(_fake_request(contract)))
    assert raise_one(api, contract, key="dead").status_code == 409
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=settings.IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS + 1)):
        assert raise_one(api, contract, key="dead").status_code == 201
    assert order_count(world_a) == 2


@pytest.mark.parametrize(("value", "fragment"), [
    ("x" * 256, "longer than 255"),
    ("", "empty"),
    ("two words", "printable ASCII"),
])
def test_a_bad_key_is_a_400_naming_the_header(world_a, api_as, value, fragment):
    contract = active_contract(world_a)
    response = raise_one(api_as(world_a, world_a.engineer), contract, key=value)
    assert_error(response, 400, field="Idempotency-Key")
    assert fragment in response.json()["message"]
    assert order_count(world_a) == 0


def test_a_key_of_255_characters_is_accepted(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    assert raise_one(api, contract, key="k" * 255).status_code == 201
    assert raise_one(api, contract, key="k" * 255)["Idempotent-Replayed"] == "true"


def test_a_refused_request_is_replayed_as_refused(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    first = api.post(ORDERS, {"contract": contract.pk}, format="json", HTTP_IDEMPOTENCY_KEY="no-title")
    assert_error(first, 400, field="title")
    again = api.post(ORDERS, {"contract": contract.pk}, format="json", HTTP_IDEMPOTENCY_KEY="no-title")
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()


def test_a_request_that_fails_with_a_server_error_lets_the_key_go_and_the_retry_does_the_work(
        world_a, api_key_for, monkeypatch):
    from orders.api import viewsets

    contract = active_contract(world_a)
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key_for(world_a, world_a.engineer)}")
    real = viewsets.services.order_create_with_attachments

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(viewsets.services, "order_create_with_attachments", broken)
    assert raise_one(api, contract).status_code == 500
    assert key_rows(world_a) == []
    monkeypatch.setattr(viewsets.services, "order_create_with_attachments", real)
    retry = raise_one(api, contract)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert order_count(world_a) == 1


def test_without_the_header_every_post_does_the_work(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    raise_one(api, contract, key=None)
    raise_one(api, contract, key=None)
    assert order_count(world_a) == 2
    assert key_rows(world_a) == []


def test_after_24_hours_the_key_is_new_again_and_the_beat_purges_it(world_a, world_b, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.engineer)
    assert raise_one(api, contract).status_code == 201
    later = timezone.now() + dt.timedelta(hours=24, seconds=1)
    with time_machine.travel(later):
        assert purge_expired_keys() == 1
        assert key_rows(world_a) == []
        assert raise_one(api, contract, title="Another printer").status_code == 201
    assert order_count(world_a) == 2


def test_the_purge_keeps_keys_younger_than_24_hours(world_a, api_as):
    contract = active_contract(world_a)
    raise_one(api_as(world_a, world_a.engineer), contract)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=23)):
        assert purge_expired_keys() == 0
    assert len(key_rows(world_a)) == 1


# --- whose keys -------------------------------------------------------------------------------


def test_another_api_key_of_the_same_tenant_does_not_get_the_answer(world_a, api_as):
    contract = active_contract(world_a)
    first = raise_one(api_as(world_a, world_a.engineer), contract)
    second = raise_one(api_as(world_a, world_a.engineer), contract)
    assert second.status_code == 201 and "Idempotent-Replayed" not in second
    assert second.json()["id"] != first.json()["id"]
    assert order_count(world_a) == 2


def test_another_tenant_using_the_same_key_neither_sees_nor_replays_the_first_tenants_answer(
        world_a, world_b, api_as):
    contract_a, contract_b = active_contract(world_a), active_contract(world_b)
    first = raise_one(api_as(world_a, world_a.engineer), contract_a)
    # tenant B's key sends tenant A's exact request (A's contract id): B's own answer, a 400
    response = raise_one(api_as(world_b, world_b.engineer), contract_a)
    assert_error(response, 400, field="contract")
    assert "Idempotent-Replayed" not in response
    assert first.json()["title"] not in response.content.decode()
    own = raise_one(api_as(world_b, world_b.engineer), contract_b, key="order-2")
    assert own.status_code == 201 and order_count(world_b) == 1
    assert [row.key for row in key_rows(world_a)] == ["order-1"]
    assert sorted(row.key for row in key_rows(world_b)) == ["order-1", "order-2"]


def test_a_signed_in_users_keys_are_their_own(world_a):
    contract = active_contract(world_a)
    first = raise_one(session_as(world_a.client_admin), contract)
    again = raise_one(session_as(world_a.client_admin), contract)
    other = raise_one(session_as(world_a.client_signatory), contract)
    assert first.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 201 and "Idempotent-Replayed" not in other
    assert order_count(world_a) == 2


@postgres_only("row-level security exists only on PostgreSQL")
def test_row_level_security_hides_another_tenants_keys(world_a, world_b, api_as):
    contract = active_contract(world_a)
    raise_one(api_as(world_a, world_a.engineer), contract)
    with world_b.context(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM idempotency_idempotencykey")
        assert cursor.fetchone()[0] == 0
    with world_a.context(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM idempotency_idempotencykey")
        assert cursor.fetchone()[0] == 1


# --- ten at once ------------------------------------------------------------------------------


@postgres_only("concurrent requests need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_ten_identical_posts_at_once_raise_exactly_one_order(world_a, api_key_for):
    contract = active_contract(world_a)
    raw = api_key_for(world_a, world_a.engineer)
    barrier, responses, errors = threading.Barrier(10), [], []

    def post():
        try:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
            barrier.wait(timeout=30)
            responses.append(raise_one(api, contract, key="burst"))
        except Exception as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(responses) == 10
    assert order_count(world_a) == 1
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201 and "Idempotent-Replayed" not in r]
    assert len(created) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_flight"
        elif response is not created[0]:
            assert response.json() == created[0].json()
    # once the first has answered, a retry is replayed
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert raise_one(api, contract, key="burst")["Idempotent-Replayed"] == "true"
    assert order_count(world_a) == 1


# --- the document -----------------------------------------------------------------------------


def test_the_openapi_document_offers_the_header_on_every_post_and_only_there(client):
    schema = client.get("/api/schema/?format=json").json()
    posts = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = [p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"]
            if method == "post" and path != "/api/v1/verify/":
                posts += 1
                assert "Idempotency-Key" in names, path
                assert {"409", "422", "429"} <= set(operation["responses"]), path
            else:
                assert "Idempotency-Key" not in names, (method, path)
    assert posts > 20
