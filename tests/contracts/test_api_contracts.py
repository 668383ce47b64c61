"""/api/v1/contracts/: list, filters, create, read, change."""

from __future__ import annotations

import datetime

import pytest

from contracts.models import Contract, ContractEvent, ContractParty
from tests.factories import ClientFactory, ProviderFactory

from .api_support import active_contract, assert_error, count_queries, draft_contract, next_year

pytestmark = pytest.mark.django_db

CONTRACTS = "/api/v1/contracts/"


def new_contract(world, **overrides):
    body = {
        "number": "SC-2026-001",
        "title": "Helpdesk and field support",
        "client": world.client.pk,
        "provider": world.own_provider.pk,
        "start_date": "2026-02-01",
        "end_date": "2027-01-31",
        "currency": "RUB",
        "monthly_fee": "480000.00",
        "quality_share_pct": "20.00",
        "penalty_cap_pct": "15.00",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def contract_count(world) -> int:
    with world.context():
        return Contract.objects.count()


# --- tenant wall ------------------------------------------------------------------------------


def test_contracts_validates_ownership(world_a, world_b, api_as):
    theirs = draft_contract(world_a, title="A's secret")
    mine = draft_contract(world_b)
    api_b = api_as(world_b)

    assert [c["id"] for c in api_b.get(CONTRACTS).json()["results"]] == [mine.pk]
    assert_error(api_b.get(f"{CONTRACTS}{theirs.pk}/"), 404, code="not_found")
    assert_error(api_b.patch(f"{CONTRACTS}{theirs.pk}/", {"title": "Taken"}, format="json"), 404)
    assert api_b.delete(f"{CONTRACTS}{theirs.pk}/").status_code == 405
    with world_a.context():
        assert Contract.objects.get(pk=theirs.pk).title == "A's secret"


def test_contract_writes_refuse_another_tenants_client_and_provider(world_a, world_b, api_as):
    api_b = api_as(world_b)
    mine = draft_contract(world_b)

    for field, foreign in (("client", world_a.client.pk), ("provider", world_a.own_provider.pk)):
        body = assert_error(api_b.post(CONTRACTS, new_contract(world_b, **{field: foreign}), format="json"),
                            400, code="validation_error", field=field)
        assert "does not exist" in body["errors"][0]["message"]
        assert_error(api_b.patch(f"{CONTRACTS}{mine.pk}/", {field: foreign}, format="json"), 400, field=field)
    assert contract_count(world_b) == 1
    with world_b.context():
        assert Contract.objects.get(pk=mine.pk).client_id == world_b.client.pk


def test_contract_list_filter_by_another_tenants_client_reveals_nothing(world_a, world_b, api_as):
    draft_contract(world_a)
    assert_error(api_as(world_b).get(f"{CONTRACTS}?client={world_a.client.pk}"), 400, field="client")


# --- create -----------------------------------------------------------------------------------


def test_account_manager_creates_a_draft_contract_with_its_parties(world_a, api_as):
    api = api_as(world_a, user=world_a.account_manager)
    response = api.post(CONTRACTS, new_contract(world_a), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft"
    assert body["number"] == "SC-2026-001"
    assert body["client_name"] == "Client of A"
    assert body["monthly_fee"] == "480000.00"  # money as a decimal string
    assert body["start_date"] == "2026-02-01"
    assert body["created_at"].endswith("Z")  # aware, in UTC
    assert body["available_transitions"] == ["submit"]
    assert sorted(p["kind"] for p in body["parties"]) == ["contractor", "customer"]
    with world_a.context():
        contract = Contract.objects.get(pk=body["id"])
        assert contract.created_by == world_a.account_manager
        assert ContractParty.objects.filter(contract=contract).count() == 2
        event = ContractEvent.objects.get(contract=contract)
    assert event.kind == "created"
    assert "API key" in event.actor_label


def test_contract_with_a_subcontractor_as_provider(world_a, api_as):
    sub = ProviderFactory(tenant=world_a.tenant, name="FixIt")
    response = api_as(world_a).post(CONTRACTS, new_contract(world_a, provider=sub.pk, end_date=None), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["provider_name"] == "FixIt"
    assert response.json()["end_date"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"end_date": "next year"}, "end_date"),
        ({"currency": "XYZ"}, "currency"),
        ({"start_date": "2026-03-01", "end_date": "2026-02-01"}, "end_date"),
        ({"monthly_fee": "-1.00"}, "monthly_fee"),
        ({"monthly_fee": "12.345"}, "monthly_fee"),
        ({"monthly_fee": "NaN"}, "monthly_fee"),
        ({"quality_share_pct": "100.01"}, "quality_share_pct"),
        ({"penalty_cap_pct": "-5"}, "penalty_cap_pct"),
        ({"acceptance_days": 0}, "acceptance_days"),
        ({"invoice_day": 31}, "invoice_day"),
        ({"review_cadence": "weekly"}, "review_cadence"),
        ({"number": ""}, "number"),
        ({"title": None}, "title"),
        ({"client": None}, "client"),
        ({"client": "abc"}, "client"),
        ({"client": True}, "client"),
        ({"client": 99999999999999999999}, "client"),
    ],
)
def test_contract_create_refuses_invalid_input_and_writes_nothing(world_a, api_as, overrides, field):
    response = api_as(world_a).post(CONTRACTS, new_contract(world_a, **overrides), format="json")
    assert_error(response, 400, field=field)
    assert contract_count(world_a) == 0


