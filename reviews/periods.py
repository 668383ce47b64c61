"""Which period a review covers: pure date arithmetic, no ORM.

Quarterly and half-yearly reviews cover calendar quarters and halves; the annual review covers the
contract year (from the start date's anniversary to the day before the next one).
"""

from __future__ import annotations

import datetime as dt

from contracts.models import ReviewCadence

from .models import ReviewKind

KINDS_OF_CADENCE = {
    ReviewCadence.QUARTERLY: (ReviewKind.QUARTERLY,),
    ReviewCadence.SEMIANNUAL: (ReviewKind.SEMIANNUAL,),
    ReviewCadence.ANNUAL: (ReviewKind.ANNUAL,),
    ReviewCadence.BOTH: (ReviewKind.QUARTERLY, ReviewKind.ANNUAL),
    ReviewCadence.NONE: (),
}


def anniversary(start: dt.date, years: int) -> dt.date:
    """`start` moved `years` years on (29 February becomes 28 February in a common year)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def _months_block(today: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The calendar block of `months` months (3: quarter, 6: half) that ended last before `today`."""
    first_of_current = dt.date(today.year, (today.month - 1) // months * months + 1, 1)
    end = first_of_current - dt.timedelta(days=1)
    start = dt.date(end.year, (end.month - 1) // months * months + 1, 1)
    return start, end


def last_ended_period(kind: str, *, today: dt.date, contract_start: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The period of `kind` that ended most recently before `today`; None if the contract had not
    started by then (or, for the annual review, has not completed a contract year)."""
    if contract_start is None:
        return None
    if kind == ReviewKind.QUARTERLY:
        start, end = _months_block(today, 3)
    elif kind == ReviewKind.SEMIANNUAL:
        start, end = _months_block(today, 6)
    elif kind == ReviewKind.ANNUAL:
        years = today.year - contract_start.year
        while years > 0 and anniversary(contract_start, years) > today:
            years -= 1
        if years < 1:
            return None
        start = anniversary(contract_start, years - 1)
        end = anniversary(contract_start, years) - dt.timedelta(days=1)
    else:
        return None
    if contract_start > end:
        return None
    return start, end
