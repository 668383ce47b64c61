"""/api/v1/clients/ and /api/v1/providers/."""

from __future__ import annotations

import pytest

from contracts.models import Client, Provider
from tests.factories import ClientFactory, ContractFactory, ProviderFactory

from .api_support import assert_error, count_queries, draft_contract

pytestmark = pytest.mark.django_db

CLIENTS = "/api/v1/clients/"
PROVIDERS = "/api/v1/providers/"


# --- clients ----------------------------------------------------------------------------------


def test_clients_validates_ownership(world_a, world_b, api_as):
    theirs = world_a.client
    api_b = api_as(world_b)

    listed = api_b.get(CLIENTS).json()["results"]
    assert theirs.pk not in [c["id"] for c in listed]
    assert [c["name"] for c in listed] == ["Client of B"]

    assert_error(api_b.get(f"{CLIENTS}{theirs.pk}/"), 404, code="not_found")
    assert_error(api_b.patch(f"{CLIENTS}{theirs.pk}/", {"name": "Taken"}, format="json"), 404)
    assert_error(api_b.put(f"{CLIENTS}{theirs.pk}/", {"name": "Taken"}, format="json"), 404)
    assert api_b.delete(f"{CLIENTS}{theirs.pk}/").status_code == 405
    with world_a.context():
        assert Client.objects.get(pk=theirs.pk).name == "Client of A"


def test_missing_client_answers_like_another_tenants(world_a, world_b, api_as):
    api_b = api_as(world_b)
    foreign = api_b.get(f"{CLIENTS}{world_a.client.pk}/")
    missing = api_b.get(f"{CLIENTS}999999/")
    assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())


def test_account_manager_creates_a_client(world_a, api_as):
    api = api_as(world_a, user=world_a.account_manager)
    response = api.post(CLIENTS, {"name": "Northwind", "legal_name": "Northwind LLC", "tax_id": "7701234567",
                                  "email": "it@northwind.example"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Northwind"
    assert body["is_active"] is True
    assert body["contract_count"] == 0
    with world_a.context():
        client = Client.objects.get(pk=body["id"])
    assert client.tenant_id == world_a.tenant.pk
    assert client.email == "it@northwind.example"


def test_client_name_must_be_unique_in_the_tenant_only(world_a, world_b, api_as):
    assert_error(api_as(world_a).post(CLIENTS, {"name": "Client of A"}, format="json"), 400, field="name")
    # another tenant may have a client of that name
    assert api_as(world_b).post(CLIENTS, {"name": "Client of A"}, format="json").status_code == 201


def test_client_input_is_validated(world_a, api_as):
    api = api_as(world_a)
    assert_error(api.post(CLIENTS, {"legal_name": "No name"}, format="json"), 400, code="validation_error", field="name")
    assert_error(api.post(CLIENTS, {"name": "X", "email": "not-an-email"}, format="json"), 400, field="email")
    assert_error(api.post(CLIENTS, {"name": "X" * 201}, format="json"), 400, field="name")
    with world_a.context():
        assert Client.objects.count() == 1


def test_client_is_deactivated_not_deleted(world_a, api_as):
    api = api_as(world_a)
    url = f"{CLIENTS}{world_a.client.pk}/"

    assert_error(api.delete(url), 405, code="method_not_allowed")
    response = api.patch(url, {"is_active": False}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False
    with world_a.context():
        assert Client.objects.get(pk=world_a.client.pk).is_active is False


def test_client_full_update_replaces_the_fields(world_a, api_as):
    response = api_as(world_a).put(f"{CLIENTS}{world_a.client.pk}/", {"name": "Renamed", "phone": "+7 495 000"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Renamed"
    assert response.json()["phone"] == "+7 495 000"


def test_clients_are_filtered_searched_and_ordered(world_a, api_as):
    ClientFactory(tenant=world_a.tenant, name="Acme", tax_id="5000000001")
    ClientFactory(tenant=world_a.tenant, name="Zeta", legal_name="Zeta Holdings", is_active=False)
    api = api_as(world_a)

    names = lambda query: [c["name"] for c in api.get(f"{CLIENTS}?{query}").json()["results"]]  # noqa: E731
    assert names("is_active=false") == ["Zeta"]
    assert names("search=holdings") == ["Zeta"]
    assert names("search=5000000001") == ["Acme"]
    assert names("ordering=-name") == ["Zeta", "Client of A", "Acme"]


def test_client_counts_its_contracts(world_a, api_as):
    draft_contract(world_a)
    draft_contract(world_a)
    body = api_as(world_a).get(f"{CLIENTS}{world_a.client.pk}/").json()
    assert (body["contract_count"], body["active_contract_count"]) == (2, 0)


def test_client_list_queries_do_not_grow_with_rows(world_a, api_as, django_assert_max_num_queries):
    api = api_as(world_a)
    api.get(CLIENTS)  # warm up: the key's last-used stamp
    for n in range(2):
        ClientFactory(tenant=world_a.tenant, name=f"Few {n}")
    few = count_queries(api, CLIENTS)
    for n in range(17):
        ContractFactory(tenant=world_a.tenant, client=ClientFactory(tenant=world_a.tenant, name=f"Many {n}"))
    many = count_queries(api, CLIENTS)

    assert few == many
    with django_assert_max_num_queries(5):
        assert len(api.get(CLIENTS).json()["results"]) == 20


# --- providers --------------------------------------------------------------------------------


def test_providers_validates_ownership(world_a, world_b, api_as):
    theirs = ProviderFactory(tenant=world_a.tenant, name="A's subcontractor")
    api_b = api_as(world_b)

    listed = [p["id"] for p in api_b.get(PROVIDERS).json()["results"]]
    assert theirs.pk not in listed
    assert world_a.own_provider.pk not in listed
    assert_error(api_b.get(f"{PROVIDERS}{theirs.pk}/"), 404)
    assert_error(api_b.patch(f"{PROVIDERS}{theirs.pk}/", {"name": "Taken"}, format="json"), 404)
    assert api_b.delete(f"{PROVIDERS}{theirs.pk}/").status_code == 405
    with world_a.context():
        assert Provider.objects.get(pk=theirs.pk).name == "A's subcontractor"


def test_account_manager_adds_and_renames_a_subcontractor(world_a, api_as):
    api = api_as(world_a, user=world_a.account_manager)
    created = api.post(PROVIDERS, {"name": "FixIt", "tax_id": "7800000000"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["is_own"] is False

    renamed = api.patch(f"{PROVIDERS}{created.json()['id']}/", {"name": "FixIt Group"}, format="json")
    assert renamed.status_code == 200, renamed.content
    assert renamed.json()["name"] == "FixIt Group"
    assert_error(api.post(PROVIDERS, {"name": "FixIt Group"}, format="json"), 400, field="name")


def test_providers_filter_own_organisation(world_a, api_as):
    ProviderFactory(tenant=world_a.tenant, name="Sub")
    api = api_as(world_a)
    assert [p["name"] for p in api.get(f"{PROVIDERS}?is_own=true").json()["results"]] == ["Tenant A (own)"]
    assert [p["name"] for p in api.get(f"{PROVIDERS}?is_own=false").json()["results"]] == ["Sub"]


def test_provider_list_queries_do_not_grow_with_rows(world_a, api_as):
    api = api_as(world_a)
    api.get(PROVIDERS)
    for _ in range(2):
        ProviderFactory(tenant=world_a.tenant)
    few = count_queries(api, PROVIDERS)
    for _ in range(18):
        ProviderFactory(tenant=world_a.tenant)
    assert count_queries(api, PROVIDERS) == few <= 5
