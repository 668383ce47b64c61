"""sla.selectors.clock_status: a clock stopped by now has its figures kept per process under what
they are computed from; they are the engine's, and a changed calendar or pause is another key."""

from __future__ import annotations

import datetime as dt

import pytest

from sla import calendar_cache, engine, selectors
from sla.models import BusinessCalendar, SLAClock
from sla.services import clock_pause_spans, engine_calendar
from tests.clock import frozen_start

START = frozen_start()
NOW = START + dt.timedelta(days=20)


def _calendar(**fields) -> BusinessCalendar:
    fields.setdefault("working_hours", {str(day): [["09:00", "18:00"]] for day in range(5)})
    return BusinessCalendar(pk=7, name="Office", time_zone="Europe/Moscow", **fields)


def _clock(calendar, *, stopped_after=dt.timedelta(days=3), pauses=()) -> SLAClock:
    return SLAClock(metric="resolution", target=dt.timedelta(hours=40), calendar=calendar, started_at=START,
                    stopped_at=START + stopped_after if stopped_after is not None else None,
                    pauses=[[a.isoformat(), b.isoformat()] for a, b in pauses])


def _engine(clock, now):
    calendar = engine_calendar(clock.calendar, around=clock.started_at)
    until = max(min(clock.stopped_at or now, now), clock.started_at)
    used = engine.elapsed(started_at=clock.started_at, now=until, calendar=calendar, pauses=clock_pause_spans(clock))
    gross = engine.elapsed(started_at=clock.started_at, now=until, calendar=calendar)
    return used, gross - used, clock.target - used


@pytest.fixture(autouse=True)
def _empty():
    calendar_cache.clear()
    yield
    calendar_cache.clear()


def _figures(status):
    return status.elapsed, status.paused_time, status.time_left


@pytest.mark.parametrize("pauses", [(), ((START + dt.timedelta(hours=30), START + dt.timedelta(hours=50)),)])
def test_a_stopped_clocks_figures_are_the_engines_and_kept(pauses):
    clock = _clock(_calendar(), pauses=pauses)
    first = selectors.clock_status(clock, now=NOW)
    assert _figures(first) == _engine(clock, NOW)
    assert len(selectors._stopped_figures) == 1
    again = selectors.clock_status(clock, now=NOW + dt.timedelta(days=1), calendars={})
    assert _figures(again) == _figures(first)
    assert len(selectors._stopped_figures) == 1


def test_a_changed_calendar_or_pause_is_another_key_never_the_kept_figures():
    clock = _clock(_calendar())
    kept = _figures(selectors.clock_status(clock, now=NOW))
    longer = _clock(_calendar(working_hours={str(day): [["08:00", "20:00"]] for day in range(5)}))
    assert _figures(selectors.clock_status(longer, now=NOW)) == _engine(longer, NOW) != kept
    paused = _clock(_calendar(), pauses=((START + dt.timedelta(hours=1), START + dt.timedelta(days=1)),))
    assert _figures(selectors.clock_status(paused, now=NOW)) == _engine(paused, NOW)
    assert len(selectors._stopped_figures) == 3


def test_running_and_not_yet_stopped_clocks_are_computed_at_now():
    running = _clock(_calendar(), stopped_after=None)
    for now in (START + dt.timedelta(days=1), START + dt.timedelta(days=2)):
        assert _figures(selectors.clock_status(running, now=now)) == _engine(running, now)
    later = _clock(_calendar(), stopped_after=dt.timedelta(days=30))  # stops after now: still counting
    assert _figures(selectors.clock_status(later, now=NOW)) == _engine(later, NOW)
    assert selectors._stopped_figures == {}
