"""The business-time engine of the SLA clocks: pure functions of (start, target, calendar, pauses).

No ORM, no Django: a `Calendar` value object and four functions the services call to compute and
store `due_at` / `warn_at` and to show the time left.

Semantics (the property tests in tests/sla/test_engine.py check them against a minute-by-minute
oracle):

* **Working time is wall-clock membership.** An instant counts when its local wall-clock reading
  in the calendar's time zone falls on a working date inside one of that date's working intervals
  ``[start, end)``. Consequences on DST days:

  - spring forward: the skipped wall-clock hour never happens, so an interval containing it is
    one hour shorter (Berlin 00:00–06:00 on 2026-03-29 counts 5 h); an interval starting inside
    the gap starts when the clock jumps (02:30–05:00 counts 03:00–05:00 CEST, 2 h);
  - fall back: the repeated wall-clock hour happens twice and counts twice, i.e. an interval
    counts the real elapsed time between its wall-clock start and end (New York 00:00–06:00 on
    2026-11-01 counts 7 h). An interval with a boundary inside the repeated hour counts each pass
    separately (New York 01:00–01:30 on 2026-11-01 counts 30 min EDT + 30 min EST = 1 h).

  With the ``fold`` attribute ignored on working-hour times, this needs no tie-breaking rule for
  ambiguous or non-existent local times: membership is decided per instant.
* **24:00.** An interval may end at the end of its day: write ``END_OF_DAY`` (which is
  ``datetime.time.max``) or ``None`` (what ``sla.models._parse_hhmm("24:00")`` returns); both are
  stored as ``END_OF_DAY``. Consequently 23:59:59.999999 itself is read as 24:00.
* **Which dates work.** ``extra_working_days[date]`` (a transferred working Saturday) wins over
  everything; otherwise a date in ``holidays`` or ``extra_days_off`` is off; otherwise the weekly
  ``working_hours`` of its weekday apply.
* **24×7.** ``Calendar.always()``: every instant counts, whatever the time zone; durations are
  real elapsed time.
* **Zero and negative.** A zero duration or target returns the start itself (as UTC); negative ones
  raise ValueError. Results are aware datetimes in UTC.
* **Range.** A due time more than `HORIZON` (50 years) after its start, or an instant the walk
  would reach outside the years 1–9999, raises `OutOfRange` (a ValueError naming the cause): no
  contract's clock runs that long, so it is a target or a date typed wrong, or a calendar with too
  little working time for the target. The services turn it into a 400 naming the field.
* **Pauses** are ``(start, end)`` pairs, possibly overlapping and unordered; their union is
  removed from working time, so paused time outside business hours is never subtracted twice. A
  pause with ``end=None`` is still open: while any pause is open, `due_at` and `warn_at` return
  None (no due time while paused), and `elapsed` counts up to the open pause's start.

Cost: the engine walks working intervals in chunks of at most one day of UTC time (never minute by
minute), finding the time zone's offset changes by bisection. A calendar with no working time in
two years raises ValueError instead of looping for ever. It assumes a time zone changes its UTC
offset at most once in any 24 hours, which holds for every zone in the tz database since 1970.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

__all__ = [
    "END_OF_DAY",
    "HORIZON",
    "Calendar",
    "OutOfRange",
    "add_business_time",
    "business_time_between",
    "due_at",
    "elapsed",
    "warn_at",
]

END_OF_DAY = dt.time.max
"""The end of an interval that runs to midnight (24:00)."""

Interval = tuple[dt.time, dt.time]

_US = dt.timedelta(microseconds=1)
_DAY = 86_400_000_000  # microseconds
_GUARD = 2 * 366 * _DAY  # the longest stretch without working time we accept
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_FOREVER = 1 << 62  # microseconds: later than any datetime
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

HORIZON = dt.timedelta(days=50 * 365)
"""The furthest a due time may lie after its start; beyond it the engine raises `OutOfRange`."""
_HORIZON_US = HORIZON // _US


class OutOfRange(ValueError):
    """The answer lies beyond `HORIZON` after the start, or outside the years 1–9999."""


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------


def _fmt(value: dt.time) -> str:
    return "24:00" if value == END_OF_DAY else value.strftime("%H:%M")


def _normalize_intervals(intervals, where: str) -> tuple[Interval, ...]:
    """Check ordered, non-overlapping [start, end) intervals of one day; None/time.max = 24:00."""
    if isinstance(intervals, str | bytes) or not isinstance(intervals, Iterable):
        raise ValueError(f"Working hours of {where} must be a list of (start, end) intervals.")
    result: list[Interval] = []
    for interval in intervals:
        try:
            start, end = interval
        except (TypeError, ValueError):
            raise ValueError(
                f"Each working interval of {where} must be a (start, end) pair."
            ) from None
        if end is None:
            end = END_OF_DAY
        if not isinstance(start, dt.time) or not isinstance(end, dt.time):
            raise ValueError(f"Working intervals of {where} must be given as times of day.")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(
                f"Working intervals of {where} are local wall-clock times: give them without a "
                "time zone (the calendar has one)."
            )
        start, end = start.replace(fold=0), end.replace(fold=0)
        if start == END_OF_DAY:
            raise ValueError(f"A working interval of {where} cannot start at 24:00.")
        if start >= end:
            raise ValueError(
                f"A working interval of {where} must end after it starts "
                f"({_fmt(start)}–{_fmt(end)})."
            )
        if result and start < result[-1][1]:
            previous = result[-1]
            raise ValueError(
                f"Working intervals of {where} overlap or are out of order "
                f"({_fmt(previous[0])}–{_fmt(previous[1])} and {_fmt(start)}–{_fmt(end)}); "
                "list them from morning to evening without overlaps."
            )
        result.append((start, end))
    return tuple(result)


def _as_dates(values, name: str) -> frozenset[dt.date]:
    values = frozenset(values or ())
    for value in values:
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise ValueError(f"{name} must contain dates, not {value!r}.")
    return values


def _time_us(value: dt.time) -> int:
    if value == END_OF_DAY:
        return _DAY
    return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond


def _intervals_us(intervals: tuple[Interval, ...]) -> tuple[tuple[int, int], ...]:
    return tuple((_time_us(start), _time_us(end)) for start, end in intervals)


def _zone_of(tz: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"Unknown time zone {tz!r}: use an IANA name such as 'Europe/Moscow'."
        ) from None


def _weekly_hours(working_hours: object) -> dict[int, tuple[Interval, ...]]:
    """A calendar's weekdays that work, each with its intervals checked and normalized."""
    if not isinstance(working_hours, Mapping):
        raise ValueError(
            "Working hours must map weekdays (0 = Monday … 6 = Sunday) to intervals."
        )
    weekly: dict[int, tuple[Interval, ...]] = {}
    for day, intervals in working_hours.items():
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValueError(f"Unknown weekday {day!r}: use 0 (Monday) to 6 (Sunday).")
        normalized = _normalize_intervals(intervals, _WEEKDAY_NAMES[day])
        if normalized:
            weekly[day] = normalized
    return weekly


