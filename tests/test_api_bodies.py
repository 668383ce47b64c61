"""A JSON body takes the fields its request documents: a name it does not know (a mistyped optional
field, `"titel"`) is a 400 naming it and listing the fields the request takes, never dropped while the
answer says 200 (`TenantViewSet.validated`). The OpenAPI document says so (`additionalProperties:
false` on every object a JSON body is made of). The fields of the resource as the API answers it are
ignored (AIP-203's output-only fields), so that an object read may be sent back with a field changed."""

from __future__ import annotations

import re

import pytest
from django.urls import resolve
from rest_framework.test import APIClient

from orders.models import Order
from tests.contracts.api_support import assert_error
from tests.orders.api_support import ORDERS
from tests.query_counts_support import Scene
from tests.support import raise_order
from tests.support.openapi import openapi_document

pytestmark = pytest.mark.django_db

UNKNOWN = "zz_not_a_field"
# who may call a write (a 403 comes before the body is read): the provider's admin, else the client's
# people; a signature (an act's, a review's minutes) only in the signatory's own session
CALLERS = ("admin", "client_signatory", "client_admin", "client_signatory session")


def _json_writes(document: dict) -> list[tuple[str, str]]:
    return [(method, path) for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if "application/json" in operation.get("requestBody", {}).get("content", {})]


def _row_url(world, path: str) -> str | None:
    """`path` with `{id}` filled by a row of the view's model in the tenant, None when there is none."""
    if "{" not in path:
        return path
    view = resolve(path.replace("{id}", "1")).func
    model = view.cls.model
    with world.context():
        row = model.objects.order_by("pk").first()
    return path.replace("{id}", str(row.pk)) if row else None


def test_every_write_with_a_json_body_refuses_a_name_it_does_not_take(world_a, api_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    Scene(world_a).grow(1)
    document = openapi_document()
    clients = {role: api_as(world_a, getattr(world_a, role)) for role in CALLERS if " " not in role}
    clients["client_signatory session"] = APIClient()
    clients["client_signatory session"].force_login(world_a.client_signatory)
    checked, missing, wrong = 0, [], []
    for method, path in _json_writes(document):
        url = _row_url(world_a, path)
        if url is None:
            missing.append(path)
            continue
        for role in CALLERS:
            answer = getattr(clients[role], method)(url, {UNKNOWN: 1}, format="json")
            if answer.status_code != 403:
                break
        fields = [e.get("field") for e in answer.json().get("errors", [])] if answer.status_code == 400 else []
        if UNKNOWN not in fields:
            wrong.append((method.upper(), path, answer.status_code, answer.content[:200]))
        checked += 1
    assert not wrong, wrong
    assert checked >= 60, (checked, missing)


def test_every_object_of_a_json_body_is_closed_in_the_document():
    document = openapi_document()
    schemas = document["components"]["schemas"]
    refs = set()
    for method, path in _json_writes(document):
        refs |= set(re.findall(r"#/components/schemas/(\w+)",
                               str(document["paths"][path][method]["requestBody"]["content"]["application/json"])))
    assert len(refs) >= 50
    for name in refs:
        assert schemas[name].get("additionalProperties") is False, name
    # the nested objects too (an act's lines, a signature's order ratings)
    assert schemas["LineInputRequest"]["additionalProperties"] is False
    assert schemas["OrderRatingInputRequest"]["additionalProperties"] is False
    # what is answered stays open: a client must read new fields as the API grows
    assert "additionalProperties" not in schemas["Order"]


def test_a_mistyped_field_is_400_naming_it_and_nothing_is_created(world_a, api_as):
    from tests.contracts.api_support import active_contract

    contract = active_contract(world_a)
    api = api_as(world_a, world_a.account_manager)
    body = assert_error(api.post(ORDERS, {"contract": contract.pk, "title": "Printer", "priorty": "high"},
                                 format="json"), 400, field="priorty")
    message = body["errors"][0]["message"]
    assert "priority" in message and "title" in message  # it lists what the request takes
    with world_a.context():
        assert not Order.objects.exists()


def test_one_answer_names_the_unknown_names_beside_the_invalid_values(world_a, api_as):
    from tests.contracts.api_support import active_contract

    contract = active_contract(world_a)
    answer = api_as(world_a, world_a.account_manager).post(
        ORDERS, {"contract": contract.pk, "title": "", "colour": "red", "priority": 5}, format="json")
    assert answer.status_code == 400
    assert {e["field"] for e in answer.json()["errors"]} >= {"colour", "priority"}


def test_a_nested_unknown_name_is_named_by_its_path(world_a, api_as):
    from tests.contracts.api_support import active_contract

    contract = active_contract(world_a)
    answer = api_as(world_a, world_a.account_manager).post("/api/v1/acts/", {
        "contract": contract.pk, "period_start": "2026-01-01", "period_end": "2026-01-31",
        "lines": [{"description": "Support", "unit_price": "10.00"}, {"description": "x", "price": "1"}]},
        format="json")
    assert answer.status_code == 400
    fields = [e["field"] for e in answer.json()["errors"]]
    assert any("price" in field and "1" in field and "unit_price" not in field for field in fields), fields


def test_the_refusal_speaks_the_callers_language(world_a, api_as):
    from tests.contracts.api_support import active_contract

    contract = active_contract(world_a)
    answer = api_as(world_a, world_a.account_manager).post(
        ORDERS, {"contract": contract.pk, "title": "Printer", "titel": "x"}, format="json",
        HTTP_ACCEPT_LANGUAGE="ru")
    assert answer.status_code == 400
    assert "Такого поля" in answer.json()["errors"][0]["message"]


def test_a_form_body_is_not_held_to_it(world_a, api_as):
    # multipart (an order with files) reads its own parts; the rule is for JSON bodies
    from tests.contracts.api_support import active_contract

    contract = active_contract(world_a)
    answer = api_as(world_a, world_a.account_manager).post(
        ORDERS, {"contract": contract.pk, "title": "Printer", "extra": "x"}, format="multipart")
    assert answer.status_code == 201, answer.content


def test_an_object_read_may_be_sent_back_with_a_field_changed(world_a, api_as):
    from contracts.models import Client

    with world_a.context():
        client = Client.objects.get()
    api = api_as(world_a)
    shown = api.get(f"/api/v1/clients/{client.pk}/").json()
    answer = api.put(f"/api/v1/clients/{client.pk}/", {**shown, "name": "Renamed", "created_at": "2001-01-01T00:00:00Z",
                                                       "contract_count": 99}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["name"] == "Renamed" and answer.json()["created_at"] == shown["created_at"]
    # a name the resource does not have is still refused, beside the fields sent back
    assert_error(api.put(f"/api/v1/clients/{client.pk}/", {**shown, "nmae": "X"}, format="json"), 400, field="nmae")


def test_an_order_sent_back_whole_changes_what_may_change_and_no_more(world_a, api_as):
    from tests.contracts.api_support import active_contract

    order = raise_order(world_a, active_contract(world_a))
    api = api_as(world_a, world_a.account_manager)
    shown = api.get(f"{ORDERS}{order.pk}/").json()
    answer = api.patch(f"{ORDERS}{order.pk}/", {**shown, "title": "Printer jams", "state": "accepted"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["title"] == "Printer jams" and answer.json()["state"] == shown["state"]
