"""The engine's calendars kept per process, keyed by what they are built from.

`sla.services.engine_calendar` builds an `engine.Calendar` (validated intervals, the country's
holidays for the years around) from a stored `BusinessCalendar`; a list page asked it once per
calendar and request. The engine's calendar is a frozen value, so one built from the same stored
values serves every request: the key is the calendar's id and *every* value it is built from (and
the year its holidays are taken around), so a changed calendar is simply another key — there is
nothing to invalidate, and a stale entry is never read. At most `SIZE` are kept, least recently
used first out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict

from . import engine
from .services import engine_calendar

SIZE = 512
_built: OrderedDict[tuple, engine.Calendar] = OrderedDict()


def _key(calendar, year: int) -> tuple:
    if calendar is None:
        return (None,)
    if calendar.always_on:
        return (calendar.pk, calendar.time_zone, True)
    return (calendar.pk, calendar.time_zone, False, json.dumps(calendar.working_hours or {}, sort_keys=True),
            calendar.holiday_country or "", tuple(calendar.extra_days_off or ()), year)


key = _key  # what an engine calendar is built from, for other per-process caches keyed by it


def kept(store: OrderedDict, key: tuple, size: int, compute):
    """`store[key]`, computed on a miss; at most `size` kept, the least recently used first out."""
    found = store.get(key)
    if found is not None:
        store.move_to_end(key)
        return found
    found = store[key] = compute()
    if len(store) > size:
        store.popitem(last=False)
    return found


def cached_engine_calendar(calendar, *, around: dt.datetime) -> engine.Calendar:
    """`engine_calendar(calendar, around=around)`, built once per process for the same stored values."""
    return kept(_built, _key(calendar, around.year), SIZE, lambda: engine_calendar(calendar, around=around))


def clear() -> None:
    _built.clear()
    from . import selectors

    selectors._stopped_figures.clear()
    selectors._prefixes.clear()