def _extra_working_days(extra_working_days: object) -> dict[dt.date, tuple[Interval, ...]]:
    """A calendar's extra working dates, each with its intervals checked and normalized."""
    if not isinstance(extra_working_days, Mapping):
        raise ValueError("Extra working days must map dates to intervals.")
    extra: dict[dt.date, tuple[Interval, ...]] = {}
    for day, intervals in extra_working_days.items():
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise ValueError(f"Extra working days must be dates, not {day!r}.")
        normalized = _normalize_intervals(intervals, day.isoformat())
        if not normalized:
            raise ValueError(f"The extra working day {day.isoformat()} needs working hours.")
        extra[day] = normalized
    return extra


@dataclass(frozen=True)
class Calendar:
    """Business hours in one time zone, or 24×7 (`Calendar.always()`).

    ``working_hours`` maps a weekday (0 = Monday … 6 = Sunday) to its local wall-clock intervals
    ``(start, end)``, in order and not overlapping (touching is fine: 09:00–13:00, 13:00–18:00);
    ``END_OF_DAY`` or None as an end means 24:00. ``holidays`` (public holidays) and
    ``extra_days_off`` are local dates off; ``extra_working_days`` maps a date to the intervals it
    works instead (a transferred working Saturday) and wins over both. Invalid input raises
    ValueError with a message fit for a form.
    """

    tz: str
    working_hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    holidays: frozenset[dt.date] = frozenset()
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_working_days: Mapping[dt.date, tuple[Interval, ...]] = field(default_factory=dict)
    always_on: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _zone_of(self.tz))
        weekly = _weekly_hours(self.working_hours)
        holidays = _as_dates(self.holidays, "Holidays")
        days_off = _as_dates(self.extra_days_off, "Extra days off")
        extra = _extra_working_days(self.extra_working_days)
        clash = sorted(days_off & extra.keys())
        if clash:
            raise ValueError(
                f"{clash[0].isoformat()} is both an extra day off and an extra working day."
            )
        if self.always_on:
            if weekly or holidays or days_off or extra:
                raise ValueError(
                    "A 24×7 calendar counts every hour of every day: it cannot also have working "
                    "hours, holidays or days off."
                )
        elif not weekly:
            raise ValueError(
                "A calendar needs working hours on at least one day of the week, or 24×7."
            )

        object.__setattr__(self, "working_hours", MappingProxyType(dict(sorted(weekly.items()))))
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "extra_days_off", days_off)
        object.__setattr__(
            self, "extra_working_days", MappingProxyType(dict(sorted(extra.items())))
        )

    def __hash__(self) -> int:
        return hash(
            (
                self.tz,
                tuple(self.working_hours.items()),
                self.holidays,
                self.extra_days_off,
                tuple(self.extra_working_days.items()),
                self.always_on,
            )
        )

    @classmethod
    def always(cls, tz: str = "UTC") -> Calendar:
        """24×7: every instant counts; the time zone only matters for display."""
        return cls(tz=tz, always_on=True)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return self._zone  # type: ignore[attr-defined]

    # Precomputed in microseconds since local midnight, keyed for the walk below.
    @cached_property
    def _weekly_us(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        return tuple(_intervals_us(self.working_hours.get(day, ())) for day in range(7))

    @cached_property
    def _special_us(self) -> dict[int, tuple[tuple[int, int], ...]]:
        """Epoch day number → intervals, for every date that does not follow its weekday."""
        special: dict[int, tuple[tuple[int, int], ...]] = {}
        for day in self.holidays | self.extra_days_off:
            special[day.toordinal() - _EPOCH_ORDINAL] = ()
        for day, intervals in self.extra_working_days.items():
            special[day.toordinal() - _EPOCH_ORDINAL] = _intervals_us(intervals)
        return special

    def _intervals_on(self, day_number: int) -> tuple[tuple[int, int], ...]:
        special = self._special_us.get(day_number)
        if special is not None:
            return special
        return self._weekly_us[(day_number + 3) % 7]  # 1970-01-01 was a Thursday


# --------------------------------------------------------------------------------------------
# The walk: disjoint working spans in UTC microseconds since the epoch
# --------------------------------------------------------------------------------------------


def _to_us(value: dt.datetime, name: str) -> int:
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{name} must be a datetime.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware.")
    return (value - _EPOCH) // _US


def _from_us(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=value)


def _offset_us(zone: zoneinfo.ZoneInfo, instant: int) -> int:
    return _from_us(instant).astimezone(zone).utcoffset() // _US


def _working_spans(
    calendar: Calendar, start: int, until: int | None = None
) -> Iterator[tuple[int, int]]:
    """Disjoint working spans [a, b) within [start, until), in chronological order."""
    if until is not None and until <= start:
        return
    if calendar.always_on:
        yield start, _FOREVER if until is None else until
        return
    zone = calendar.zone
    cursor = start
    offset = _offset_us(zone, cursor)
    last_work = start
    while until is None or cursor < until:
        # A chunk of at most a day over which the UTC offset is constant.
        chunk_end = cursor + _DAY
        next_offset = _offset_us(zone, chunk_end)
        if next_offset != offset:
            low, high = cursor, chunk_end  # offset(low) == offset, offset(high) != offset
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_us(zone, middle) == offset:
                    low = middle
                else:
                    high = middle
            chunk_end = high
            next_offset = _offset_us(zone, high)
        stop = chunk_end if until is None else min(chunk_end, until)
        local_start, local_stop = cursor + offset, stop + offset
        day = local_start // _DAY
        while day * _DAY < local_stop:
            midnight = day * _DAY
            for begin, end in calendar._intervals_on(day):
                a = max(midnight + begin, local_start)
                b = min(midnight + end, local_stop)
                if a < b:
                    last_work = b - offset
                    yield a - offset, b - offset
            day += 1
        cursor, offset = chunk_end, next_offset
        if until is None and cursor - last_work > _GUARD:
            raise ValueError(
                "The calendar has no working time in the two years after "
                f"{_from_us(last_work).astimezone(zone):%Y-%m-%d %H:%M}; check its holidays and "
                "days off."
            )


def _merge_pauses(
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]],
) -> list[tuple[int, int]]:
    """The union of the pauses as sorted disjoint [a, b) spans; an open pause ends at _FOREVER."""
    spans = []
    for pause in pauses or ():
        try:
            begin, end = pause
        except (TypeError, ValueError):
            raise ValueError(
                "Each pause must be a (start, end) pair; end is None while paused."
            ) from None
        a = _to_us(begin, "A pause's start")
        b = _FOREVER if end is None else _to_us(end, "A pause's end")
        if b < a:
            raise ValueError("A pause cannot end before it starts.")
        if a < b:
            spans.append((a, b))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _without(
    spans: Iterator[tuple[int, int]], pauses: list[tuple[int, int]]
) -> Iterator[tuple[int, int]]:
    """The spans minus the (sorted, disjoint) pauses."""
    index = 0
    for a, b in spans:
        while index < len(pauses) and pauses[index][1] <= a:
            index += 1
        cursor = a
        probe = index
        while probe < len(pauses) and pauses[probe][0] < b:
            pause_start, pause_end = pauses[probe]
            if pause_start > cursor:
                yield cursor, pause_start
            cursor = max(cursor, pause_end)
            if cursor >= b:
                break
            probe += 1
        if cursor < b:
            yield cursor, b


