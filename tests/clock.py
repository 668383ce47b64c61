"""The instant every test starts at (see the `_frozen_clock` fixture in conftest.py).

`TEST_NOW` (ISO 8601 with an offset, e.g. `2027-01-31T21:30:00+00:00`) moves it; unset, it is the
moment the test session started. Tests build their dates relative to `timezone.now()` or to a
tenant's local date (`tests.clock.local_today`), never from a literal year.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from functools import cache


@cache
def frozen_start() -> dt.datetime:
    raw = os.environ.get("TEST_NOW", "").strip()
    if not raw:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    moment = dt.datetime.fromisoformat(raw)
    if moment.tzinfo is None:
        raise ValueError("TEST_NOW needs an offset, e.g. 2027-01-31T21:30:00+00:00")
    return moment.astimezone(dt.UTC)


def local_today(tenant) -> dt.date:
    """Today in the tenant's time zone (what the product calls "today" for that tenant)."""
    from django.utils import timezone

    return timezone.now().astimezone(zoneinfo.ZoneInfo(tenant.time_zone)).date()


def month_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of `day`'s month."""
    start = day.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after (or before, if negative) `day`'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
