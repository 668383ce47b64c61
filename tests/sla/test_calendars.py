"""Stored business calendars as the engine sees them: public holidays and the working days the
government moves onto weekends, from the `holidays` package's own data."""

from __future__ import annotations

import datetime as dt

import holidays

from sla import engine
from sla.models import BusinessCalendar, SLAClock
from sla.services import clock_recompute, engine_calendar

MSK = dt.timezone(dt.timedelta(hours=3))
WITH_LUNCH = [["09:00", "13:00"], ["14:00", "18:00"]]  # 8 hours a day
WORKING_SATURDAY = dt.date(2027, 2, 20)  # Russia 2027: Saturday worked, Monday 22 February off


def russian_office(**fields) -> BusinessCalendar:
    fields.setdefault("working_hours", {str(day): WITH_LUNCH for day in range(5)})
    fields.setdefault("holiday_country", "RU")
    return BusinessCalendar(name="Moscow office", time_zone="Europe/Moscow", **fields)


def test_the_package_lists_the_saturday_as_a_working_day():
    # the data the calendar relies on, as holidays==0.109 exposes it
    russia = holidays.country_holidays("RU", years=2027)
    assert WORKING_SATURDAY in russia.weekend_workdays
    assert russia.is_working_day(WORKING_SATURDAY)
    assert dt.date(2027, 2, 22) in russia


def test_a_transferred_working_saturday_works_the_hours_of_a_normal_monday():
    calendar = engine_calendar(russian_office(), around=dt.datetime(2027, 2, 1, tzinfo=MSK))

    saturday = dt.datetime(2027, 2, 20, tzinfo=MSK)
    assert engine.business_time_between(saturday, saturday + dt.timedelta(days=1), calendar) == dt.timedelta(hours=8)
    monday_off = dt.datetime(2027, 2, 22, tzinfo=MSK)
    assert engine.business_time_between(monday_off, monday_off + dt.timedelta(days=1), calendar) == dt.timedelta(0)
    # an ordinary Saturday stays off
    assert engine.business_time_between(saturday + dt.timedelta(days=7), saturday + dt.timedelta(days=8),
                                         calendar) == dt.timedelta(0)


def test_a_600_hour_clock_comes_due_on_the_75th_working_day_counting_the_saturday():
    # From Monday 11 January 2027: 31 working days to 20 February (the Saturday included), then
    # 44 more — 22 and 23 February, 8 March off — end on Tuesday 27 April at 18:00 Moscow time.
    clock = SLAClock(metric="resolution", target=dt.timedelta(hours=600), calendar=russian_office(),
                     warning_threshold_pct=75, started_at=dt.datetime(2027, 1, 11, 9, tzinfo=MSK))

    clock_recompute(clock)

    assert clock.due_at == dt.datetime(2027, 4, 27, 18, tzinfo=MSK)
    # without the Saturday it would be a working day later
    ignored = engine.Calendar(**{**_fields(engine_calendar(clock.calendar, around=clock.started_at)),
                                 "extra_working_days": {}})
    assert engine.due_at(started_at=clock.started_at, target=clock.target, calendar=ignored) == dt.datetime(
        2027, 4, 28, 18, tzinfo=MSK)


def _fields(calendar: engine.Calendar) -> dict:
    return {"tz": calendar.tz, "working_hours": dict(calendar.working_hours), "holidays": calendar.holidays,
            "extra_days_off": calendar.extra_days_off, "extra_working_days": dict(calendar.extra_working_days)}


def test_a_calendar_that_works_saturdays_keeps_its_own_saturday_hours():
    hours = {str(day): WITH_LUNCH for day in range(5)} | {"5": [["10:00", "14:00"]]}
    calendar = engine_calendar(russian_office(working_hours=hours), around=dt.datetime(2027, 2, 1, tzinfo=MSK))

    assert WORKING_SATURDAY not in calendar.extra_working_days
    saturday = dt.datetime(2027, 2, 20, tzinfo=MSK)
    assert engine.business_time_between(saturday, saturday + dt.timedelta(days=1), calendar) == dt.timedelta(hours=4)


def test_the_tenants_own_day_off_wins_over_a_working_saturday():
    calendar = engine_calendar(russian_office(extra_days_off=[WORKING_SATURDAY.isoformat()]),
                               around=dt.datetime(2027, 2, 1, tzinfo=MSK))

    saturday = dt.datetime(2027, 2, 20, tzinfo=MSK)
    assert engine.business_time_between(saturday, saturday + dt.timedelta(days=1), calendar) == dt.timedelta(0)


def test_a_monday_off_calendar_takes_the_first_working_weekdays_hours():
    hours = {str(day): [["08:00", "12:00"]] for day in range(1, 5)}
    calendar = engine_calendar(russian_office(working_hours=hours), around=dt.datetime(2027, 2, 1, tzinfo=MSK))

    assert calendar.extra_working_days[WORKING_SATURDAY] == ((dt.time(8), dt.time(12)),)


def test_a_calendar_without_a_country_has_no_transferred_days():
    calendar = engine_calendar(russian_office(holiday_country=""), around=dt.datetime(2027, 2, 1, tzinfo=MSK))

    assert calendar.extra_working_days == {}
    assert calendar.holidays == frozenset()
