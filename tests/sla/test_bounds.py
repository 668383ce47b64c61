"""SLA targets and clock dates are bounded where they are accepted, and what slipped in before the
bounds existed answers a 400 naming the cause instead of a 500 (issue 8, items 10 and 12)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sla import engine
from sla.models import SLAClock, SLAPolicy
from tests.contracts.api_support import active_contract, assert_error
from tests.orders.api_support import ORDERS
from tests.support import raise_order

pytestmark = pytest.mark.django_db

CALENDARS = "/api/v1/calendars/"
POLICIES = "/api/v1/sla-policies/"
UTC = dt.UTC


# --- the engine ----------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [
    dt.datetime(2026, 5, 18, 10, tzinfo=UTC),
    dt.datetime(9999, 12, 30, tzinfo=UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
])
@pytest.mark.parametrize("calendar", [
    engine.Calendar.always(),
    engine.Calendar(tz="America/New_York", working_hours={0: ((dt.time(9), dt.time(10)),)}),
])
def test_the_engine_says_out_of_range_instead_of_asserting(start, calendar):
    with pytest.raises(engine.OutOfRange):
        engine.due_at(started_at=start, target=dt.timedelta(days=99_999_999), calendar=calendar)
    with pytest.raises(engine.OutOfRange):
        engine.add_business_time(start, dt.timedelta(days=99_999_999), calendar)


def test_a_target_the_calendar_cannot_count_out_in_fifty_years_is_out_of_range():
    one_hour_a_week = engine.Calendar(tz="UTC", working_hours={0: ((dt.time(9), dt.time(10)),)})
    start = dt.datetime(2026, 5, 18, 10, tzinfo=UTC)

    assert engine.due_at(started_at=start, target=dt.timedelta(hours=49 * 52), calendar=one_hour_a_week)
    with pytest.raises(engine.OutOfRange, match="more than 50 years"):
        engine.due_at(started_at=start, target=dt.timedelta(days=365), calendar=one_hour_a_week)


def test_business_time_near_the_end_of_the_calendar_is_out_of_range_not_an_overflow():
    office = engine.Calendar(tz="America/New_York", working_hours={0: ((dt.time(9), dt.time(18)),)})
    late = dt.datetime(9999, 12, 30, tzinfo=UTC)
    with pytest.raises(engine.OutOfRange):
        engine.business_time_between(late, dt.datetime.max.replace(tzinfo=UTC), office)
    with pytest.raises(engine.OutOfRange):
        engine.elapsed(started_at=late, now=dt.datetime.max.replace(tzinfo=UTC), calendar=office)


# --- SLA policies: API and pages --------------------------------------------------------------------


@pytest.mark.parametrize("field", ["response_target", "resolution_target"])
@pytest.mark.parametrize("value", ["P99999999D", "P366D", "366 00:00:00", "P999999999D", "P9999999999999D"])
def test_a_target_beyond_a_year_is_a_400_naming_the_field(world_a, api_as, field, value):
    contract = active_contract(world_a)
    api = api_as(world_a)

    assert_error(api.post(POLICIES, {"contract": contract.pk, "priority": "high", field: value}, format="json"),
                 400, field=field)
    policy = api.post(POLICIES, {"contract": contract.pk, "priority": "normal"}, format="json").json()
    assert_error(api.patch(f"{POLICIES}{policy['id']}/", {field: value}, format="json"), 400, field=field)
    with world_a.context():
        assert list(SLAPolicy.objects.values_list("priority", flat=True)) == ["normal"]


def test_a_year_is_accepted_and_orders_of_that_priority_run(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    response = api.post(POLICIES, {"contract": contract.pk, "priority": "high", "response_target": "P365D",
                                   "resolution_target": "P365D"}, format="json")
    assert response.status_code == 201, response.content

    order = raise_order(world_a, contract, priority="high")

    with world_a.context():
        resolution = SLAClock.objects.get(order=order, metric="resolution")
    assert resolution.due_at == order.reported_at + dt.timedelta(days=365)


def test_a_calendar_with_too_little_working_time_for_the_target_is_refused(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    calendar = api.post(CALENDARS, {"name": "One hour on Mondays", "time_zone": "UTC",
                                    "working_hours": {"0": [["09:00", "10:00"]]}}, format="json").json()

    body = assert_error(api.post(POLICIES, {"contract": contract.pk, "priority": "high", "calendar": calendar["id"],
                                            "resolution_target": "P365D"}, format="json"), 400,
                        field="resolution_target")
    assert "50 years" in body["message"]
    assert api.post(POLICIES, {"contract": contract.pk, "priority": "high", "calendar": calendar["id"],
                               "response_target": "P1D", "resolution_target": "P2D"},
                    format="json").status_code == 201


def test_the_policy_page_refuses_a_target_beyond_a_year_on_its_field(client, world_a):
    contract = active_contract(world_a)
    client.force_login(world_a.account_manager)
    data = {"priority": "high", "response_target": "4", "resolution_target": str(366 * 24), "calendar": "",
            "warning_threshold_pct": "80", "penalty_per_breach": "0.00"}

    response = client.post(reverse("sla:policy-create", args=[contract.pk]), data)

    assert response.status_code == 400
    assert "resolution_target" in response.context["form"].errors
    with world_a.context():
        assert not SLAPolicy.objects.exists()


# --- what was stored before the bounds ------------------------------------------------------------


def test_an_order_under_a_policy_stored_before_the_bounds_is_a_400_not_a_500(world_a, api_as):
    contract = active_contract(world_a)
    api = api_as(world_a)
    policy = api.post(POLICIES, {"contract": contract.pk, "priority": "high"}, format="json").json()
    with world_a.context():  # as the API accepted it before: no validation on this path
        SLAPolicy.objects.filter(pk=policy["id"]).update(resolution_target=dt.timedelta(days=99_999_999))

    body = assert_error(api.post(ORDERS, {"contract": contract.pk, "title": "Urgent", "priority": "high"},
                                 format="json"), 400, code="out_of_range")
    assert "SLA policy" in body["message"]
    assert api.post(ORDERS, {"contract": contract.pk, "title": "Routine", "priority": "normal"},
                    format="json").status_code == 201


# --- when an order was reported ------------------------------------------------------------------


@pytest.mark.parametrize("reported_at", [
    "0001-01-01T00:00:00-05:00", "0001-01-01T00:00:00+05:00", "1999-12-31T23:59:59Z",
    "9999-12-31T23:59:59+05:00", "9999-12-31T23:59:59-05:00",
])
def test_an_order_reported_at_an_extreme_date_is_a_400_on_reported_at(world_a, api_as, reported_at):
    contract = active_contract(world_a)

    response = api_as(world_a, user=world_a.engineer).post(
        ORDERS, {"contract": contract.pk, "title": "Called in", "reported_at": reported_at}, format="json")

    assert_error(response, 400, field="reported_at")


def test_a_reported_time_a_few_seconds_ahead_is_taken_as_now(world_a, api_as):
    from django.utils import timezone

    contract = active_contract(world_a)
    ahead = timezone.now() + dt.timedelta(seconds=20)

    response = api_as(world_a, user=world_a.engineer).post(
        ORDERS, {"contract": contract.pk, "title": "Called in", "reported_at": ahead.isoformat()}, format="json")

    assert response.status_code == 201, response.content
    assert dt.datetime.fromisoformat(response.json()["reported_at"]) <= ahead - dt.timedelta(seconds=1)