def test_duplicate_contract_number_is_refused_on_the_number(world_a, world_b, api_as):
    draft_contract(world_a, number="SC-1")
    body = assert_error(api_as(world_a).post(CONTRACTS, new_contract(world_a, number="SC-1"), format="json"),
                        400, field="number")
    assert body["errors"][0]["code"] == "unique"
    assert contract_count(world_a) == 1
    # numbers are per tenant
    assert api_as(world_b).post(CONTRACTS, new_contract(world_b, number="SC-1"), format="json").status_code == 201


def test_contract_body_must_be_an_object(world_a, api_as):
    assert_error(api_as(world_a).post(CONTRACTS, [new_contract(world_a)], format="json"), 400)
    assert contract_count(world_a) == 0


# --- read -------------------------------------------------------------------------------------


def test_contract_detail_shows_parties_and_roles(world_a, api_as):
    contract = active_contract(world_a)
    body = api_as(world_a).get(f"{CONTRACTS}{contract.pk}/").json()

    assert body["state"] == "active"
    assert {(r["role"], r["user"]) for r in body["roles"]} == {
        ("account_manager", world_a.account_manager.pk),
        ("client_signatory", world_a.client_signatory.pk),
    }
    assert {p["organisation_name"] for p in body["parties"]} == {"Client of A", "Tenant A (own)"}
    assert body["available_transitions"] == ["suspend", "terminate"]


def test_contract_detail_reads_in_a_fixed_number_of_queries(world_a, api_as, django_assert_max_num_queries):
    contract = active_contract(world_a)
    api = api_as(world_a)
    api.get(f"{CONTRACTS}{contract.pk}/")
    with django_assert_max_num_queries(6):
        api.get(f"{CONTRACTS}{contract.pk}/")


def test_contract_list_queries_do_not_grow_with_rows(world_a, api_as, django_assert_max_num_queries):
    api = api_as(world_a)
    api.get(CONTRACTS)
    for _ in range(3):
        draft_contract(world_a, client=ClientFactory(tenant=world_a.tenant))
    few = count_queries(api, CONTRACTS)
    for _ in range(17):
        draft_contract(world_a, client=ClientFactory(tenant=world_a.tenant),
                       provider=ProviderFactory(tenant=world_a.tenant))
    assert count_queries(api, CONTRACTS) == few
    with django_assert_max_num_queries(5):
        assert len(api.get(CONTRACTS).json()["results"]) == 20


