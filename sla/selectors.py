"""Reads of the SLA app shared by pages, the API and reports, and what a clock shows a person."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

from . import engine
from .calendar_cache import cached_engine_calendar, kept
from .calendar_cache import key as calendar_key
from .models import Breach, BusinessCalendar, ForceMajeure, SLAClock, SLAPolicy
from .services import clock_pause_spans

# --- clocks -------------------------------------------------------------------------------------


class ClockState:
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    WARNED = "warned"
    BREACHED = "breached"

    choices = [(RUNNING, "running"), (PAUSED, "paused"), (MET, "met"), (WARNED, "warned"), (BREACHED, "breached")]


@dataclass(frozen=True)
class ClockStatus:
    """One clock as a person reads it at `now`."""

    metric: str
    state: str
    target: dt.timedelta
    started_at: dt.datetime
    due_at: dt.datetime | None
    paused_since: dt.datetime | None
    warned_at: dt.datetime | None
    stopped_at: dt.datetime | None
    breached_at: dt.datetime | None
    elapsed: dt.timedelta
    paused_time: dt.timedelta
    time_left: dt.timedelta


def clock_state(clock: SLAClock, *, now: dt.datetime) -> str:
    """breached (recorded, or past due before the next sweep notices), met, paused, warned, running."""
    if clock.breached_at is not None or (clock.stopped_at is None and clock.due_at is not None and clock.due_at <= now):
        return ClockState.BREACHED
    if clock.stopped_at is not None:
        return ClockState.MET
    if clock.paused_since is not None:
        return ClockState.PAUSED
    if clock.warned_at is not None or (clock.warn_at is not None and clock.warn_at <= now):
        return ClockState.WARNED
    return ClockState.RUNNING


_STOPPED_FIGURES_SIZE = 20_000
_stopped_figures: OrderedDict[tuple, tuple[dt.timedelta, dt.timedelta]] = OrderedDict()
# The figures of a running clock up to the start of a UTC day (see `_running_figures`).
_DAY = dt.timedelta(days=1)
_PREFIX_SIZE = 50_000
_prefixes: OrderedDict[tuple, tuple[dt.timedelta, dt.timedelta]] = OrderedDict()


def _walked(calendar, started_at: dt.datetime, until: dt.datetime, pauses: list) -> tuple[dt.timedelta, dt.timedelta]:
    """(business time used outside the pauses, business time in all) within [started_at, until)."""
    if calendar.always_on and not pauses:  # every instant counts: the engine's walk is this subtraction
        gross = max(until - started_at, dt.timedelta(0))
        return gross, gross
    elapsed = engine.elapsed(started_at=started_at, now=until, calendar=calendar, pauses=pauses)
    # without pauses the gross time is the same walk over the calendar: not walked twice
    gross = engine.elapsed(started_at=started_at, now=until, calendar=calendar) if pauses else elapsed
    return elapsed, gross


def _running_figures(calendar, built_from: tuple, started_at: dt.datetime, until: dt.datetime,
                     pauses: list) -> tuple[dt.timedelta, dt.timedelta]:
    """The figures of a clock still counting at `until`, without walking its whole life at every call.

    Business time is additive: the time within [start, until) is the time within [start, midnight)
    plus the time within [midnight, until), for any instant between (the engine decides membership
    per instant, DST days included). The first part, up to the start of `until`'s UTC day, is kept
    per process under everything it is computed from (the calendar's stored values, the start, the
    pauses: a pause begun or ended is another key); a day's part is extended from the day before's
    when that one is kept. So a clock running for a year costs a walk of a year once, and then at
    most a day's walk a call, where every call walked the year before.
    """
    if calendar.always_on or until - started_at <= 2 * _DAY:  # 24×7 is no walk; two days are a short one
        return _walked(calendar, started_at, until, pauses)
    midnight = until.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)  # a day after the start
    spans = tuple(pauses)

    def upto_midnight():
        day_before = midnight - _DAY
        before = _prefixes.get((built_from, started_at, spans, day_before))
        if before is None:
            return _walked(calendar, started_at, midnight, pauses)
        day = _walked(calendar, day_before, midnight, pauses)
        return before[0] + day[0], before[1] + day[1]

    prefix = kept(_prefixes, (built_from, started_at, spans, midnight), _PREFIX_SIZE, upto_midnight)
    today = _walked(calendar, midnight, until, pauses)
    return prefix[0] + today[0], prefix[1] + today[1]


def clock_status(clock: SLAClock, *, now: dt.datetime, calendars: dict | None = None) -> ClockStatus:
    """Business time used, paused and left, from the same engine that computes the due time.

    `calendars` keeps the engine's calendars across the clocks of one page; they are built once per
    process for the same stored values (`sla.calendar_cache`).
    """
    calendars = {} if calendars is None else calendars
    key = (clock.calendar_id, clock.started_at.year)
    if key not in calendars:  # the engine's calendar and what it is built from, once per page
        calendars[key] = (cached_engine_calendar(clock.calendar, around=clock.started_at),
                          calendar_key(clock.calendar, clock.started_at.year))
    calendar, built_from = calendars[key]
    until = min(clock.stopped_at or now, now)
    until = max(until, clock.started_at)
    pauses = clock_pause_spans(clock)
    # A clock stopped by `now` has figures that never change: a function of what its calendar is
    # built from, its start, its stop and its pauses, and kept per process under all of those.
    stopped = clock.stopped_at is not None and clock.stopped_at <= now
    if stopped:
        figures = kept(_stopped_figures, (built_from, clock.started_at, until, tuple(pauses)), _STOPPED_FIGURES_SIZE,
                        lambda: _walked(calendar, clock.started_at, until, pauses))
    else:
        figures = _running_figures(calendar, built_from, clock.started_at, until, pauses)
    elapsed, gross = figures
    return ClockStatus(
        metric=clock.metric, state=clock_state(clock, now=now), target=clock.target, started_at=clock.started_at,
        due_at=clock.due_at, paused_since=clock.paused_since, warned_at=clock.warned_at, stopped_at=clock.stopped_at,
        breached_at=clock.breached_at, elapsed=elapsed, paused_time=gross - elapsed, time_left=clock.target - elapsed,
    )


# --- lists ------------------------------------------------------------------------------------


def breach_list(*, client_id: int | None = None):
    """Breaches with their order, contract and provider; `client_id` limits a client user."""
    queryset = Breach.objects.select_related("order", "contract", "contract__client", "provider").order_by(
        "-breached_at", "-id")
    if client_id is not None:
        queryset = queryset.filter(contract__client_id=client_id)
    return queryset


def calendar_list():
    return BusinessCalendar.objects.order_by("name", "id")


def policy_list():
    return SLAPolicy.objects.select_related("contract", "calendar").order_by("contract_id", "priority", "id")


def force_majeure_list():
    return ForceMajeure.objects.select_related("contract", "started_by", "lifted_by").order_by("-started_at", "-id")
