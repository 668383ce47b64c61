"""The amendments and contract-versions API: propose, agree, reject, cancel; bad input is a 400
naming the field with nothing saved; the tenant wall and the client scope on every endpoint."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from contracts.models import Amendment, AmendmentState, ContractVersion
from contracts.tasks import apply_due_amendments
from tests.clock import local_today
from tests.conftest import PASSWORD
from tests.contracts.api_support import active_contract, assert_error
from tests.factories import ClientFactory, MembershipFactory, UserFactory
from tests.orders.api_support import session_as

AMENDMENTS = "/api/v1/amendments/"
VERSIONS = "/api/v1/contract-versions/"


def body(world, target, **overrides) -> dict:
    data = {"contract": target.pk, "effective_date": (local_today(world.tenant) + dt.timedelta(days=5)).isoformat(),
            "reason": "More users", "changes": {"monthly_fee": "320000.00"}}
    data.update(overrides)
    return data


def count(world) -> int:
    with world.context():
        return Amendment.objects.count()


def test_the_account_manager_proposes_and_reads_the_amendment(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, world_a.account_manager)
    response = api.post(AMENDMENTS, body(world_a, contract), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == "proposed" and data["proposed_side"] == "provider"
    assert data["changes"] == {"monthly_fee": "320000.00"}
    assert data["change_rows"] == [{"term": "monthly_fee", "label": "Monthly fee", "before": "250,000.00",
                                    "after": "320,000.00"}]
    assert len(data["document_sha256"]) == 64
    assert api.get(f"{AMENDMENTS}{data['id']}/").json()["number"] == data["number"]
    listed = api.get(f"{AMENDMENTS}?contract={contract.pk}&state=proposed").json()["results"]
    assert [a["id"] for a in listed] == [data["id"]]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"effective_date": "2000-01-01"}, "effective_date"),
    ({"effective_date": "soon"}, "effective_date"),
    ({"changes": {}}, "changes"),
    ({"changes": {"monthly_fee": "-5"}}, "changes.monthly_fee"),
    ({"changes": {"monthly_fee": "250000.00"}}, "changes.monthly_fee"),
    ({"changes": {"end_date": "2000-01-01"}}, "changes.end_date"),
    ({"changes": {"acceptance_days": 500}}, "changes.acceptance_days"),
    ({"changes": {"unknown": 1}}, "changes.unknown"),
    ({"changes": ["monthly_fee"]}, "changes"),
    ({"reason": ""}, "reason"),
    ({"contract": 999999}, "contract"),
])
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(world_a, api_as, overrides, field):
    contract = active_contract(world_a)
    response = api_as(world_a).post(AMENDMENTS, body(world_a, contract, **overrides), format="json")
    assert_error(response, 400, field=field)
    assert count(world_a) == 0


def test_an_overlapping_amendment_is_a_400(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    assert api.post(AMENDMENTS, body(world_a, contract), format="json").status_code == 201
    assert_error(api.post(AMENDMENTS, body(world_a, contract, changes={"monthly_fee": "1.00"}), format="json"),
                 400, field="changes.monthly_fee")
    assert count(world_a) == 1


def test_the_client_agrees_in_person_with_the_password(world_a, api_as):
    contract = active_contract(world_a)
    created = api_as(world_a).post(AMENDMENTS, body(world_a, contract, effective_date=local_today(
        world_a.tenant).isoformat()), format="json").json()
    url = f"{AMENDMENTS}{created['id']}/agree/"
    # an API key is not the signatory in person
    assert_error(api_as(world_a, world_a.client_signatory).post(url, {"password": PASSWORD, "consent": True},
                                                                format="json"), 403)
    api = session_as(world_a.client_signatory)
    assert_error(api.post(url, {"password": "wrong", "consent": True}, format="json"), 400, field="password")
    assert_error(api.post(url, {"password": PASSWORD}, format="json"), 400, field="consent")
    response = api.post(url, {"password": PASSWORD, "consent": True}, format="json", HTTP_USER_AGENT="pytest")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "applied" and data["consent"]["document_sha256"] == data["document_sha256"]
    assert_error(api.post(url, {"password": PASSWORD, "consent": True}, format="json"), 409)
    versions = api.get(f"{VERSIONS}?contract={contract.pk}").json()["results"]
    assert [v["number"] for v in versions] == [1]


def test_versions_list_their_diff(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    created = api.post(AMENDMENTS, body(world_a, contract, effective_date=(local_today(world_a.tenant) + dt.timedelta(
        days=1)).isoformat(), changes={"acceptance_days": 9}), format="json").json()
    session_as(world_a.client_signatory).post(f"{AMENDMENTS}{created['id']}/agree/",
                                              {"password": PASSWORD, "consent": True}, format="json")
    with world_a.context():
        assert Amendment.objects.get(pk=created["id"]).state == AmendmentState.AGREED  # from tomorrow
    with time_machine.travel(timezone.now() + dt.timedelta(days=1), tick=True):
        assert apply_due_amendments(world_a.tenant.pk) == 1
    versions = api.get(f"{VERSIONS}?contract={contract.pk}").json()["results"]
    assert [v["number"] for v in versions] == [1, 2]
    detail = api.get(f"{VERSIONS}{versions[1]['id']}/").json()
    assert detail["diff"][0]["term"] == "acceptance_days"
    assert (detail["diff"][0]["before"], detail["diff"][0]["after"]) == (5, 9)


def test_reject_and_cancel_by_the_right_side(world_a, api_as):
    contract = active_contract(world_a)
    provider = api_as(world_a)
    first = provider.post(AMENDMENTS, body(world_a, contract), format="json").json()
    client = api_as(world_a, world_a.client_signatory)
    assert_error(client.post(f"{AMENDMENTS}{first['id']}/reject/", {}, format="json"), 400, field="note")
    assert_error(client.post(f"{AMENDMENTS}{first['id']}/cancel/", {}, format="json"), 403)
    response = client.post(f"{AMENDMENTS}{first['id']}/reject/", {"note": "No"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "rejected"
    second = provider.post(AMENDMENTS, body(world_a, contract), format="json").json()
    assert provider.post(f"{AMENDMENTS}{second['id']}/cancel/", {}, format="json").json()["state"] == "cancelled"


def test_the_client_proposes_through_the_api_and_the_account_manager_agrees(world_a, api_as):
    contract = active_contract(world_a)
    client = api_as(world_a, world_a.client_admin)
    created = client.post(AMENDMENTS, body(world_a, contract), format="json")
    assert created.status_code == 201 and created.json()["proposed_side"] == "client"
    response = api_as(world_a, world_a.account_manager).post(f"{AMENDMENTS}{created.json()['id']}/agree/", {},
                                                             format="json")
    assert response.status_code == 200 and response.json()["state"] == "agreed"


def test_roles_that_may_not_propose_are_refused(world_a, api_as):
    contract = active_contract(world_a)
    for user in (world_a.engineer, world_a.client_viewer):
        assert_error(api_as(world_a, user).post(AMENDMENTS, body(world_a, contract), format="json"), 403)
    assert count(world_a) == 0


def test_another_tenant_cannot_read_list_or_act(world_a, world_b, api_as):
    contract = active_contract(world_a)
    created = api_as(world_a).post(AMENDMENTS, body(world_a, contract), format="json").json()
    other = api_as(world_b)
    assert_error(other.get(f"{AMENDMENTS}{created['id']}/"), 404)
    assert other.get(AMENDMENTS).json()["results"] == []
    assert other.get(VERSIONS).json()["results"] == []
    with world_a.context():
        version = ContractVersion.objects.get(contract=contract)
    assert_error(other.get(f"{VERSIONS}{version.pk}/"), 404)
    for action in ("agree", "reject", "cancel"):
        assert_error(other.post(f"{AMENDMENTS}{created['id']}/{action}/", {"note": "x"}, format="json"), 404)
    assert_error(other.post(AMENDMENTS, body(world_b, contract), format="json"), 400, field="contract")
    with world_a.context():
        assert Amendment.objects.get(pk=created["id"]).state == AmendmentState.PROPOSED


def test_a_client_user_sees_only_their_clients_amendments(world_a, api_as):
    contract = active_contract(world_a)
    other_client = ClientFactory(tenant=world_a.tenant, name="Other client")
    outsider = UserFactory(username="a_other_client_admin")
    MembershipFactory(tenant=world_a.tenant, user=outsider, role="client_admin", client=other_client)
    created = api_as(world_a).post(AMENDMENTS, body(world_a, contract), format="json").json()
    mine = api_as(world_a, world_a.client_viewer)
    assert [a["id"] for a in mine.get(AMENDMENTS).json()["results"]] == [created["id"]]
    api = api_as(world_a, outsider)
    assert api.get(AMENDMENTS).json()["results"] == []
    assert api.get(VERSIONS).json()["results"] == []
    assert_error(api.get(f"{AMENDMENTS}{created['id']}/"), 404)
    assert_error(api.post(f"{AMENDMENTS}{created['id']}/reject/", {"note": "x"}, format="json"), 404)
    assert_error(api.post(AMENDMENTS, body(world_a, contract), format="json"), 400, field="contract")


def test_the_contract_api_carries_the_renewal_and_dispute_terms(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    response = api.patch(f"/api/v1/contracts/{contract.pk}/", {"auto_renew": True, "renewal_term_months": 6,
                                                              "dispute_mediation_days": 15}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["auto_renew"], data["renewal_term_months"], data["dispute_mediation_days"]) == (True, 6, 15)
    assert_error(api.patch(f"/api/v1/contracts/{contract.pk}/", {"renewal_term_months": 0}, format="json"), 400,
                 field="renewal_term_months")


def test_list_queries_do_not_grow_with_the_rows(world_a, api_as):
    from tests.contracts.api_support import count_queries

    api = api_as(world_a)
    first = active_contract(world_a)
    api.post(AMENDMENTS, body(world_a, first), format="json")
    count_queries(api, AMENDMENTS)  # the key's first use of the minute is recorded
    few = {url: count_queries(api, url) for url in (AMENDMENTS, VERSIONS)}
    for _n in range(3):
        contract = active_contract(world_a)
        api.post(AMENDMENTS, body(world_a, contract), format="json")
    assert {url: count_queries(api, url) for url in (AMENDMENTS, VERSIONS)} == few
