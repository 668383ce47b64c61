"""sla.selectors.clock_status of a clock still counting: its business time up to the start of the
current UTC day is kept per process and extended a day at a time, so a clock open for a year is not
walked for a year at every page that shows it. The figures are the engine's own, walked whole, on
every day, across DST changes, with pauses closed and open."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sla import calendar_cache, engine, selectors
from sla.models import BusinessCalendar, SLAClock
from sla.services import clock_pause_spans, engine_calendar
from tests.clock import frozen_start

NOW = frozen_start()
WALK = engine.elapsed  # the engine itself, whatever a test records
ZONES = ("Europe/Moscow", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe")


def _calendar(zone: str = "Europe/Moscow", **fields) -> BusinessCalendar:
    fields.setdefault("working_hours", {str(day): [["09:00", "13:00"], ["14:00", "18:00"]] for day in range(5)})
    return BusinessCalendar(pk=11, name="Office", time_zone=zone, **fields)


def _clock(calendar, *, age: dt.timedelta, pauses=(), paused_since=None) -> SLAClock:
    started = NOW - age
    return SLAClock(metric="resolution", target=dt.timedelta(hours=40), calendar=calendar, started_at=started,
                    paused_since=paused_since, pauses=[[a.isoformat(), b.isoformat()] for a, b in pauses])


def _engine(clock, now):
    """The figures walked whole, as before they were kept."""
    calendar = engine_calendar(clock.calendar, around=clock.started_at)
    until = max(now, clock.started_at)
    used = WALK(started_at=clock.started_at, now=until, calendar=calendar, pauses=clock_pause_spans(clock))
    gross = WALK(started_at=clock.started_at, now=until, calendar=calendar)
    return used, gross - used, clock.target - used


def _figures(status):
    return status.elapsed, status.paused_time, status.time_left


@pytest.fixture(autouse=True)
def _empty():
    calendar_cache.clear()
    yield
    calendar_cache.clear()


@pytest.fixture
def walks(monkeypatch):
    """Every stretch the engine is asked to walk, as (from, to)."""
    seen: list[tuple[dt.datetime, dt.datetime]] = []
    def recording(*, started_at, now, calendar, pauses=()):
        seen.append((started_at, now))
        return WALK(started_at=started_at, now=now, calendar=calendar, pauses=pauses)

    monkeypatch.setattr(selectors.engine, "elapsed", recording)
    return seen


def _midnight(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def test_a_year_old_clock_is_walked_whole_once_then_only_its_day(walks):
    clock = _clock(_calendar(), age=dt.timedelta(days=365))
    first = selectors.clock_status(clock, now=NOW)
    assert _figures(first) == _engine(clock, NOW)
    assert (clock.started_at, _midnight(NOW)) in walks  # the year, once
    walks.clear()
    later = NOW + dt.timedelta(minutes=5)
    if _midnight(later) != _midnight(NOW):  # the test's start is a minute before midnight: the next day's case
        later = NOW + dt.timedelta(seconds=1)
    second = selectors.clock_status(clock, now=later)
    assert _figures(second) == _engine(clock, later)
    assert walks == [(_midnight(later), later)]  # today's stretch only


def test_the_next_day_extends_the_kept_figures_by_one_day(walks):
    clock = _clock(_calendar("America/New_York"), age=dt.timedelta(days=200))
    selectors.clock_status(clock, now=NOW)
    walks.clear()
    tomorrow = NOW + dt.timedelta(days=1)
    assert _figures(selectors.clock_status(clock, now=tomorrow)) == _engine(clock, tomorrow)
    longest = max(to - since for since, to in walks)
    assert longest <= dt.timedelta(days=1)


def test_a_pause_begun_or_ended_is_another_key(walks):
    calendar = _calendar()
    clock = _clock(calendar, age=dt.timedelta(days=40))
    selectors.clock_status(clock, now=NOW)
    begun = NOW - dt.timedelta(days=3)
    paused = _clock(calendar, age=dt.timedelta(days=40), paused_since=begun)
    assert _figures(selectors.clock_status(paused, now=NOW)) == _engine(paused, NOW)
    ended = _clock(calendar, age=dt.timedelta(days=40), pauses=((begun, NOW - dt.timedelta(days=1)),))
    assert _figures(selectors.clock_status(ended, now=NOW)) == _engine(ended, NOW)


def test_a_24x7_clock_keeps_nothing_and_is_not_walked(walks):
    clock = _clock(None, age=dt.timedelta(days=90))
    assert _figures(selectors.clock_status(clock, now=NOW)) == _engine(clock, NOW)
    assert selectors._prefixes == {}
    assert walks == []  # without pauses its business time is the time since it started


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone=st.sampled_from((*ZONES, "24×7", "none")),
    age=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=400)),
    steps=st.lists(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)), min_size=1, max_size=4),
    pause=st.one_of(st.none(), st.tuples(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30)),
                                         st.one_of(st.none(), st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=5))))),
    days_off=st.booleans(),
)
def test_the_kept_figures_are_the_engines_walked_whole(zone, age, steps, pause, days_off):
    calendar_cache.clear()
    extra = {"extra_days_off": [(NOW - dt.timedelta(days=n)).date().isoformat() for n in (2, 9, 30)]} if days_off else {}
    if zone == "24×7":
        calendar = BusinessCalendar(pk=12, name="Always", time_zone="Europe/Moscow", always_on=True)
    elif zone == "none":  # a clock without a calendar counts 24×7
        calendar = None
    else:
        calendar = _calendar(zone, **extra)
    pauses, paused_since = (), None
    if pause is not None:
        begun = NOW - age + pause[0]
        if pause[1] is None:
            paused_since = begun
        else:
            pauses = ((begun, begun + pause[1]),)
    clock = _clock(calendar, age=age, pauses=pauses, paused_since=paused_since)
    now = NOW
    for step in steps:  # the same clock seen again later: kept figures extended, never stale
        now += step
        assert _figures(selectors.clock_status(clock, now=now)) == _engine(clock, now)
