"""/api/v1/contracts/{id}/<transition>/ and /api/v1/contracts/{id}/events/."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from contracts.models import ContractEvent

from .api_support import (
    active_contract,
    assert_error,
    count_queries,
    draft_contract,
    move,
    next_year,
    ready_contract,
    state_of,
)

pytestmark = pytest.mark.django_db

CONTRACTS = "/api/v1/contracts/"
ACTIONS = ["submit", "return-to-draft", "activate", "suspend", "resume", "terminate", "expire"]


def fire(api, contract, action, note=None):
    body = {} if note is None else {"note": note}
    return api.post(f"{CONTRACTS}{contract.pk}/{action}/", body, format="json")


def events(world, contract):
    with world.context():
        return list(ContractEvent.objects.filter(contract=contract, kind="transition").order_by("at", "id"))


# --- tenant wall ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_contract_transitions_validates_ownership(world_a, world_b, api_as, action):
    contract = active_contract(world_a)
    if action in ("return-to-draft", "activate"):
        contract = move(world_a, ready_contract(world_a, number=f"N-{action}"), "submit")
    elif action == "resume":
        contract = move(world_a, contract, "suspend")
    before = state_of(world_a, contract)

    assert_error(fire(api_as(world_b), contract, action, note="hostile"), 404, code="not_found")
    assert state_of(world_a, contract) == before
    assert all(e.note != "hostile" for e in events(world_a, contract))


def test_contract_events_validates_ownership(world_a, world_b, api_as):
    contract = active_contract(world_a)
    assert_error(api_as(world_b).get(f"{CONTRACTS}{contract.pk}/events/"), 404)


# --- the life of a contract through the API ---------------------------------------------------


def test_contract_goes_through_its_life_and_the_timeline_says_who_did_what(world_a, api_as):
    contract = ready_contract(world_a)
    api = api_as(world_a, user=world_a.account_manager)

    submitted = fire(api, contract, "submit")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "negotiation"
    assert submitted.json()["available_transitions"] == ["return_to_draft", "activate"]

    assert fire(api, contract, "activate").json()["state"] == "active"
    suspended = fire(api, contract, "suspend", note="Client has not paid for two months")
    assert suspended.status_code == 200, suspended.content
    assert suspended.json()["state"] == "suspended"
    assert suspended.json()["available_transitions"] == ["resume", "terminate"]
    assert fire(api, contract, "resume").json()["state"] == "active"
    terminated = fire(api, contract, "terminate", note="Mutual agreement")
    assert terminated.json()["state"] == "terminated"
    assert terminated.json()["available_transitions"] == []

    timeline = api.get(f"{CONTRACTS}{contract.pk}/events/")
    assert timeline.status_code == 200, timeline.content
    rows = [e for e in timeline.json()["results"] if e["kind"] == "transition"]
    assert [(e["transition"], e["from_state"], e["to_state"]) for e in rows] == [
        ("submit", "draft", "negotiation"),
        ("activate", "negotiation", "active"),
        ("suspend", "active", "suspended"),
        ("resume", "suspended", "active"),
        ("terminate", "active", "terminated"),
    ]
    assert rows[2]["note"] == "Client has not paid for two months"
    manager = world_a.account_manager.get_full_name()
    assert all(e["actor_label"].startswith(manager) and "API key" in e["actor_label"] for e in rows)
    assert all(e["actor"] == world_a.account_manager.pk for e in rows)
    assert all(datetime.datetime.fromisoformat(e["at"]).tzinfo is not None for e in rows)


def test_return_to_draft(world_a, api_as):
    contract = move(world_a, draft_contract(world_a), "submit")
    response = fire(api_as(world_a), contract, "return-to-draft", note="Client wants other terms")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "draft"
    assert events(world_a, contract)[-1].note == "Client wants other terms"


def test_activation_is_refused_with_every_unmet_condition(world_a, api_as):
    contract = move(world_a, draft_contract(world_a, start_date=None), "submit")

    body = assert_error(fire(api_as(world_a), contract, "activate"), 409, code="conditions_not_met")
    messages = [e["message"] for e in body["errors"]]
    assert messages == ["Set the start date.", "Assign an account manager.", "Assign a client signatory."]
    assert state_of(world_a, contract) == "negotiation"
    assert [e.transition for e in events(world_a, contract)] == ["submit"]


def test_transition_not_allowed_from_the_state_is_a_conflict(world_a, api_as):
    contract = draft_contract(world_a)
    api = api_as(world_a)
    for action in ("activate", "suspend", "resume", "terminate", "expire", "return-to-draft"):
        assert_error(fire(api, contract, action, note="why not"), 409, code="transition_not_allowed")
    assert state_of(world_a, contract) == "draft"
    assert events(world_a, contract) == []


@pytest.mark.parametrize("note", [None, "", "   "])
def test_suspend_and_terminate_need_a_reason(world_a, api_as, note):
    contract = active_contract(world_a)
    api = api_as(world_a)
    assert_error(fire(api, contract, "suspend", note=note), 400, field="note")
    assert_error(fire(api, contract, "terminate", note=note), 400, field="note")
    assert state_of(world_a, contract) == "active"


def local_noon(world, day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=zoneinfo.ZoneInfo(world.tenant.time_zone))


def test_expire_waits_for_the_end_date(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    body = assert_error(fire(api, contract, "expire"), 409, code="conditions_not_met")
    assert "end date" in body["message"]

    with time_machine.travel(local_noon(world_a, next_year(world_a) + datetime.timedelta(days=1))):
        assert "expire" in api.get(f"{CONTRACTS}{contract.pk}/").json()["available_transitions"]
        response = fire(api, contract, "expire")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "expired"


def test_engineer_reads_a_contract_but_may_fire_nothing(world_a, api_as):
    contract = draft_contract(world_a)
    api = api_as(world_a, user=world_a.engineer)

    detail = api.get(f"{CONTRACTS}{contract.pk}/")
    assert detail.status_code == 200
    assert detail.json()["available_transitions"] == []
    assert_error(fire(api, contract, "submit"), 403, code="permission_denied")
    assert state_of(world_a, contract) == "draft"


def test_read_only_key_sees_no_available_transitions(world_a, api_as):
    contract = draft_contract(world_a)
    api = api_as(world_a, scopes=("read",))
    assert api.get(f"{CONTRACTS}{contract.pk}/").json()["available_transitions"] == []
    assert_error(fire(api, contract, "submit"), 403)


def test_transition_body_is_validated(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    assert_error(fire(api, contract, "suspend", note="x" * 4001), 400, field="note")
    response = api.post(f"{CONTRACTS}{contract.pk}/suspend/", data="{note: oops", content_type="application/json")
    assert_error(response, 400, code="parse_error")
    assert state_of(world_a, contract) == "active"


def test_timeline_queries_do_not_grow_with_events(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    url = f"{CONTRACTS}{contract.pk}/events/"
    api.get(url)
    few = count_queries(api, url)
    for _ in range(6):
        move(world_a, contract, "suspend", "resume")
    assert count_queries(api, url) == few
    assert api.get(url).json()["count"] == 2 + 12