def test_contracts_are_filtered(world_a, api_as):
    other_client = ClientFactory(tenant=world_a.tenant, name="Globex")
    draft = draft_contract(world_a, number="D-1", title="Printers", start_date=datetime.date(2026, 1, 1))
    active = active_contract(world_a, number="A-1", title="Network", start_date=datetime.date(2026, 6, 1))
    suspended = active_contract(world_a, number="S-1", client=other_client, end_date=None)
    from .api_support import move

    move(world_a, suspended, "suspend")
    api = api_as(world_a)

    def ids(query):
        response = api.get(f"{CONTRACTS}?{query}")
        assert response.status_code == 200, response.content
        return {c["id"] for c in response.json()["results"]}

    assert ids("state=active") == {active.pk}
    assert ids("state=active&state=suspended") == {active.pk, suspended.pk}
    assert ids(f"client={other_client.pk}") == {suspended.pk}
    assert ids(f"provider={world_a.own_provider.pk}") == {draft.pk, active.pk, suspended.pk}
    assert ids("number=A-1") == {active.pk}
    assert ids("start_date__gte=2026-05-01&start_date__lte=2026-07-01") == {active.pk}
    assert ids("end_date__isnull=true") == {suspended.pk}
    assert ids(f"end_date__lte={next_year(world_a).isoformat()}&end_date__gte=2026-01-01") == {draft.pk, active.pk}
    assert ids("search=globex") == {suspended.pk}
    assert ids("search=printers") == {draft.pk}
    assert ids("search=s-1") == {suspended.pk}
    numbers = [c["number"] for c in api.get(f"{CONTRACTS}?ordering=number").json()["results"]]
    assert numbers == ["A-1", "D-1", "S-1"]


def test_contract_filters_refuse_bad_values(world_a, api_as):
    api = api_as(world_a)
    assert_error(api.get(f"{CONTRACTS}?state=lost"), 400, field="state")
    assert_error(api.get(f"{CONTRACTS}?start_date__gte=yesterday"), 400, field="start_date__gte")
    assert_error(api.get(f"{CONTRACTS}?client=abc"), 400, field="client")


# --- change -----------------------------------------------------------------------------------


def test_draft_contract_terms_change_and_are_recorded(world_a, api_as):
    contract = draft_contract(world_a)
    response = api_as(world_a).patch(f"{CONTRACTS}{contract.pk}/", {"monthly_fee": "300000.50", "title": "New"},
                                     format="json")

    assert response.status_code == 200, response.content
    assert response.json()["monthly_fee"] == "300000.50"
    with world_a.context():
        event = ContractEvent.objects.get(contract=contract, kind="updated")
    assert set(event.data["changed"]) == {"monthly_fee", "title"}


def test_changing_the_client_moves_the_customer_party(world_a, api_as):
    contract = draft_contract(world_a)
    globex = ClientFactory(tenant=world_a.tenant, name="Globex")
    response = api_as(world_a).patch(f"{CONTRACTS}{contract.pk}/", {"client": globex.pk}, format="json")
    assert response.status_code == 200, response.content
    customer = next(p for p in response.json()["parties"] if p["kind"] == "customer")
    assert customer["client"] == globex.pk


def test_active_contract_terms_change_only_by_amendment(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)

    body = assert_error(api.patch(f"{CONTRACTS}{contract.pk}/", {"monthly_fee": "1.00"}, format="json"),
                        400, field="monthly_fee")
    assert body["errors"][0]["code"] == "not_editable"
    assert api.patch(f"{CONTRACTS}{contract.pk}/", {"title": "Renamed"}, format="json").status_code == 200


def test_contract_update_refuses_bad_input_and_keeps_the_row(world_a, api_as):
    contract = draft_contract(world_a, number="SC-1")
    draft_contract(world_a, number="SC-2")
    api = api_as(world_a)

    assert_error(api.patch(f"{CONTRACTS}{contract.pk}/", {"number": "SC-2"}, format="json"), 400, field="number")
    assert_error(api.patch(f"{CONTRACTS}{contract.pk}/", {"end_date": "2000-01-01"}, format="json"), 400,
                 field="end_date")
    assert_error(api.patch(f"{CONTRACTS}{contract.pk}/", {"state": "active", "penalty_cap_pct": "101"}, format="json"),
                 400, field="penalty_cap_pct")
    with world_a.context():
        contract.refresh_from_db()
    assert (contract.number, contract.state) == ("SC-1", "draft")


def test_state_is_read_only_on_update(world_a, api_as):
    contract = draft_contract(world_a)
    response = api_as(world_a).patch(f"{CONTRACTS}{contract.pk}/", {"state": "active"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "draft"


def test_contract_put_is_not_offered(world_a, api_as):
    contract = draft_contract(world_a)
    assert_error(api_as(world_a).put(f"{CONTRACTS}{contract.pk}/", new_contract(world_a), format="json"), 405,
                 code="method_not_allowed")
