"""/api/v1/contract-parties/ and /api/v1/contract-roles/."""

from __future__ import annotations

import pytest

from contracts.models import ContractEvent, ContractParty, ContractRole
from tests.factories import ContractRoleFactory, ProviderFactory, UserFactory

from .api_support import active_contract, assert_error, count_queries, draft_contract

pytestmark = pytest.mark.django_db

PARTIES = "/api/v1/contract-parties/"
ROLES = "/api/v1/contract-roles/"


def subcontractor_party(world, contract, name="FixIt"):
    with world.context():
        return ContractParty.objects.create(
            contract=contract, kind="subcontractor", provider=ProviderFactory(tenant=world.tenant, name=name)
        )


# --- parties ----------------------------------------------------------------------------------


def test_contract_parties_validates_ownership(world_a, world_b, api_as):
    theirs = draft_contract(world_a)
    party = subcontractor_party(world_a, theirs)
    mine = draft_contract(world_b)
    sub_of_a = ProviderFactory(tenant=world_a.tenant, name="A's sub")
    api_b = api_as(world_b)

    listed = [p["id"] for p in api_b.get(PARTIES).json()["results"]]
    assert party.pk not in listed and len(listed) == 2
    assert_error(api_b.get(f"{PARTIES}{party.pk}/"), 404)
    assert_error(api_b.delete(f"{PARTIES}{party.pk}/"), 404)
    assert_error(api_b.get(f"{PARTIES}?contract={theirs.pk}"), 400, field="contract")
    assert_error(api_b.post(PARTIES, {"contract": theirs.pk, "kind": "subcontractor",
                                      "provider": ProviderFactory(tenant=world_b.tenant).pk}, format="json"),
                 400, field="contract")
    assert_error(api_b.post(PARTIES, {"contract": mine.pk, "kind": "subcontractor", "provider": sub_of_a.pk},
                            format="json"), 400, field="provider")
    with world_a.context():
        assert ContractParty.objects.filter(pk=party.pk).exists()
        assert ContractParty.objects.filter(contract=theirs).count() == 3
    with world_b.context():
        assert ContractParty.objects.filter(contract=mine).count() == 2


