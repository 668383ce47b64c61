"""What the OpenAPI contract test (tests/test_openapi_contract.py) found, one behaviour each: input
the document does not allow is refused with a 400 naming it, and what the API answers matches the
document."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient

from contracts.models import Client
from tests.contracts.api_support import active_contract, assert_error, draft_contract
from tests.orders.api_support import ORDERS
from tests.support import raise_order

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"


@pytest.fixture(scope="module")
def openapi(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return WebClient().get("/api/schema/?format=json").json()


def _names(response) -> list[str]:
    return [item["name"] for item in response.json()["results"]]


# --- ordering -------------------------------------------------------------------------------------


@pytest.mark.parametrize("ordering", ["unknown", "name,unknown", "name,", "-", "client__tenant__name", "name desc"])
def test_an_ordering_the_list_does_not_offer_is_400_naming_ordering(world_a, api_as, ordering):
    body = assert_error(api_as(world_a).get(CLIENTS, {"ordering": ordering}), 400, field="ordering")
    assert "name" in body["errors"][0]["message"]  # it says which fields there are


def test_ordering_by_offered_fields_orders_and_empty_keeps_the_default(world_a, api_as):
    with world_a.context():
        Client.objects.create(tenant=world_a.tenant, name="Zeta")
        Client.objects.create(tenant=world_a.tenant, name="Alpha")
    api = api_as(world_a)
    assert _names(api.get(CLIENTS, {"ordering": "-name"}))[0] == "Zeta"
    assert _names(api.get(CLIENTS, {"ordering": "name,-created_at"}))[0] == "Alpha"
    assert api.get(CLIENTS, {"ordering": ""}).status_code == 200


def test_the_document_lists_the_ordering_fields_as_a_pattern(openapi):
    (ordering,) = [p for p in openapi["paths"]["/api/v1/clients/"]["get"]["parameters"] if p["name"] == "ordering"]
    assert ordering["schema"]["pattern"].startswith("^-?(") and "contract_count" in ordering["schema"]["pattern"]
    assert ordering["allowEmptyValue"] is True


# --- filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["null", "2", "AAA", "yes"])
def test_a_boolean_filter_that_is_not_true_or_false_is_400_naming_it(world_a, api_as, value):
    assert_error(api_as(world_a).get(CLIENTS, {"is_active": value}), 400, field="is_active")
    assert_error(api_as(world_a).get(CLIENTS, {"is_active": ["true", value]}), 400, field="is_active")


def test_a_boolean_filter_filters_and_an_empty_one_is_no_filter(world_a, api_as):
    with world_a.context():
        Client.objects.create(tenant=world_a.tenant, name="Gone", is_active=False)
    api = api_as(world_a)
    assert _names(api.get(CLIENTS, {"is_active": "false"})) == ["Gone"]
    assert "Gone" not in _names(api.get(CLIENTS, {"is_active": "TRUE"}))
    assert "Gone" in _names(api.get(CLIENTS, {"is_active": ""}))


def test_the_document_says_an_empty_filter_is_allowed(openapi):
    parameters = {p["name"]: p for p in openapi["paths"]["/api/v1/contracts/"]["get"]["parameters"]}
    assert parameters["state"]["allowEmptyValue"] is True
    assert parameters["start_date__gte"]["allowEmptyValue"] is True
    assert "allowEmptyValue" not in parameters["page"]


def test_an_invalid_choice_or_date_filter_is_still_400(world_a, api_as):
    assert_error(api_as(world_a).get("/api/v1/contract-parties/", {"kind": "null"}), 400, field="kind")
    assert_error(api_as(world_a).get("/api/v1/contracts/", {"start_date__lte": "null"}), 400,
                 field="start_date__lte")


# --- bodies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["multipart", "form"])
@pytest.mark.parametrize("value", ["0", "1", "no", "garbage", "null"])
def test_a_form_boolean_that_is_not_true_or_false_is_refused(world_a, api_as, fmt, value):
    api = api_as(world_a)
    data = {"name": "Formed", "is_active": value}
    response = (api.post(CLIENTS, data, format="multipart") if fmt == "multipart" else
                api.post(CLIENTS, "name=Formed&is_active=" + value, content_type="application/x-www-form-urlencoded"))
    assert_error(response, 400, field="is_active")
    with world_a.context():
        assert not Client.objects.filter(name="Formed").exists()


def test_a_form_boolean_reads_true_and_false_and_absent_is_the_default(world_a, api_as):
    api = api_as(world_a)
    assert api.post(CLIENTS, {"name": "Off", "is_active": "false"}, format="multipart").json()["is_active"] is False
    assert api.post(CLIENTS, {"name": "On", "is_active": "True"}, format="multipart").json()["is_active"] is True
    assert api.post(CLIENTS, {"name": "Default"}, format="multipart").json()["is_active"] is True
    provider = api.post("/api/v1/providers/", {"name": "Sub", "is_own": "maybe"}, format="multipart")
    assert_error(provider, 400, field="is_own")


@pytest.mark.parametrize("field, value", [("name", 0), ("name", False), ("address", 7), ("is_active", 0),
                                          ("is_active", "true"), ("email", ["a@b.c"])])
def test_a_json_value_of_another_type_than_documented_is_400_naming_it(world_a, api_as, field, value):
    body = {"name": "Typed", field: value} if field != "name" else {field: value}
    assert_error(api_as(world_a).post(CLIENTS, body, format="json"), 400, field=field)


def test_json_types_are_checked_in_related_ids_and_decimals(world_a, api_as):
    contract, draft = active_contract(world_a), draft_contract(world_a)
    api = api_as(world_a)
    assert_error(api.post(ORDERS, {"contract": str(contract.pk), "title": "x"}, format="json"), 400, field="contract")
    assert_error(api.patch(f"/api/v1/contracts/{draft.pk}/", {"monthly_fee": 100.5}, format="json"), 400,
                 field="monthly_fee")
    changed = api.patch(f"/api/v1/contracts/{draft.pk}/", {"monthly_fee": "100.50"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["monthly_fee"] == "100.50"


@pytest.mark.parametrize("body", ["[]", '[{"name": "x"}]', '"name"', "7"])
def test_a_body_that_is_not_an_object_is_400_even_where_no_field_is_required(world_a, api_as, body):
    contract = active_contract(world_a)
    api = api_as(world_a)
    assert_error(api.post(CLIENTS, body, content_type="application/json"), 400)
    assert_error(api.post(f"/api/v1/contracts/{contract.pk}/suspend/", body, content_type="application/json"), 400)


# --- transitions and events -----------------------------------------------------------------------


@pytest.mark.parametrize("path, action", [
    ("/api/v1/orders/{id}/cancel/", "post"), ("/api/v1/orders/{id}/wait-on-client/", "post"),
    ("/api/v1/orders/{id}/send-back/", "post"), ("/api/v1/invoices/{id}/void/", "post"),
    ("/api/v1/contracts/{id}/terminate/", "post"),
])
def test_a_transition_that_needs_a_reason_documents_note_as_required(openapi, path, action):
    ref = openapi["paths"][path][action]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert "note" in body["required"] and body["properties"]["note"]["minLength"] == 1


def test_a_transition_without_a_reason_keeps_note_optional(openapi):
    ref = openapi["paths"]["/api/v1/orders/{id}/acknowledge/"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"]
    assert "note" not in openapi["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("required", [])


def test_cancelling_an_order_without_a_note_is_400_naming_note(world_a, api_as):
    order = raise_order(world_a, active_contract(world_a))
    assert_error(api_as(world_a).post(f"{ORDERS}{order.pk}/cancel/", {}, format="json"), 400, field="note")


def test_events_that_are_no_transition_have_an_empty_from_state_the_document_allows(world_a, api_as, openapi):
    contract, api = draft_contract(world_a), api_as(world_a)
    assert api.patch(f"/api/v1/contracts/{contract.pk}/", {"title": "Renamed"}, format="json").status_code == 200
    events = api.get(f"/api/v1/contracts/{contract.pk}/events/").json()
    events = events["results"] if isinstance(events, dict) else events
    assert "" in {event["from_state"] for event in events}
    one_of = openapi["components"]["schemas"]["ContractEvent"]["properties"]["from_state"]["oneOf"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in one_of
    assert openapi["components"]["schemas"]["BlankEnum"] == {"enum": [""]}


# --- methods --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["trace", "put", "delete"])
def test_a_method_an_endpoint_lacks_is_405_with_allow_even_with_a_format(world_a, api_as, method):
    response = getattr(api_as(world_a), method)("/api/v1/invoices/export/?format=csv&period=2026-01")
    body = assert_error(response, 405)
    assert body["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]
