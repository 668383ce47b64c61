"""/api/v1/breaches/, /calendars/, /sla-policies/ and /force-majeure/."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sla.models import Breach, BusinessCalendar, ForceMajeure, SLAClock, SLAPolicy
from sla.services import sla_sweep
from tests.contracts.api_support import active_contract, assert_error, count_queries, draft_contract
from tests.orders.api_support import (
    HOUR,
    MONDAY_9,
    ORDERS,
    clocks_of,
    fire,
    other_client,
    session_as,
)
from tests.support import raise_order

pytestmark = pytest.mark.django_db

BREACHES = "/api/v1/breaches/"
CALENDARS = "/api/v1/calendars/"
POLICIES = "/api/v1/sla-policies/"
FORCE_MAJEURE = "/api/v1/force-majeure/"
WEEKDAYS_9_18 = {str(d): [["09:00", "18:00"]] for d in range(5)}
MSK = dt.timezone(dt.timedelta(hours=3))


def count(world, model) -> int:
    with world.context():
        return model.objects.count()


def clocks(world, order) -> dict:
    with world.context():
        return {c.metric: c for c in SLAClock.objects.filter(order=order)}


# --- breaches ---------------------------------------------------------------------------------


def breached_order(world, contract, **fields):
    """An order left alone for three days, then swept: both its clocks breached."""
    with time_machine.travel(MONDAY_9, tick=False):
        order = raise_order(world, contract, **fields)
    with time_machine.travel(MONDAY_9 + dt.timedelta(days=3), tick=False):
        sla_sweep()
    return order


def test_the_breaches_the_sweep_records_are_listed_and_filtered(world_a, api_as):
    contract = active_contract(world_a)
    with world_a.context(user=world_a.admin):
        from sla.services import policy_create

        policy_create(actor=world_a.admin, contract=contract, priority="normal", penalty_per_breach="5000.00")
    order = breached_order(world_a, contract)
    api = api_as(world_a, user=world_a.account_manager)

    body = api.get(BREACHES).json()
    assert body["count"] == 2
    rows = {b["metric"]: b for b in body["results"]}
    response = rows["response"]
    assert response["order"] == order.pk and response["order_number"] == order.number
    assert response["contract"] == contract.pk and response["provider"] == contract.provider_id
    assert response["client"] == world_a.client.pk
    assert dt.datetime.fromisoformat(response["due_at"]) == MONDAY_9 + dt.timedelta(hours=24)
    assert response["penalty"] == "5000.00"
    assert response["waived"] is False
    assert api.get(f"{BREACHES}{response['id']}/").json()["metric"] == "response"

    def ids(**params):
        result = api.get(BREACHES, params)
        assert result.status_code == 200, result.content
        return {b["metric"] for b in result.json()["results"]}

    assert ids(metric="resolution") == {"resolution"}
    assert ids(contract=contract.pk) == {"response", "resolution"}
    assert ids(provider=contract.provider_id) == {"response", "resolution"}
    assert ids(order=order.pk) == {"response", "resolution"}
    assert ids(date_from="2026-11-05") == {"response", "resolution"}
    assert ids(date_to="2026-11-04") == set()
    assert ids(waived="true") == set()
    assert_error(api.get(BREACHES, {"metric": "speed"}), 400, field="metric")
    # the sweep shows on the order too
    assert api.get(f"{ORDERS}{order.pk}/").json()["breached"] is True


def test_breaches_are_read_only(world_a, api_as):
    breach_id = api_as(world_a).get(BREACHES).json()["results"]
    assert breach_id == []
    assert_error(api_as(world_a).post(BREACHES, {}, format="json"), 405)


def test_a_client_user_sees_only_their_clients_breaches(world_a, api_as):
    _client_y, user_y, contract_y = other_client(world_a)
    breached_order(world_a, active_contract(world_a))
    theirs = breached_order(world_a, contract_y, actor=user_y)
    api = session_as(world_a.client_viewer)
    rows = api.get(BREACHES).json()["results"]
    assert len(rows) == 2 and {r["client"] for r in rows} == {world_a.client.pk}
    with world_a.context():
        their_breach = Breach.objects.filter(order=theirs).first()
    assert_error(api.get(f"{BREACHES}{their_breach.pk}/"), 404)
    assert api.get(BREACHES, {"contract": contract_y.pk}).status_code == 400


def test_breaches_validate_ownership(world_a, world_b, api_as):
    breached_order(world_a, active_contract(world_a))
    with world_a.context():
        breach = Breach.objects.first()
    for api in (api_as(world_b), session_as(world_b.client_admin)):
        assert api.get(BREACHES).json()["results"] == []
        assert_error(api.get(f"{BREACHES}{breach.pk}/"), 404)


def test_the_breach_list_costs_the_same_queries_for_more_breaches(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    breached_order(world_a, contract)
    api.get(BREACHES)
    few = count_queries(api, BREACHES)
    for _ in range(3):
        breached_order(world_a, active_contract(world_a))
    assert count_queries(api, BREACHES) == few
    assert api.get(BREACHES).json()["count"] == 8


# --- calendars --------------------------------------------------------------------------------


def test_an_account_manager_sets_up_a_business_calendar(world_a, api_as):
    api = api_as(world_a, user=world_a.account_manager)
    response = api.post(CALENDARS, {
        "name": "Moscow office", "time_zone": "Europe/Moscow", "holiday_country": "ru",
        "working_hours": {"0": [["09:00", "13:00"], ["14:00", "18:00"]], "1": [["09:00", "18:00"]]},
        "extra_days_off": ["2026-12-31"],
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["holiday_country"] == "RU"
    assert body["extra_days_off"] == ["2026-12-31"]
    assert body["working_hours"]["0"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    always = api.post(CALENDARS, {"name": "24x7", "always_on": True}, format="json")
    assert always.status_code == 201, always.content
    assert [c["name"] for c in api.get(CALENDARS).json()["results"]] == ["24x7", "Moscow office"]


@pytest.mark.parametrize("body, field", [
    ({"working_hours": {}}, "working_hours"),
    ({"working_hours": {"0": []}}, "working_hours"),
    ({"working_hours": {"0": [["09:00", "13:00"], ["12:00", "18:00"]]}}, "working_hours"),
    ({"working_hours": {"0": [["18:00", "09:00"]]}}, "working_hours"),
    ({"working_hours": {"0": [["9am", "6pm"]]}}, "working_hours"),
    ({"working_hours": {"7": [["09:00", "18:00"]]}}, "working_hours"),
    ({"working_hours": {"0": [["09:00"]]}}, "working_hours.0.0"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"holiday_country": "XX"}, "holiday_country"),
    ({"extra_days_off": ["31.12.2026"]}, "extra_days_off.0"),
    ({"name": ""}, "name"),
    ({"name": "Taken"}, "name"),
])
def test_a_bad_calendar_is_refused_with_the_field_named(world_a, api_as, body, field):
    api = api_as(world_a)
    api.post(CALENDARS, {"name": "Taken", "working_hours": WEEKDAYS_9_18}, format="json")
    data = {"name": "Office", "time_zone": "Europe/Moscow", "working_hours": WEEKDAYS_9_18, **body}
    assert_error(api.post(CALENDARS, data, format="json"), 400, field=field)
    assert count(world_a, BusinessCalendar) == 1


def test_only_managers_change_calendars(world_a, api_as):
    api = api_as(world_a, user=world_a.engineer)
    assert api.get(CALENDARS).status_code == 200
    assert_error(api.post(CALENDARS, {"name": "x", "always_on": True}, format="json"), 403)
    assert_error(session_as(world_a.client_admin).get(CALENDARS), 403)
    assert count(world_a, BusinessCalendar) == 0


def test_changing_a_calendar_moves_the_due_times_of_open_clocks(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    calendar = api.post(CALENDARS, {"name": "Office", "time_zone": "UTC", "working_hours": WEEKDAYS_9_18},
                        format="json").json()
    assert api.post(POLICIES, {"contract": contract.pk, "priority": "normal", "calendar": calendar["id"],
                               "response_target": "09:00:00"}, format="json").status_code == 201
    with time_machine.travel(MONDAY_9, tick=False):
        order = raise_order(world_a, contract)
    assert clocks(world_a, order)["response"].due_at == MONDAY_9 + dt.timedelta(hours=9)
    response = api.patch(f"{CALENDARS}{calendar['id']}/", {"working_hours": {str(d): [["09:00", "12:00"]] for d in range(5)}},
                         format="json")
    assert response.status_code == 200, response.content
    assert clocks(world_a, order)["response"].due_at == MONDAY_9 + dt.timedelta(days=2, hours=3)  # Wednesday 12:00
    assert_error(api.patch(f"{CALENDARS}{calendar['id']}/", {"time_zone": "Nowhere"}, format="json"), 400,
                 field="time_zone")


def test_calendars_validate_ownership(world_a, world_b, api_as):
    calendar = api_as(world_a).post(CALENDARS, {"name": "Office", "always_on": True}, format="json").json()
    api = api_as(world_b)
    assert api.get(CALENDARS).json()["results"] == []
    assert_error(api.get(f"{CALENDARS}{calendar['id']}/"), 404)
    assert_error(api.patch(f"{CALENDARS}{calendar['id']}/", {"name": "hostile"}, format="json"), 404)
    with world_a.context():
        assert BusinessCalendar.objects.get().name == "Office"


# --- policies ---------------------------------------------------------------------------------


def test_a_policy_sets_the_targets_of_new_orders(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, user=world_a.account_manager)
    calendar = api.post(CALENDARS, {"name": "Office", "time_zone": "Europe/Moscow", "working_hours": WEEKDAYS_9_18},
                        format="json").json()
    response = api.post(POLICIES, {
        "contract": contract.pk, "priority": "critical", "response_target": "PT4H", "resolution_target": "16:00:00",
        "calendar": calendar["id"], "warning_threshold_pct": 50, "penalty_per_breach": "12000.00",
    }, format="json")
    assert response.status_code == 201, response.content
    policy = response.json()
    assert policy["response_target"] == "04:00:00"
    assert policy["calendar_name"] == "Office"
    friday_17_msk = dt.datetime(2026, 11, 6, 17, 0, tzinfo=MSK)
    with time_machine.travel(friday_17_msk, tick=False):
        order = raise_order(world_a, contract, priority="critical")
        shown = clocks_of(api.get(f"{ORDERS}{order.pk}/").json())
    # 1 h on Friday, 3 h on Monday
    assert clocks(world_a, order)["response"].due_at == dt.datetime(2026, 11, 9, 12, 0, tzinfo=MSK)
    assert shown["response"]["time_left_seconds"] == 4 * HOUR

    patched = api.patch(f"{POLICIES}{policy['id']}/", {"penalty_per_breach": "15000.00", "calendar": None,
                                                        "priority": "low"}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["penalty_per_breach"] == "15000.00"
    assert patched.json()["calendar"] is None
    assert patched.json()["priority"] == "critical"  # a policy keeps its contract and priority


@pytest.mark.parametrize("body, field", [
    ({"response_target": "00:00:00"}, "response_target"),
    ({"resolution_target": "-01:00:00"}, "resolution_target"),
    ({"response_target": "soon"}, "response_target"),
    ({"warning_threshold_pct": 0}, "warning_threshold_pct"),
    ({"warning_threshold_pct": 100}, "warning_threshold_pct"),
    ({"penalty_per_breach": "-1.00"}, "penalty_per_breach"),
    ({"priority": "urgent"}, "priority"),
    ({"priority": "normal"}, "priority"),  # the contract has one for normal already
    ({"contract": 999999}, "contract"),
    ({"calendar": 999999}, "calendar"),
])
def test_a_bad_policy_is_refused_with_the_field_named(world_a, api_as, body, field):
    contract = active_contract(world_a)
    api = api_as(world_a)
    assert api.post(POLICIES, {"contract": contract.pk, "priority": "normal"}, format="json").status_code == 201
    data = {"contract": contract.pk, "priority": "high", **body}
    assert_error(api.post(POLICIES, data, format="json"), 400, field=field)
    assert count(world_a, SLAPolicy) == 1


def test_policy_patch_is_validated_too(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    policy = api.post(POLICIES, {"contract": contract.pk, "priority": "normal"}, format="json").json()
    assert_error(api.patch(f"{POLICIES}{policy['id']}/", {"response_target": "00:00:00"}, format="json"), 400,
                 field="response_target")
    assert api.get(f"{POLICIES}{policy['id']}/").json()["response_target"] == "1 00:00:00"
    assert_error(api_as(world_a, user=world_a.engineer).patch(
        f"{POLICIES}{policy['id']}/", {"penalty_per_breach": "1.00"}, format="json"), 403)


def test_policies_validate_ownership(world_a, world_b, api_as):
    contract = active_contract(world_a)
    policy = api_as(world_a).post(POLICIES, {"contract": contract.pk, "priority": "normal"}, format="json").json()
    calendar_b = api_as(world_b).post(CALENDARS, {"name": "B", "always_on": True}, format="json").json()
    api = api_as(world_b)
    assert api.get(POLICIES).json()["results"] == []
    assert_error(api.get(f"{POLICIES}{policy['id']}/"), 404)
    assert_error(api.patch(f"{POLICIES}{policy['id']}/", {"penalty_per_breach": "1.00"}, format="json"), 404)
    assert_error(api.post(POLICIES, {"contract": contract.pk, "priority": "high"}, format="json"), 400,
                 field="contract")
    assert_error(api_as(world_a).post(POLICIES, {"contract": contract.pk, "priority": "high",
                                                 "calendar": calendar_b["id"]}, format="json"), 400, field="calendar")
    assert count(world_a, SLAPolicy) == 1


def test_the_policy_list_costs_the_same_queries_for_more_policies(world_a, api_as):
    api = api_as(world_a)
    calendar = api.post(CALENDARS, {"name": "Office", "always_on": True}, format="json").json()
    api.post(POLICIES, {"contract": active_contract(world_a).pk, "calendar": calendar["id"]}, format="json")
    api.get(POLICIES)
    few = count_queries(api, POLICIES)
    for n in range(3):
        api.post(POLICIES, {"contract": active_contract(world_a, number=f"P{n}").pk, "calendar": calendar["id"]},
                 format="json")
    assert count_queries(api, POLICIES) == few
    assert api.get(POLICIES).json()["count"] == 4


# --- force majeure ----------------------------------------------------------------------------


def declare(api, contract, reason="Flood in the data centre"):
    return api.post(FORCE_MAJEURE, {"contract": contract.pk, "reason": reason}, format="json")


def test_force_majeure_pauses_the_contracts_clocks_and_lifting_moves_the_due_times(world_a, api_as):
    contract, unaffected = active_contract(world_a), active_contract(world_a, number="OTHER")
    with time_machine.travel(MONDAY_9, tick=False):
        first = raise_order(world_a, contract)
        second = raise_order(world_a, contract, kind="incident")
        bystander = raise_order(world_a, unaffected)
    api = api_as(world_a, user=world_a.account_manager)
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=2), tick=False):
        fire(api, second, "acknowledge")  # its response clock is met and stays so
        response = declare(api, contract)
    assert response.status_code == 201, response.content
    period = response.json()
    assert period["active"] is True and period["started_by"] == world_a.account_manager.pk

    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=30), tick=False):
        for order in (first, second):
            shown = clocks_of(api.get(f"{ORDERS}{order.pk}/").json())
            assert shown["resolution"]["state"] == "paused"
            assert shown["resolution"]["due_at"] is None
        assert clocks_of(api.get(f"{ORDERS}{bystander.pk}/").json())["response"]["state"] == "breached"
        assert sla_sweep().breached == [clocks(world_a, bystander)["response"].pk]  # only the unpaused one
        lifted = api.post(f"{FORCE_MAJEURE}{period['id']}/lift/", {"note": "Power is back"}, format="json")
    assert lifted.status_code == 200, lifted.content
    assert lifted.json()["active"] is False and lifted.json()["lift_note"] == "Power is back"
    # 28 h stood still: every due time moves by exactly that (24×7)
    assert clocks(world_a, first)["response"].due_at == MONDAY_9 + dt.timedelta(hours=24 + 28)
    assert clocks(world_a, first)["resolution"].due_at == MONDAY_9 + dt.timedelta(hours=48 + 28)
    assert clocks(world_a, second)["resolution"].due_at == MONDAY_9 + dt.timedelta(hours=48 + 28)
    assert clocks(world_a, second)["response"].stopped_at == MONDAY_9 + dt.timedelta(hours=2)
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=31), tick=False):
        shown = clocks_of(api.get(f"{ORDERS}{first.pk}/").json())
        assert shown["response"]["paused_seconds"] == 28 * HOUR
        assert shown["response"]["time_left_seconds"] == 21 * HOUR
        assert sla_sweep().breached == []


def test_lifting_force_majeure_moves_due_times_by_the_business_time_that_stood_still(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, user=world_a.account_manager)
    calendar = api.post(CALENDARS, {"name": "Office", "time_zone": "Europe/Moscow", "working_hours": WEEKDAYS_9_18},
                        format="json").json()
    api.post(POLICIES, {"contract": contract.pk, "priority": "normal", "calendar": calendar["id"]}, format="json")
    monday_10 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=MSK)
    with time_machine.travel(monday_10, tick=False):
        order = raise_order(world_a, contract)
    # 24 business hours: Monday 8, Tuesday 9, Wednesday 7 → Wednesday 16:00
    assert clocks(world_a, order)["response"].due_at == dt.datetime(2026, 11, 4, 16, 0, tzinfo=MSK)
    with time_machine.travel(dt.datetime(2026, 11, 2, 12, 0, tzinfo=MSK), tick=False):
        period = declare(api, contract).json()
    with time_machine.travel(dt.datetime(2026, 11, 3, 12, 0, tzinfo=MSK), tick=False):
        api.post(f"{FORCE_MAJEURE}{period['id']}/lift/", {}, format="json")
        shown = clocks_of(api.get(f"{ORDERS}{order.pk}/").json())
    # Monday 12–18 and Tuesday 9–12 stood still: nine business hours, one working day
    assert clocks(world_a, order)["response"].due_at == dt.datetime(2026, 11, 5, 16, 0, tzinfo=MSK)
    assert shown["response"]["paused_seconds"] == 9 * HOUR
    assert shown["response"]["elapsed_seconds"] == 2 * HOUR


def test_an_order_waiting_on_the_client_stays_paused_until_both_pauses_end(world_a, api_as):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False):
        order = raise_order(world_a, contract, kind="incident")
    api = api_as(world_a, user=world_a.account_manager)
    client = session_as(world_a.client_admin)
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=1), tick=False):
        fire(api, order, "acknowledge")
        fire(api, order, "start-incident")
        fire(api, order, "wait-on-client", note="Need logs")
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=2), tick=False):
        period = declare(api, contract).json()
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=3), tick=False):
        lifted_first = fire(client, order, "resume")
    assert lifted_first.json()["state"] == "in_progress"
    assert clocks_of(lifted_first.json())["resolution"]["state"] == "paused"  # force majeure still holds it
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=5), tick=False):
        api.post(f"{FORCE_MAJEURE}{period['id']}/lift/", {}, format="json")
    assert clocks(world_a, order)["resolution"].due_at == MONDAY_9 + dt.timedelta(hours=48 + 4)

    # and the other way round: lifting leaves an order that waits on the client paused
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=6), tick=False):
        fire(api, order, "wait-on-client", note="Need more logs")
        period = declare(api, contract).json()
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=7), tick=False):
        api.post(f"{FORCE_MAJEURE}{period['id']}/lift/", {}, format="json")
    assert clocks(world_a, order)["resolution"].paused_since == MONDAY_9 + dt.timedelta(hours=6)
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=8), tick=False):
        fire(client, order, "resume")
    assert clocks(world_a, order)["resolution"].due_at == MONDAY_9 + dt.timedelta(hours=48 + 4 + 2)


def test_an_order_raised_during_force_majeure_starts_paused(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, user=world_a.account_manager)
    with time_machine.travel(MONDAY_9, tick=False):
        period = declare(api, contract).json()
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=1), tick=False):
        during = raise_order(world_a, contract)
        backdated = raise_order(world_a, contract, actor=world_a.engineer, reported_at=MONDAY_9 - dt.timedelta(hours=3))
    assert {c.paused_since for c in clocks(world_a, during).values()} == {MONDAY_9 + dt.timedelta(hours=1)}
    assert {c.paused_since for c in clocks(world_a, backdated).values()} == {MONDAY_9}  # it ran 3 h before
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=10), tick=False):
        api.post(f"{FORCE_MAJEURE}{period['id']}/lift/", {}, format="json")
    assert clocks(world_a, during)["response"].due_at == MONDAY_9 + dt.timedelta(hours=10 + 24)
    assert clocks(world_a, backdated)["response"].due_at == MONDAY_9 + dt.timedelta(hours=10 + 21)

    # an order registered later but reported during the (now lifted) period counts it as paused
    with time_machine.travel(MONDAY_9 + dt.timedelta(hours=12), tick=False):
        late = raise_order(world_a, contract, actor=world_a.engineer, reported_at=MONDAY_9 + dt.timedelta(hours=8))
    assert clocks(world_a, late)["response"].due_at == MONDAY_9 + dt.timedelta(hours=10 + 24)


def test_force_majeure_is_refused_when_it_makes_no_sense(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a, user=world_a.account_manager)
    assert_error(declare(api, draft_contract(world_a)), 400, field="contract")
    assert_error(declare(api, contract, reason="  "), 400, field="reason")
    assert_error(api_as(world_a, user=world_a.engineer).post(
        FORCE_MAJEURE, {"contract": contract.pk, "reason": "x"}, format="json"), 403)
    period = declare(api, contract).json()
    assert_error(declare(api, contract), 409, code="transition_not_allowed")
    assert api.post(f"{FORCE_MAJEURE}{period['id']}/lift/", {}, format="json").status_code == 200
    assert_error(api.post(f"{FORCE_MAJEURE}{period['id']}/lift/", {}, format="json"), 409)
    assert count(world_a, ForceMajeure) == 1
    assert [p["active"] for p in api.get(FORCE_MAJEURE, {"contract": contract.pk}).json()["results"]] == [False]


def test_force_majeure_validates_ownership(world_a, world_b, api_as):
    contract = active_contract(world_a)
    with time_machine.travel(MONDAY_9, tick=False):
        order = raise_order(world_a, contract)
        period = declare(api_as(world_a), contract).json()
    api = api_as(world_b)
    assert api.get(FORCE_MAJEURE).json()["results"] == []
    assert_error(api.get(f"{FORCE_MAJEURE}{period['id']}/"), 404)
    assert_error(api.post(f"{FORCE_MAJEURE}{period['id']}/lift/", {}, format="json"), 404)
    assert_error(declare(api, contract), 400, field="contract")
    with world_a.context():
        assert ForceMajeure.objects.get().lifted_at is None
    assert clocks(world_a, order)["response"].paused_since == MONDAY_9
    assert_error(session_as(world_a.client_admin).get(FORCE_MAJEURE), 403)


def test_the_breaches_date_filters_count_the_organisations_days(world_a, api_as):
    """A breach at 01:00 on the 1st in Moscow is 22:00 on the last day of the month before in UTC: the
    filters' days are the organisation's, as its pages and the audit export count them."""
    from tests.factories.sla import BreachFactory

    with world_a.context():
        world_a.tenant.time_zone = "Europe/Moscow"
        world_a.tenant.save(update_fields=["time_zone"])
        breach = BreachFactory(tenant=world_a.tenant)
        Breach.objects.filter(pk=breach.pk).update(breached_at=dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.UTC))
    api = api_as(world_a)
    ids = lambda query: [row["id"] for row in api.get(BREACHES, query).json()["results"]]  # noqa: E731
    assert ids({"date_from": "2026-12-01"}) == [breach.pk]
    assert ids({"date_to": "2026-11-30"}) == []
    assert ids({"date_from": "2026-12-01", "date_to": "2026-12-01"}) == [breach.pk]