def _consume(spans: Iterable[tuple[int, int]], amount: int, limit: int) -> int:
    """The instant at which `amount` of the spans has elapsed; OutOfRange past `limit`."""
    for a, b in spans:
        if a >= limit:
            break
        b = min(b, limit)
        if b - a >= amount:
            return a + amount
        amount -= b - a
    raise OutOfRange(
        f"The due time would be more than {HORIZON.days // 365} years after the start: the target is "
        "too long for the calendar's working time."
    )


def _in_range(function):
    """Instants the walk would reach before year 1 or after year 9999 raise OutOfRange."""

    @functools.wraps(function)
    def checked(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except OverflowError:
            raise OutOfRange(
                "The date lies too close to the limits of the calendar (years 1–9999) to compute "
                "business time from it."
            ) from None

    return checked


def _duration_us(value: dt.timedelta, name: str) -> int:
    if not isinstance(value, dt.timedelta):
        raise ValueError(f"{name} must be a timedelta.")
    if value < dt.timedelta(0):
        raise ValueError(f"{name} cannot be negative.")
    return value // _US


# --------------------------------------------------------------------------------------------
# The public functions
# --------------------------------------------------------------------------------------------


@_in_range
def add_business_time(
    start: dt.datetime, duration: dt.timedelta, calendar: Calendar
) -> dt.datetime:
    """The first instant (UTC) at which `duration` of business time has elapsed since `start`.

    Outside working time, counting begins at the next working instant; a duration that ends
    exactly with a working interval returns that interval's end (e.g. 18:00, not the next 09:00).
    A zero duration returns `start` itself, in UTC.
    """
    begin = _to_us(start, "The start")
    amount = _duration_us(duration, "The duration")
    if amount == 0:
        return start.astimezone(dt.UTC)
    return _from_us(_consume(_working_spans(calendar, begin), amount, begin + _HORIZON_US))


@_in_range
def business_time_between(start: dt.datetime, end: dt.datetime, calendar: Calendar) -> dt.timedelta:
    """Business time within [start, end); zero if end <= start."""
    begin, stop = _to_us(start, "The start"), _to_us(end, "The end")
    total = sum(b - a for a, b in _working_spans(calendar, begin, stop))
    return dt.timedelta(microseconds=total)


@_in_range
def due_at(
    *,
    started_at: dt.datetime,
    target: dt.timedelta,
    calendar: Calendar,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = (),
) -> dt.datetime | None:
    """When a clock started at `started_at` has run `target` of business time outside its pauses.

    The first instant T such that the business time of [started_at, T) outside the union of the
    pauses equals `target`. None while a pause is open (its end is None): no due time while paused.
    """
    begin = _to_us(started_at, "The start")
    amount = _duration_us(target, "The target")
    merged = _merge_pauses(pauses)
    if merged and merged[-1][1] == _FOREVER:
        return None
    if amount == 0:
        return started_at.astimezone(dt.UTC)
    return _from_us(_consume(_without(_working_spans(calendar, begin), merged), amount, begin + _HORIZON_US))


@_in_range
def elapsed(
    *,
    started_at: dt.datetime,
    now: dt.datetime,
    calendar: Calendar,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = (),
) -> dt.timedelta:
    """Business time the clock has consumed in [started_at, now), pauses excluded."""
    begin, stop = _to_us(started_at, "The start"), _to_us(now, "Now")
    merged = _merge_pauses(pauses)
    spans = _without(_working_spans(calendar, begin, stop), merged)
    return dt.timedelta(microseconds=sum(b - a for a, b in spans))


@_in_range
def warn_at(
    *,
    started_at: dt.datetime,
    target: dt.timedelta,
    threshold: float,
    calendar: Calendar,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]] = (),
) -> dt.datetime | None:
    """When `threshold` (0 < threshold < 1, e.g. 0.75) of the target is used: `due_at` of that share."""
    if (
        isinstance(threshold, bool)
        or not isinstance(threshold, int | float)
        or not 0 < threshold < 1
    ):
        raise ValueError("The warning threshold must be between 0 and 1 (exclusive), e.g. 0.75.")
    _duration_us(target, "The target")
    return due_at(
        started_at=started_at, target=target * threshold, calendar=calendar, pauses=pauses
    )
