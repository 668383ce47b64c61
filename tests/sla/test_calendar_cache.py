"""sla.calendar_cache: one engine calendar per process for the same stored values; a changed
calendar (or another tenant's with other values) is another key, never the stale one."""

from __future__ import annotations

import datetime as dt

import pytest

from sla import calendar_cache
from sla.models import BusinessCalendar
from sla.services import engine_calendar
from tests.clock import frozen_start

AROUND = frozen_start()  # the instant the tests start at (tests.clock)


def _calendar(pk=1, **fields) -> BusinessCalendar:
    fields.setdefault("working_hours", {"0": [["09:00", "18:00"]], "1": [["09:00", "18:00"]]})
    fields.setdefault("time_zone", "Europe/Moscow")
    return BusinessCalendar(pk=pk, name="Office", **fields)


@pytest.fixture(autouse=True)
def _empty():
    calendar_cache.clear()
    yield
    calendar_cache.clear()


def test_the_same_stored_values_give_the_same_calendar_once():
    first = calendar_cache.cached_engine_calendar(_calendar(), around=AROUND)
    assert calendar_cache.cached_engine_calendar(_calendar(), around=AROUND) is first
    assert first == engine_calendar(_calendar(), around=AROUND)


def test_a_changed_calendar_is_built_again_from_its_new_values():
    before = calendar_cache.cached_engine_calendar(_calendar(), around=AROUND)
    day_off = AROUND.date() + dt.timedelta(days=1)
    changed = _calendar(extra_days_off=[day_off.isoformat()])
    after = calendar_cache.cached_engine_calendar(changed, around=AROUND)
    assert after is not before and day_off in after.extra_days_off
    hours = _calendar(working_hours={"0": [["10:00", "12:00"]]})
    assert calendar_cache.cached_engine_calendar(hours, around=AROUND) == engine_calendar(hours, around=AROUND)
    zone = _calendar(time_zone="Asia/Vladivostok")
    assert calendar_cache.cached_engine_calendar(zone, around=AROUND).tz == "Asia/Vladivostok"


def test_two_tenants_calendars_with_the_same_name_are_kept_apart():
    a = calendar_cache.cached_engine_calendar(_calendar(pk=1), around=AROUND)
    b = calendar_cache.cached_engine_calendar(_calendar(pk=2, time_zone="Asia/Yekaterinburg"), around=AROUND)
    assert a.tz == "Europe/Moscow" and b.tz == "Asia/Yekaterinburg"


def test_holidays_follow_the_year_around():
    country = _calendar(holiday_country="RU")
    this = calendar_cache.cached_engine_calendar(country, around=AROUND)
    next_year = AROUND + dt.timedelta(days=366)
    later = calendar_cache.cached_engine_calendar(country, around=next_year)
    assert this != later
    assert later == engine_calendar(country, around=next_year)


def test_no_calendar_and_always_on_are_24x7():
    assert calendar_cache.cached_engine_calendar(None, around=AROUND) == engine_calendar(None, around=AROUND)
    always = _calendar(always_on=True)
    assert calendar_cache.cached_engine_calendar(always, around=AROUND) == engine_calendar(always, around=AROUND)
