"""The "sla_policies" section of a contract's versions: snapshot, validation with the policy form's
bounds, applying (update, create, delete), the text form in English and Russian, and running clocks
that keep the target they started with while new orders follow the new one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation

from contracts.models import Contract
from contracts.versions import sections, terms_in_force, version_write
from orders import services as order_services
from sla.models import BusinessCalendar, SLAClock, SLAPolicy
from sla.services import sla_sweep
from sla.terms import duration_text, parse_duration
from tenancy.errors import DomainError
from tests.clock import local_today
from tests.contracts.api_support import active_contract

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _in_english():
    """Messages are compared in English (the site's default language is Russian)."""
    with translation.override("en"):
        yield

HOUR = 3600
WEEK = {str(day): [["09:00", "18:00"]] for day in range(5)}


def section():
    return sections()["sla_policies"]


def office(world, name="Moscow office") -> BusinessCalendar:
    with world.context():
        return BusinessCalendar.objects.create(name=name, time_zone="Europe/Moscow", working_hours=WEEK)


def contract_with_policies(world):
    contract = active_contract(world)
    calendar = office(world)
    with world.context():
        SLAPolicy.objects.create(contract=contract, priority="high", response_target=dt.timedelta(hours=4),
                                 resolution_target=dt.timedelta(hours=24), calendar=calendar,
                                 warning_threshold_pct=80, penalty_per_breach=Decimal("1000"))
        SLAPolicy.objects.create(contract=contract, priority="normal")
    return contract, calendar


def entry(response=24 * HOUR, resolution=48 * HOUR, **overrides) -> dict:
    return {"response_target_seconds": response, "resolution_target_seconds": resolution, "calendar_id": None,
            "calendar_name": "", "warning_threshold_pct": 75, "penalty_per_breach": "0.00", **overrides}


def test_the_snapshot_holds_each_prioritys_targets_in_seconds_calendar_threshold_and_penalty(world_a):
    contract, calendar = contract_with_policies(world_a)
    with world_a.context():
        assert section().snapshot(contract) == {
            "normal": entry(),
            "high": entry(4 * HOUR, 24 * HOUR, calendar_id=calendar.pk, calendar_name="Moscow office",
                          warning_threshold_pct=80, penalty_per_breach="1000.00"),
        }
        assert list(section().snapshot(contract)) == ["normal", "high"]  # in priority order
        version_write(contract=Contract.objects.get(pk=contract.pk), effective_from=contract.start_date)
        terms = terms_in_force(Contract.objects.get(pk=contract.pk), contract.start_date)
        assert terms.section("sla_policies")["high"]["response_target_seconds"] == 4 * HOUR


def test_applying_updates_in_place_creates_and_deletes_policies(world_a):
    contract, calendar = contract_with_policies(world_a)
    with world_a.context():
        high = SLAPolicy.objects.get(contract=contract, priority="high")
        value = section().validate(contract, {
            "critical": entry(HOUR, 4 * HOUR, calendar_name="Moscow office", penalty_per_breach="2500.5"),
            "high": entry(2 * HOUR, 8 * HOUR, calendar_id=calendar.pk),
        })
        assert value["critical"]["calendar_id"] == calendar.pk and value["critical"]["penalty_per_breach"] == "2500.50"
        section().apply(contract, value, None)
        policies = {p.priority: p for p in SLAPolicy.objects.filter(contract=contract)}
        assert sorted(policies) == ["critical", "high"]  # normal is gone: the 24/48 default again
        assert policies["high"].pk == high.pk and policies["high"].response_target == dt.timedelta(hours=2)
        assert policies["critical"].penalty_per_breach == Decimal("2500.50")
        assert section().snapshot(contract) == value


@pytest.mark.parametrize(("value", "message"), [
    ({"urgent": entry()}, "Unknown priority “urgent”"),
    ([entry()], "an object keyed by priority"),
    ({"high": entry(response=0)}, "High: A target must be longer than zero."),
    ({"high": entry(resolution=366 * 24 * HOUR)}, "High: A target can be at most 365 days."),
    ({"high": entry(response="4h")}, "High: the response target is a whole number of seconds."),
    ({"high": entry(response=True)}, "whole number of seconds"),
    ({"high": entry(warning_threshold_pct=100)}, "High: Ensure this value is less than or equal to 99."),
    ({"high": entry(penalty_per_breach="-1")}, "High: Ensure this value is greater than or equal to 0."),
    ({"high": entry(penalty_per_breach="lots")}, "High: the penalty per breach is an amount"),
    ({"high": entry(calendar_id=999999)}, "High: there is no calendar 999999."),
    ({"high": entry(calendar_name="Nowhere")}, "High: there is no calendar “Nowhere”."),
    ({"high": {**entry(), "colour": "red"}}, "High: unknown field “colour”."),
    ({"high": {"response_target_seconds": HOUR}}, "High: give the response and the resolution target."),
])
def test_bad_policies_are_refused_with_the_forms_bounds_and_change_nothing(world_a, value, message):
    contract, _calendar = contract_with_policies(world_a)
    with world_a.context():
        before = section().snapshot(contract)
        with pytest.raises(DomainError) as refused:
            section().apply(contract, value, None)
        assert refused.value.field == "changes.sla_policies"
        assert message in str(refused.value.messages)
        assert section().snapshot(contract) == before


def test_another_tenants_calendar_is_not_found(world_a, world_b):
    contract, _calendar = contract_with_policies(world_a)
    foreign = office(world_b, name="B office")
    with world_a.context(), pytest.raises(DomainError) as refused:
        section().validate(contract, {"high": entry(calendar_id=foreign.pk)})
    assert f"there is no calendar {foreign.pk}" in refused.value.message


def test_the_text_reads_back_to_the_same_value_in_english_and_russian(world_a):
    contract, calendar = contract_with_policies(world_a)
    with world_a.context(), translation.override("en"):
        value = section().snapshot(contract)
        text = section().to_text(value)
        assert text == ("normal: response 24h, resolution 48h, warning 75%, penalty 0.00\n"
                        "high: response 4h, resolution 24h, calendar Moscow office, warning 80%, penalty 1000.00")
        assert section().from_text(contract, text) == value
        russian = ("высокий: реакция 4 ч, решение 1д, календарь Moscow office, предупреждение 80%, штраф 1 000,00\n"
                   "\n"
                   "Normal: response 1440m, resolution 2d")
        assert section().from_text(contract, russian) == value
    with world_a.context(), translation.override("ru"):
        russian = section().to_text(value)
        assert "реакция 4ч, решение 24ч, календарь Moscow office" in russian
        assert section().from_text(contract, russian) == value
    with world_a.context():
        BusinessCalendar.objects.filter(pk=calendar.pk).update(name="Office, Moscow")  # a comma in the name
        renamed = section().snapshot(contract)
        assert section().from_text(contract, section().to_text(renamed)) == renamed


@pytest.mark.parametrize(("text", "message"), [
    ("high response 4h, resolution 8h", "Line 1: start with the priority and a colon"),
    ("high: response 4h, resolution 8h\nurgent: response 1h, resolution 2h", "Line 2: start with the priority"),
    ("high: response 4h, resolution 8h\n\nhigh: response 1h, resolution 2h", "Line 3: the priority “high” is given twice."),
    ("high: response soon, resolution 8h", "Line 1: “soon” is not a duration like 4h, 1h 30m or 2d."),
    ("high: response 4h, colour red", "Line 1: “colour red” is not one of response, resolution"),
    ("high: response 4h, resolution 8h, warning lots", "Line 1: the warning is a whole percentage, e.g. 75."),
    ("high: response 4h", "Line 1: give the response and the resolution target."),
    ("low: response 0h, resolution 8h", "Line 1: A target must be longer than zero."),
    ("low: response 4h, resolution 8h, calendar Nowhere", "Line 1: there is no calendar “Nowhere”."),
])
def test_bad_text_names_its_line(world_a, text, message):
    contract, _calendar = contract_with_policies(world_a)
    with world_a.context(), translation.override("en"), pytest.raises(DomainError) as refused:
        section().from_text(contract, text)
    assert refused.value.field == "changes.sla_policies" and message in str(refused.value.messages)


def test_durations_as_text():
    assert [duration_text(s) for s in (86400, 5400, 45, 3600 * 8760)] == ["24h", "1h 30m", "45s", "8760h"]
    assert [parse_duration(t) for t in ("4h", "1h 30m", "1d", "2.5 ч", "90 мин", "1.5s", "4 hours", "")] == [
        14400, 5400, 86400, 9000, 5400, None, None, None]


def raise_order(world, contract, title):
    with world.context(user=world.engineer):
        return order_services.order_create(actor=world.engineer, contract=contract, title=title)


def clocks_of(world, order) -> dict:
    with world.context():
        return {c.metric: c for c in SLAClock.objects.filter(order=order)}


def test_a_clock_started_before_a_target_change_keeps_its_target_and_a_later_order_gets_the_new_one(world_a):
    contract = active_contract(world_a)
    with world_a.context():
        SLAPolicy.objects.create(contract=contract, priority="normal", penalty_per_breach=Decimal("500"))
        version_write(contract=Contract.objects.get(pk=contract.pk), effective_from=contract.start_date)
    start = timezone.now()
    before = raise_order(world_a, contract, "Opened under the old terms")
    old_due = clocks_of(world_a, before)["response"].due_at
    assert old_due == before.reported_at + dt.timedelta(hours=24)

    with time_machine.travel(start + dt.timedelta(hours=2), tick=False):
        with world_a.context():
            current = Contract.objects.get(pk=contract.pk)
            section().apply(current, {"normal": entry(4 * HOUR, 8 * HOUR, penalty_per_breach="500.00")}, None)
            version_write(contract=current, effective_from=local_today(world_a.tenant))
        after = raise_order(world_a, contract, "Opened under the new terms")

    old_clocks, new_clocks = clocks_of(world_a, before), clocks_of(world_a, after)
    assert old_clocks["response"].target == dt.timedelta(hours=24) and old_clocks["response"].due_at == old_due
    assert old_clocks["resolution"].target == dt.timedelta(hours=48)
    assert new_clocks["response"].target == dt.timedelta(hours=4)
    assert new_clocks["response"].due_at == after.reported_at + dt.timedelta(hours=4)
    assert new_clocks["resolution"].due_at == after.reported_at + dt.timedelta(hours=8)

    sla_sweep(now=start + dt.timedelta(hours=7))  # past the new order's 4 h, long before the old one's 24 h
    assert clocks_of(world_a, after)["response"].breached_at is not None
    assert clocks_of(world_a, before)["response"].breached_at is None