def test_account_manager_adds_and_removes_a_subcontractor(world_a, api_as):
    contract = draft_contract(world_a)
    sub = ProviderFactory(tenant=world_a.tenant, name="FixIt")
    api = api_as(world_a, user=world_a.account_manager)

    created = api.post(PARTIES, {"contract": contract.pk, "kind": "subcontractor", "provider": sub.pk,
                                 "representative": "I. Petrov", "responsibilities": "Field visits"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["organisation_name"] == "FixIt"
    listed = api.get(f"{PARTIES}?contract={contract.pk}&kind=subcontractor").json()["results"]
    assert [p["id"] for p in listed] == [created.json()["id"]]

    assert api.delete(f"{PARTIES}{created.json()['id']}/").status_code == 204
    with world_a.context():
        assert not ContractParty.objects.filter(pk=created.json()["id"]).exists()
        kinds = list(ContractEvent.objects.filter(contract=contract).values_list("kind", flat=True))
    assert kinds == ["party_added", "party_removed"]


def test_party_rules_are_enforced(world_a, api_as):
    contract = draft_contract(world_a)
    api = api_as(world_a)
    customer = ContractParty.objects_for_test = None  # noqa: F841  (placeholder removed below)
    with world_a.context():
        customer = ContractParty.objects.get(contract=contract, kind="customer")

    assert_error(api.delete(f"{PARTIES}{customer.pk}/"), 400, code="protected")
    assert_error(api.post(PARTIES, {"contract": contract.pk, "kind": "subcontractor"}, format="json"), 400,
                 field="provider")
    assert_error(api.post(PARTIES, {"contract": contract.pk, "kind": "contractor",
                                    "provider": world_a.own_provider.pk}, format="json"), 400, field="provider")
    assert_error(api.post(PARTIES, {"contract": contract.pk, "kind": "guarantor"}, format="json"), 400, field="kind")
    with world_a.context():
        assert ContractParty.objects.filter(contract=contract).count() == 2


def test_party_list_queries_do_not_grow_with_rows(world_a, api_as):
    api = api_as(world_a)
    api.get(PARTIES)
    draft_contract(world_a)
    few = count_queries(api, PARTIES)
    for n in range(9):
        contract = draft_contract(world_a)
        subcontractor_party(world_a, contract, name=f"Sub {n}")
    assert count_queries(api, PARTIES) == few <= 5


# --- roles ------------------------------------------------------------------------------------


def test_contract_roles_validates_ownership(world_a, world_b, api_as):
    theirs = draft_contract(world_a)
    assignment = ContractRoleFactory(contract=theirs, role="resolver", user=world_a.engineer)
    mine = draft_contract(world_b)
    api_b = api_as(world_b)

    assert assignment.pk not in [r["id"] for r in api_b.get(ROLES).json()["results"]]
    assert_error(api_b.get(f"{ROLES}{assignment.pk}/"), 404)
    assert_error(api_b.delete(f"{ROLES}{assignment.pk}/"), 404)
    assert_error(api_b.get(f"{ROLES}?contract={theirs.pk}"), 400, field="contract")
    assert_error(api_b.get(f"{ROLES}?user={world_a.engineer.pk}"), 400, field="user")
    assert_error(api_b.post(ROLES, {"contract": theirs.pk, "role": "resolver", "user": world_b.engineer.pk},
                            format="json"), 400, field="contract")
    # a user of tenant A is no member of B: B cannot put them on its contracts
    body = assert_error(api_b.post(ROLES, {"contract": mine.pk, "role": "resolver", "user": world_a.engineer.pk},
                                   format="json"), 400, field="user")
    assert "does not exist" in body["errors"][0]["message"]
    with world_a.context():
        assert ContractRole.objects.filter(pk=assignment.pk).exists()
    with world_b.context():
        assert not ContractRole.objects.exists()


def test_account_manager_fills_the_responsibility_matrix(world_a, api_as):
    contract = draft_contract(world_a)
    api = api_as(world_a, user=world_a.account_manager)

    for role, user in (("account_manager", world_a.account_manager), ("resolver", world_a.engineer),
                       ("client_signatory", world_a.client_signatory)):
        response = api.post(ROLES, {"contract": contract.pk, "role": role, "user": user.pk}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["user_name"] == user.get_full_name()

    listed = api.get(f"{ROLES}?contract={contract.pk}&role=resolver").json()["results"]
    assert [(r["role"], r["user"]) for r in listed] == [("resolver", world_a.engineer.pk)]
    assert len(api.get(f"{ROLES}?user={world_a.engineer.pk}").json()["results"]) == 1
    with world_a.context():
        assert ContractEvent.objects.filter(contract=contract, kind="role_assigned").count() == 3


def test_role_assignment_rules_are_enforced(world_a, api_as):
    contract = draft_contract(world_a)
    ContractRoleFactory(contract=contract, role="resolver", user=world_a.engineer)
    outsider = UserFactory()
    api = api_as(world_a)

    def refused(role, user_id):
        return assert_error(api.post(ROLES, {"contract": contract.pk, "role": role, "user": user_id},
                                     format="json"), 400, field="user")

    refused("client_signatory", world_a.engineer.pk)  # provider staff cannot sign for the client
    refused("client_signatory", world_a.client_viewer.pk)  # a viewer may not sign
    refused("resolver", world_a.client_admin.pk)  # client users take client-side roles only
    refused("resolver", world_a.engineer.pk)  # already there
    refused("resolver", outsider.pk)  # not a member at all
    assert_error(api.post(ROLES, {"contract": contract.pk, "role": "boss", "user": world_a.admin.pk},
                          format="json"), 400, field="role")
    with world_a.context():
        assert ContractRole.objects.filter(contract=contract).count() == 1


def test_role_is_removed_but_an_active_contract_keeps_its_account_manager(world_a, api_as):
    contract = active_contract(world_a)
    resolver = ContractRoleFactory(contract=contract, role="resolver", user=world_a.engineer)
    api = api_as(world_a)
    with world_a.context():
        manager = ContractRole.objects.get(contract=contract, role="account_manager")

    assert api.delete(f"{ROLES}{resolver.pk}/").status_code == 204
    assert_error(api.delete(f"{ROLES}{manager.pk}/"), 400, code="protected")
    with world_a.context():
        assert list(ContractRole.objects.filter(contract=contract).values_list("role", flat=True).order_by("role")) == [
            "account_manager", "client_signatory",
        ]


def test_role_list_queries_do_not_grow_with_rows(world_a, api_as):
    api = api_as(world_a)
    api.get(ROLES)
    ContractRoleFactory(contract=draft_contract(world_a), role="resolver", user=world_a.engineer)
    few = count_queries(api, ROLES)
    for _ in range(9):
        contract = draft_contract(world_a)
        ContractRoleFactory(contract=contract, role="resolver", user=world_a.engineer)
        ContractRoleFactory(contract=contract, role="account_manager", user=world_a.account_manager)
    assert count_queries(api, ROLES) == few <= 5
