"""Benchmark of what a page of open SLA clocks costs as the clocks age: `sla.selectors.clock_status`
for 100 running clocks (a list page of 50 orders with their response and resolution clocks), open
for a day, a month and a year, on an office calendar (Moscow, 09:00–18:00 on working days, Russia's
holidays) and on 24×7. In the same run, beside it, the baseline: the engine walked over each
clock's whole life (what every page did before the business time up to today was kept per process).

    python tests/bench/clock_figures.py      (part of `make bench`; needs no database)

Figures: the first view in a fresh process (the calendar built, every clock walked whole once), a
view later the same day (the median of 30), the first view the next day (kept figures extended by
one day), and the baseline's view (the median of 30). Writes bench/results/clock_figures.json and
the README's table.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from sla import calendar_cache, selectors  # noqa: E402
from sla.models import BusinessCalendar, SLAClock  # noqa: E402
from sla.services import clock_pause_spans  # noqa: E402
from tests.bench.support import write_readme  # noqa: E402

CLOCKS = 100
AGES = {"a day": 1, "a month": 30, "a year": 365}
REPEAT = 30
# A fixed instant: the figures do not depend on the day the benchmark runs.
NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def _calendars() -> dict:
    office = BusinessCalendar(pk=1, name="Office", time_zone="Europe/Moscow", holiday_country="RU",
                              working_hours={str(day): [["09:00", "18:00"]] for day in range(5)})
    return {"office (Moscow, RU holidays)": office, "24×7": None}


def _clocks(calendar, days: int) -> list[SLAClock]:
    return [SLAClock(metric="resolution" if n % 2 else "response", target=dt.timedelta(hours=40), calendar=calendar,
                     started_at=NOW - dt.timedelta(days=days, minutes=7 * n), pauses=[]) for n in range(CLOCKS)]


def _page(clocks, now) -> float:
    start = time.perf_counter()
    calendars: dict = {}
    for clock in clocks:
        selectors.clock_status(clock, now=now, calendars=calendars)
    return (time.perf_counter() - start) * 1000


def _before(clock, *, now, calendars) -> selectors.ClockStatus:
    """The baseline: `clock_status` as it was before, every running clock walked from its start."""
    key = (clock.calendar_id, clock.started_at.year)
    if key not in calendars:
        calendars[key] = calendar_cache.cached_engine_calendar(clock.calendar, around=clock.started_at)
    calendar = calendars[key]
    until = max(min(clock.stopped_at or now, now), clock.started_at)
    pauses = clock_pause_spans(clock)
    elapsed, gross = selectors._walked(calendar, clock.started_at, until, pauses)
    return selectors.ClockStatus(
        metric=clock.metric, state=selectors.clock_state(clock, now=now), target=clock.target,
        started_at=clock.started_at, due_at=clock.due_at, paused_since=clock.paused_since, warned_at=clock.warned_at,
        stopped_at=clock.stopped_at, breached_at=clock.breached_at, elapsed=elapsed, paused_time=gross - elapsed,
        time_left=clock.target - elapsed)


def _whole(clocks, now) -> float:
    start = time.perf_counter()
    calendars: dict = {}
    for clock in clocks:
        _before(clock, now=now, calendars=calendars)
    return (time.perf_counter() - start) * 1000


def measure(calendar, days: int) -> dict:
    clocks = _clocks(calendar, days)
    calendar_cache.clear()
    first = _page(clocks, NOW)
    later, whole = [], []
    for n in range(REPEAT):  # interleaved: the machine's load hits both alike
        later.append(_page(clocks, NOW + dt.timedelta(hours=1, seconds=7 * n)))
        whole.append(_whole(clocks, NOW + dt.timedelta(hours=1, seconds=7 * n)))
    next_day = _page(clocks, NOW + dt.timedelta(days=1))
    return {"first_view_ms": round(first, 2), "same_day_ms": round(statistics.median(later), 3),
            "next_day_first_view_ms": round(next_day, 2), "walked_whole_ms": round(statistics.median(whole), 3)}


def _table(results: dict) -> str:
    lines = [f"{CLOCKS} running clocks a page; {results['machine']}; {results['date']}", "",
             "| calendar | open for | first view | later the same day | next day's first view | walked whole (before) | ratio |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for row in results["rows"]:
        ratio = row["walked_whole_ms"] / row["same_day_ms"] if row["same_day_ms"] else 0
        lines.append(f"| {row['calendar']} | {row['age']} | {row['first_view_ms']} ms | {row['same_day_ms']} ms | "
                     f"{row['next_day_first_view_ms']} ms | {row['walked_whole_ms']} ms | ×{ratio:.1f} |")
    flat = results["flatness"]
    lines += ["", f"Later the same day, a year-old clock's page costs ×{flat:.2f} of a day-old one's "
              "(office calendar; goal ≤ ×1.5)."]
    return "\n".join(lines)


def main() -> int:
    rows = []
    for name, calendar in _calendars().items():
        for age, days in AGES.items():
            rows.append({"calendar": name, "age": age, **measure(calendar, days)})
    office = [row for row in rows if row["calendar"].startswith("office")]
    results = {"date": dt.datetime.now(dt.UTC).date().isoformat(), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
               "clocks": CLOCKS, "rows": rows,
               "flatness": round(office[-1]["same_day_ms"] / office[0]["same_day_ms"], 3)}
    out = ROOT / "bench" / "results" / "clock_figures.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    table = _table(results)
    print(table)
    write_readme("clock_figures", table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
