"""/api/v1/orders/: raising orders, their transitions by side, clocks, comments, history, lists."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from orders.models import Order
from tests.contracts.api_support import active_contract, assert_error, count_queries, draft_contract
from tests.support import raise_order, reload

from .api_support import (
    HOUR,
    MONDAY_9,
    ORDERS,
    TeamFactory,
    clocks_of,
    comment_count,
    event_count,
    fire,
    move,
    other_client,
    session_as,
)

pytestmark = pytest.mark.django_db


def order_count(world) -> int:
    with world.context():
        return Order.objects.count()


# --- raising an order -------------------------------------------------------------------------


def test_client_user_raises_an_order_and_its_clocks_start_now(world_a):
    contract = active_contract(world_a)
    api = session_as(world_a.client_admin)
    with time_machine.travel(MONDAY_9, tick=False):
        response = api.post(ORDERS, {
            "contract": contract.pk, "title": "Mail is down", "description": "Since 8:30 nobody gets mail",
            "expected_result": "Mail flows again", "priority": "high", "kind": "incident",
            "desired_deadline": "2026-11-02T18:00:00Z",
            "reported_at": "2026-11-01T09:00:00Z",  # a client cannot backdate: ignored
        }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "new"
    assert body["client"] == world_a.client.pk
    assert body["reported_by"] == world_a.client_admin.pk
    assert dt.datetime.fromisoformat(body["reported_at"]) == MONDAY_9
    clocks = clocks_of(body)
    assert clocks["response"]["state"] == "running"
    assert dt.datetime.fromisoformat(clocks["response"]["due_at"]) == MONDAY_9 + dt.timedelta(hours=24)
    assert clocks["response"]["time_left_seconds"] == 24 * HOUR
    assert clocks["resolution"]["time_left_seconds"] == 48 * HOUR
    assert dt.datetime.fromisoformat(body["next_due_at"]) == MONDAY_9 + dt.timedelta(hours=24)
    # the client may not acknowledge their own order; they may cancel it
    assert body["available_transitions"] == ["cancel"]


def test_engineer_registers_an_order_reported_yesterday_and_the_clock_counts_from_then(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, user=world_a.engineer)
    with time_machine.travel(MONDAY_9, tick=False):
        response = api.post(ORDERS, {
            "contract": contract.pk, "title": "Called in: VPN drops", "reported_at": "2026-11-01T13:00:00Z",
        }, format="json")
        assert response.status_code == 201, response.content
        clocks = clocks_of(response.json())
        assert dt.datetime.fromisoformat(clocks["response"]["due_at"]) == MONDAY_9 + dt.timedelta(hours=4)
        assert clocks["response"]["time_left_seconds"] == 4 * HOUR
        assert clocks["response"]["elapsed_seconds"] == 20 * HOUR
        assert clocks["response"]["state"] == "warned"  # 20 h of 24 h is past the 75 % threshold
        assert response.json()["reported_by"] == world_a.engineer.pk
        assert "acknowledge" in response.json()["available_transitions"]


def test_reported_at_in_the_future_is_refused_and_nothing_is_saved(world_a, api_as):
    contract = active_contract(world_a)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    response = api_as(world_a, user=world_a.engineer).post(
        ORDERS, {"contract": contract.pk, "title": "Later", "reported_at": future}, format="json")
    assert_error(response, 400, field="reported_at")
    assert order_count(world_a) == 0


def test_an_order_on_a_contract_that_is_not_active_is_refused(world_a):
    contract = draft_contract(world_a)
    response = session_as(world_a.client_admin).post(ORDERS, {"contract": contract.pk, "title": "x"}, format="json")
    assert_error(response, 400, field="contract")
    assert order_count(world_a) == 0


@pytest.mark.parametrize("body, field", [
    ({"title": ""}, "title"),
    ({"priority": "urgent"}, "priority"),
    ({"kind": "wish"}, "kind"),
    ({"desired_deadline": "2020-01-01T00:00:00Z"}, "desired_deadline"),
    ({"contract": None}, "contract"),
])
def test_bad_order_input_names_the_field(world_a, body, field):
    contract = active_contract(world_a)
    response = session_as(world_a.client_admin).post(ORDERS, {"contract": contract.pk, "title": "ok", **body},
                                                     format="json")
    assert_error(response, 400, field=field)
    assert order_count(world_a) == 0


def test_a_client_user_cannot_raise_an_order_on_another_clients_contract(world_a):
    _client, _user, their_contract = other_client(world_a)
    response = session_as(world_a.client_admin).post(ORDERS, {"contract": their_contract.pk, "title": "x"},
                                                     format="json")
    assert_error(response, 400, field="contract")
    assert order_count(world_a) == 0


def test_a_client_may_not_route_an_order_to_a_team(world_a):
    contract = active_contract(world_a)
    team = TeamFactory(tenant=world_a.tenant)
    response = session_as(world_a.client_admin).post(
        ORDERS, {"contract": contract.pk, "title": "x", "team": team.pk}, format="json")
    assert_error(response, 403, field="team")
    assert order_count(world_a) == 0


def test_a_client_viewer_reads_but_may_not_raise(world_a):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    api = session_as(world_a.client_viewer)
    assert api.get(f"{ORDERS}{order.pk}/").status_code == 200
    assert_error(api.post(ORDERS, {"contract": contract.pk, "title": "x"}, format="json"), 403)
    assert_error(fire(api, order, "cancel", note="no"), 403)
    assert order_count(world_a) == 1


# --- the life of an order ---------------------------------------------------------------------


def test_order_goes_through_its_stages_each_step_by_its_side(world_a, api_as):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    provider = api_as(world_a, user=world_a.engineer)
    client = session_as(world_a.client_signatory)

    def step(api, action, state, note=None):
        response = fire(api, order, action, note)
        assert response.status_code == 200, (action, response.content)
        assert response.json()["state"] == state
        return response.json()

    assert_error(fire(client, order, "acknowledge"), 403, code="permission_denied")
    step(provider, "acknowledge", "acknowledged")
    step(provider, "plan", "planned")
    assert_error(fire(provider, order, "agree"), 403)
    body = step(client, "agree", "agreed")
    assert body["available_transitions"] == ["cancel"]  # approving is the provider's
    step(provider, "approve", "approved")
    step(provider, "start", "in_progress")
    assert_error(fire(provider, order, "wait-on-client"), 400, field="note")
    step(provider, "wait-on-client", "waiting_on_client", note="Need the admin password")
    step(client, "resume", "in_progress")
    step(provider, "deliver", "delivered")
    assert_error(fire(provider, order, "accept"), 403)
    assert_error(fire(client, order, "send-back"), 400, field="note")
    step(client, "send-back", "rework", note="The report is missing")
    step(provider, "start", "in_progress")
    step(provider, "deliver", "delivered")
    body = step(client, "accept", "accepted")
    assert body["available_transitions"] == []
    assert {c["state"] for c in body["clocks"]} == {"met"}

    history = client.get(f"{ORDERS}{order.pk}/events/").json()["results"]
    transitions = [(e["transition"], e["from_state"], e["to_state"]) for e in history if e["kind"] == "transition"]
    assert transitions[0] == ("acknowledge", "new", "acknowledged")
    assert transitions[-1] == ("accept", "delivered", "accepted")
    assert len(transitions) == 12
    send_back = next(e for e in history if e["transition"] == "send_back")
    assert send_back["note"] == "The report is missing"
    assert send_back["actor"] == world_a.client_signatory.pk
    assert "API key" in next(e for e in history if e["transition"] == "deliver")["actor_label"]


def test_an_incident_may_start_straight_after_acknowledgement_but_a_request_may_not(world_a, api_as):
    contract = active_contract(world_a)
    incident = raise_order(world_a, contract, kind="incident")
    request = raise_order(world_a, contract, kind="request")
    api = api_as(world_a, user=world_a.engineer)
    for order in (incident, request):
        assert fire(api, order, "acknowledge").status_code == 200
    assert "start_incident" in api.get(f"{ORDERS}{incident.pk}/").json()["available_transitions"]
    assert fire(api, incident, "start-incident").json()["state"] == "in_progress"
    assert_error(fire(api, request, "start-incident"), 409, code="conditions_not_met")
    assert reload(world_a, request).state == "acknowledged"


def test_a_transition_from_the_wrong_state_is_a_conflict_and_records_nothing(world_a, api_as):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    before = event_count(world_a, order)
    api = api_as(world_a, user=world_a.engineer)
    for action in ("plan", "approve", "start", "deliver", "resume", "wait-on-client"):
        assert_error(fire(api, order, action, note="why not"), 409, code="transition_not_allowed")
    assert_error(fire(session_as(world_a.client_admin), order, "accept"), 409)
    assert reload(world_a, order).state == "new"
    assert event_count(world_a, order) == before


def test_cancel_needs_a_reason_and_either_side_may_cancel(world_a, api_as):
    contract = active_contract(world_a)
    mine, theirs = raise_order(world_a, contract), raise_order(world_a, contract)
    assert_error(fire(session_as(world_a.client_admin), mine, "cancel"), 400, field="note")
    assert fire(session_as(world_a.client_admin), mine, "cancel", note="Fixed it myself").json()["state"] == "cancelled"
    body = fire(api_as(world_a, user=world_a.engineer), theirs, "cancel", note="Duplicate").json()
    assert body["state"] == "cancelled"
    assert body["next_due_at"] is None


# --- clocks -----------------------------------------------------------------------------------


def test_waiting_on_the_client_pauses_the_clocks_and_resuming_moves_the_due_time(world_a, api_as):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False):
        order = raise_order(world_a, contract, kind="incident")
    provider = api_as(world_a, user=world_a.engineer)
    client = session_as(world_a.client_admin)
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=1), tick=False):
        fire(provider, order, "acknowledge")
        fire(provider, order, "start-incident")
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=10), tick=False):
        assert fire(provider, order, "wait-on-client", note="Need logs").status_code == 200
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=30), tick=False):
        body = client.get(f"{ORDERS}{order.pk}/").json()
        resolution = clocks_of(body)["resolution"]
        assert resolution["state"] == "paused"
        assert resolution["due_at"] is None
        assert resolution["paused_seconds"] == 20 * HOUR
        assert resolution["time_left_seconds"] == 38 * HOUR  # 48 h less the 10 h that ran
        assert clocks_of(body)["response"]["state"] == "met"
        assert "resume" in body["available_transitions"]
        resumed = fire(client, order, "resume")
    assert resumed.status_code == 200, resumed.content
    resolution = clocks_of(resumed.json())["resolution"]
    assert resolution["state"] == "running"
    assert dt.datetime.fromisoformat(resolution["due_at"]) == MONDAY_9 + dt.timedelta(hours=68)
    assert resolution["paused_seconds"] == 20 * HOUR


def test_clocks_turn_warned_then_breached_as_time_passes(world_a):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False):
        order = raise_order(world_a, contract)
    api = session_as(world_a.client_admin)
    url = f"{ORDERS}{order.pk}/"
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=19), tick=False):
        clocks = clocks_of(api.get(url).json())
    assert clocks["response"]["state"] == "warned"
    assert clocks["resolution"]["state"] == "running"
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=26), tick=False):
        body = api.get(url).json()
    assert clocks_of(body)["response"]["state"] == "breached"
    assert clocks_of(body)["response"]["time_left_seconds"] == -2 * HOUR


# --- lists ------------------------------------------------------------------------------------


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [o["number"] for o in response.json()["results"]]


def test_the_list_puts_the_order_due_soonest_first(world_a, api_as):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False):
        engineer = world_a.engineer
        in_14h = raise_order(world_a, contract, actor=engineer, reported_at=MONDAY_9 - dt.timedelta(hours=10))
        in_24h = raise_order(world_a, contract)
        cancelled = raise_order(world_a, contract, actor=engineer, reported_at=MONDAY_9 - dt.timedelta(hours=23))
        move(world_a, cancelled, ("cancel", engineer))
        in_4h = raise_order(world_a, contract, actor=engineer, reported_at=MONDAY_9 - dt.timedelta(hours=20))
        acknowledged = raise_order(world_a, contract, actor=engineer, reported_at=MONDAY_9 - dt.timedelta(hours=21))
        move(world_a, acknowledged, ("acknowledge", engineer))  # resolution due in 27 h
        api = api_as(world_a, user=world_a.engineer)
        expected = [o.number for o in (in_4h, in_14h, in_24h, acknowledged, cancelled)]
        assert _numbers(api.get(ORDERS)) == expected
        assert _numbers(api.get(ORDERS, {"ordering": "-next_due_at"})) == [*reversed(expected[:-1]), cancelled.number]


def test_orders_filter_by_state_contract_team_assignee_and_breach(world_a, api_as):
    first, second = active_contract(world_a), active_contract(world_a, number="SECOND")
    team = TeamFactory(tenant=world_a.tenant)
    with time_machine.travel(MONDAY_9, tick=False):
        late = raise_order(world_a, first, actor=world_a.engineer, reported_at=MONDAY_9 - dt.timedelta(days=3))
        routed = raise_order(world_a, second, actor=world_a.engineer, team=team)
        plain = raise_order(world_a, first)
        api = api_as(world_a, user=world_a.engineer)
        assert api.post(f"{ORDERS}{routed.pk}/assign/", {"team": team.pk, "assignee": world_a.engineer.pk},
                        format="json").status_code == 200
        move(world_a, plain, ("acknowledge", world_a.engineer))
        from sla.services import sla_sweep

        sla_sweep()

        def numbers(**params):
            return sorted(_numbers(api.get(ORDERS, params)))

        assert numbers(state="acknowledged") == [plain.number]
        assert numbers(state=["new", "acknowledged"]) == sorted([late.number, routed.number, plain.number])
        assert numbers(contract=first.pk) == sorted([late.number, plain.number])
        assert numbers(team=team.pk) == [routed.number]
        assert numbers(assignee=world_a.engineer.pk) == [routed.number]
        assert numbers(breached="true") == [late.number]
        assert numbers(breached="false") == sorted([routed.number, plain.number])
        assert numbers(search="jammed") == sorted([late.number, routed.number, plain.number])
        assert api.get(ORDERS, {"breached": "true"}).json()["results"][0]["breached"] is True


def test_the_order_list_costs_the_same_queries_for_more_orders(world_a, api_as):
    contract = active_contract(world_a)
    team = TeamFactory(tenant=world_a.tenant)
    api = api_as(world_a, user=world_a.engineer)
    client = session_as(world_a.client_admin)
    raise_order(world_a, contract, actor=world_a.engineer, team=team)
    api.get(ORDERS), client.get(ORDERS)  # warm up: the first request of a session saves it
    few, few_for_the_client = count_queries(api, ORDERS), count_queries(client, ORDERS)
    for n in range(6):
        order = raise_order(world_a, contract, actor=world_a.engineer, team=team, kind="incident")
        if n % 2:
            move(world_a, order, ("acknowledge", world_a.engineer))
    assert count_queries(api, ORDERS) == few
    assert count_queries(client, ORDERS) == few_for_the_client
    assert len(client.get(ORDERS).json()["results"]) == 7


# --- scope and deadline changes ---------------------------------------------------------------


def test_scope_and_deadline_changes_are_kept_in_the_history_the_client_sees(world_a, api_as):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract, title="Install Office")
    provider = api_as(world_a, user=world_a.engineer)
    deadline = (timezone.now() + dt.timedelta(days=40)).replace(hour=15, minute=0, second=0, microsecond=0)
    response = provider.patch(f"{ORDERS}{order.pk}/", {
        "title": "Install Office on 12 PCs", "desired_deadline": deadline.isoformat(),
    }, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Install Office on 12 PCs"
    history = session_as(world_a.client_admin).get(f"{ORDERS}{order.pk}/events/").json()["results"]
    change = next(e for e in history if e["kind"] == "changed")
    assert change["data"]["changed"]["title"] == ["Install Office", "Install Office on 12 PCs"]
    assert "desired_deadline" in change["data"]["changed"]
    assert change["actor"] == world_a.engineer.pk

    assert_error(provider.patch(f"{ORDERS}{order.pk}/", {"priority": "urgent"}, format="json"), 400, field="priority")
    assert_error(provider.patch(f"{ORDERS}{order.pk}/", {"desired_deadline": "2020-01-01T00:00:00Z"}, format="json"),
                 400, field="desired_deadline")
    assert_error(provider.patch(f"{ORDERS}{order.pk}/", {"title": "  "}, format="json"), 400, field="title")
    move(world_a, order, ("acknowledge", world_a.engineer), ("plan", world_a.engineer),
         ("agree", world_a.client_admin))
    assert_error(provider.patch(f"{ORDERS}{order.pk}/", {"title": "Too late"}, format="json"), 400)
    assert reload(world_a, order).title == "Install Office on 12 PCs"


# --- comments and what the client may see -----------------------------------------------------


def test_clients_never_see_internal_comments_or_internal_events(world_a, api_as):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    team = TeamFactory(tenant=world_a.tenant)
    provider = api_as(world_a, user=world_a.engineer)
    client = session_as(world_a.client_admin)
    url = f"{ORDERS}{order.pk}/comments/"

    assert provider.post(url, {"body": "Client is difficult", "internal": True}, format="json").status_code == 201
    assert provider.post(url, {"body": "We are on it"}, format="json").status_code == 201
    mine = client.post(url, {"body": "Thanks! (trying to hide this)", "internal": True}, format="json")
    assert mine.status_code == 201, mine.content
    assert mine.json()["internal"] is False  # a client's comment is always visible to both sides
    assert_error(client.post(url, {"body": "   "}, format="json"), 400, field="body")
    provider.post(f"{ORDERS}{order.pk}/assign/", {"team": team.pk, "assignee": world_a.engineer.pk}, format="json")

    assert [c["body"] for c in client.get(url).json()["results"]] == ["We are on it", "Thanks! (trying to hide this)"]
    assert len(provider.get(url).json()["results"]) == 3
    client_events = client.get(f"{ORDERS}{order.pk}/events/").json()["results"]
    assert "assigned" not in [e["kind"] for e in client_events]
    assert "assigned" in [e["kind"] for e in provider.get(f"{ORDERS}{order.pk}/events/").json()["results"]]


def test_assignment_is_the_providers_and_only_to_provider_staff(world_a, api_as):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    url = f"{ORDERS}{order.pk}/assign/"
    assert_error(session_as(world_a.client_admin).post(url, {"team": None}, format="json"), 403)
    body = {"team": None, "assignee": world_a.client_admin.pk}
    assert_error(api_as(world_a, user=world_a.engineer).post(url, body, format="json"), 400, field="assignee")
    assert reload(world_a, order).assignee_id is None


# --- the walls: another client in the same tenant, another tenant -----------------------------


def test_a_client_user_sees_only_their_clients_orders(world_a):
    _client_y, user_y, contract_y = other_client(world_a)
    ours = raise_order(world_a, active_contract(world_a))
    theirs = raise_order(world_a, contract_y, actor=user_y)
    api = session_as(world_a.client_admin)

    assert [o["id"] for o in api.get(ORDERS).json()["results"]] == [ours.pk]
    assert api.get(ORDERS, {"contract": contract_y.pk}).status_code == 400  # not one of theirs: no such choice
    assert_error(api.get(f"{ORDERS}{theirs.pk}/"), 404)
    assert_error(api.get(f"{ORDERS}{theirs.pk}/comments/"), 404)
    assert_error(api.get(f"{ORDERS}{theirs.pk}/events/"), 404)
    assert_error(api.post(f"{ORDERS}{theirs.pk}/comments/", {"body": "hi"}, format="json"), 404)
    assert_error(api.patch(f"{ORDERS}{theirs.pk}/", {"title": "mine now"}, format="json"), 404)
    assert_error(fire(api, theirs, "cancel", note="not mine"), 404)
    assert reload(world_a, theirs).state == "new"
    assert comment_count(world_a, theirs) == 0


def test_an_api_key_of_a_client_user_is_limited_to_that_client(world_a, api_as):
    _client_y, user_y, contract_y = other_client(world_a)
    ours = raise_order(world_a, active_contract(world_a))
    theirs = raise_order(world_a, contract_y, actor=user_y)
    api = api_as(world_a, user=world_a.client_admin)
    assert [o["id"] for o in api.get(ORDERS).json()["results"]] == [ours.pk]
    assert_error(api.get(f"{ORDERS}{theirs.pk}/"), 404)
    # the provider's own records stay closed to a client's key
    assert_error(api.get("/api/v1/contracts/"), 403)
    assert_error(api.get("/api/v1/teams/"), 403)
    assert_error(api.get("/api/v1/sla-policies/"), 403)
    assert [b for b in api.get("/api/v1/breaches/").json()["results"]] == []


ORDER_ACTIONS = ["acknowledge", "plan", "agree", "approve", "start", "start-incident", "wait-on-client",
                 "resume", "deliver", "accept", "send-back", "cancel"]


@pytest.mark.parametrize("action", ORDER_ACTIONS)
def test_order_transitions_validate_ownership(world_a, world_b, api_as, action):
    order = raise_order(world_a, active_contract(world_a), kind="incident")
    before = event_count(world_a, order)
    assert_error(fire(api_as(world_b), order, action, note="hostile"), 404, code="not_found")
    assert_error(fire(session_as(world_b.client_admin), order, action, note="hostile"), 404)
    assert reload(world_a, order).state == "new"
    assert event_count(world_a, order) == before


def test_orders_validate_ownership(world_a, world_b, api_as):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    for api in (api_as(world_b), api_as(world_b, user=world_b.engineer), session_as(world_b.client_admin)):
        assert api.get(ORDERS).json()["results"] == []
        assert_error(api.get(f"{ORDERS}{order.pk}/"), 404)
        assert_error(api.patch(f"{ORDERS}{order.pk}/", {"title": "hostile"}, format="json"), 404)
        assert_error(api.get(f"{ORDERS}{order.pk}/events/"), 404)
        assert_error(api.get(f"{ORDERS}{order.pk}/comments/"), 404)
        assert_error(api.post(f"{ORDERS}{order.pk}/comments/", {"body": "hostile"}, format="json"), 404)
        assert_error(api.post(f"{ORDERS}{order.pk}/assign/", {"team": None}, format="json"), 404)
        # another tenant's contract or team reads as one that does not exist
        assert_error(api.post(ORDERS, {"contract": contract.pk, "title": "hostile"}, format="json"), 400,
                     field="contract")
    world_b_team = TeamFactory(tenant=world_b.tenant)
    assert_error(api_as(world_a, user=world_a.engineer).post(
        ORDERS, {"contract": contract.pk, "title": "x", "team": world_b_team.pk}, format="json"), 400, field="team")
    assert reload(world_a, order).title == "Printer on floor 3 is jammed"
    assert comment_count(world_a, order) == 0
    assert order_count(world_a) == 1
    with world_b.context():
        assert Order.objects.count() == 0


def test_teams_list_with_members_and_stay_in_their_tenant(world_a, world_b, api_as):
    team = TeamFactory(tenant=world_a.tenant, name="Service desk", members=[world_a.engineer])
    TeamFactory(tenant=world_a.tenant, name="Network")
    api = api_as(world_a, user=world_a.engineer)
    body = api.get("/api/v1/teams/").json()
    assert [t["name"] for t in body["results"]] == ["Network", "Service desk"]
    desk = api.get(f"/api/v1/teams/{team.pk}/").json()
    assert desk["members"] == [{"user": world_a.engineer.pk, "name": world_a.engineer.get_full_name()}]
    assert api_as(world_b).get("/api/v1/teams/").json()["results"] == []
    assert_error(api_as(world_b).get(f"/api/v1/teams/{team.pk}/"), 404)
    few = count_queries(api, "/api/v1/teams/")
    for n in range(4):
        TeamFactory(tenant=world_a.tenant, name=f"Team {n}", members=[world_a.engineer, world_a.admin])
    assert count_queries(api, "/api/v1/teams/") == few


@pytest.mark.parametrize(("query", "field"), [
    ("ordering=nope", "ordering"),
    ("contract=99999999999999999999999", "contract"),
    ("contract=%C2%B2", "contract"),
])
def test_the_order_list_refuses_bad_filters_like_every_list(world_a, api_as, query, field):
    assert_error(api_as(world_a).get(f"{ORDERS}?{query}"), 400, field=field)
