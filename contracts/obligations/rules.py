"""The rule arithmetic of obligations (pure, but for the contract's calendar): due dates of a
rule between two dates, business days, and the checks that a rule can ever fall due.

"N business days after month end" counts in the contract's business calendar, which lives in sla/,
an app above contracts. So contracts does not import it: it asks a source that the app owning
calendars registers at start-up (`register_business_calendar`, called in `SlaConfig.ready()` with
`sla.business_days.contract_business_days`). `contract_business_days(contract)` is Monday to
Friday when no source is registered or the source knows no calendar for the contract. A registry
rather than a calendar passed in by every caller: four call sites (generation, the beat job,
previews) would otherwise each reach into sla, which is the dependency this keeps out.
"""

from __future__ import annotations

import calendar as calendar_lib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from tenancy.errors import DomainError

from ..models import (
    Contract,
    ObligationRule,
)

HORIZON_MONTHS = 3
# The months of the period each due date covers (and how far after the contract's end it may fall).
PERIOD_MONTHS = {ObligationRule.MONTHLY: 1, ObligationRule.BUSINESS_DAYS: 1, ObligationRule.QUARTERLY: 3,
                 ObligationRule.YEARLY: 12}
MAX_DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


# --- the rule arithmetic (pure) --------------------------------------------------------------


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), on the month's last day if it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return clamped_date(year, month + 1, day.day)


def clamped_date(year: int, month: int, day: int) -> dt.date:
    """Day `day` of the month, or its last day when the month is shorter (31 → 30 April)."""
    return dt.date(year, month, min(day, calendar_lib.monthrange(year, month)[1]))


@dataclass(frozen=True)
class BusinessDays:
    """Which dates are business days: working weekdays, minus holidays, plus transferred working days."""

    weekdays: frozenset[int] = frozenset(range(5))
    holidays: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()

    def __call__(self, day: dt.date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def nth_of_month(self, year: int, month: int, n: int) -> dt.date:
        """The n-th business day counted from the 1st of the month (it may fall in the next month
        when a month has fewer). ValueError when there is none within a year."""
        day, counted = dt.date(year, month, 1), 0
        for _step in range(366):
            if self(day):
                counted += 1
                if counted == n:
                    return day
            day += dt.timedelta(days=1)
        raise ValueError("no business days in the calendar")


MONDAY_TO_FRIDAY = BusinessDays()


@dataclass(frozen=True)
class Schedule:
    rule: str
    day: int | None = None
    month: int | None = None
    business_days: int | None = None

    @classmethod
    def of(cls, obj) -> Schedule:
        return cls(rule=obj.rule, day=obj.day, month=obj.month, business_days=obj.business_days)

    def _due_in(self, year: int, month: int, business: BusinessDays) -> dt.date | None:
        """The due date this rule sets in a month, or None if it sets none there."""
        if self.rule == ObligationRule.MONTHLY:
            return clamped_date(year, month, self.day)
        if self.rule == ObligationRule.QUARTERLY:
            return clamped_date(year, month, self.day) if month in (1, 4, 7, 10) else None
        if self.rule == ObligationRule.YEARLY:
            return clamped_date(year, month, self.day) if month == self.month else None
        if self.rule == ObligationRule.BUSINESS_DAYS:
            return business.nth_of_month(year, month, self.business_days)
        raise ValueError(f"unknown rule {self.rule!r}")

    def due_dates(self, first: dt.date, last: dt.date, *, business: BusinessDays = MONDAY_TO_FRIDAY) -> list[dt.date]:
        """Every due date of the rule from `first` to `last`, both included, in order."""
        if last < first:
            return []
        found = []
        month = dt.date(first.year, first.month, 1)
        if self.rule == ObligationRule.BUSINESS_DAYS:
            month = add_months(month, -1)  # the 20th business day of a month may fall in the next one
        while month <= last:
            due = self._due_in(month.year, month.month, business)
            if due is not None and first <= due <= last:
                found.append(due)
            month = add_months(month, 1)
        return sorted(set(found))

    @property
    def period_months(self) -> int:
        return PERIOD_MONTHS[self.rule]


def validate_rule(*, rule, day=None, month=None, business_days=None, reminder_days=None) -> dict[str, Any]:
    """The rule's fields cleaned (the ones it does not use emptied), or a DomainError naming the
    field that would make it never fire."""
    if rule not in ObligationRule.values:
        raise DomainError(_("Choose how often the obligation falls due."), field="rule", code="invalid")
    cleaned: dict[str, Any] = {"rule": rule, "day": None, "month": None, "business_days": None}
    if rule in (ObligationRule.MONTHLY, ObligationRule.QUARTERLY, ObligationRule.YEARLY):
        cleaned["day"] = _valid_day(day)
    if rule == ObligationRule.YEARLY:
        cleaned["month"] = _valid_month(month, day=cleaned["day"])
    if rule == ObligationRule.BUSINESS_DAYS:
        cleaned["business_days"] = _valid_business_days(business_days)
    if reminder_days is not None:
        if not 0 <= int(reminder_days) <= 60:
            raise DomainError(_("Remind between 0 and 60 days before."), field="reminder_days", code="invalid")
        cleaned["reminder_days"] = int(reminder_days)
    return cleaned


def _valid_day(day) -> int:
    if day is None:
        raise DomainError(_("Give the day of the month."), field="day", code="required")
    if not 1 <= int(day) <= 31:
        raise DomainError(_("A day of the month is between 1 and 31."), field="day", code="invalid")
    return int(day)


def _valid_month(month, *, day: int) -> int:
    """The month of a yearly date, which must have day `day` (else the rule would never fire)."""
    if month is None:
        raise DomainError(_("Give the month of the yearly date."), field="month", code="required")
    if not 1 <= int(month) <= 12:
        raise DomainError(_("A month is between 1 and 12."), field="month", code="invalid")
    if day > MAX_DAYS_IN_MONTH[int(month)]:
        raise DomainError(
            _("%(month)s has no day %(day)d, so the obligation would never fall due.")
            % {"month": _month_name(int(month)), "day": day},
            field="day", code="never_due")
    return int(month)


def _valid_business_days(business_days) -> int:
    if business_days is None:
        raise DomainError(_("Give the number of business days."), field="business_days", code="required")
    if not 1 <= int(business_days) <= 20:
        raise DomainError(_("Between 1 and 20 business days after the month ends."),
                          field="business_days", code="invalid")
    return int(business_days)


def _month_name(month: int) -> str:
    from django.utils.dates import MONTHS

    return str(MONTHS[month])


# --- the contract's business days ------------------------------------------------------------


BusinessCalendarSource = Callable[..., BusinessDays | None]
_business_calendar: list[BusinessCalendarSource] = []


def register_business_calendar(source: BusinessCalendarSource) -> None:
    """Name the function that gives a contract's business days: `source(contract, around=date or
    None)` returns a `BusinessDays`, or None when the contract has no calendar. The last one
    registered is the one asked (registering again at start-up replaces it)."""
    _business_calendar[:] = [source]


def contract_business_days(contract: Contract, *, around: dt.date | None = None) -> BusinessDays:
    """Business days of the contract, from the registered calendar source (sla's: the calendar its
    SLA policies use, with the country's public holidays around `around`); Monday to Friday when
    there is no source or no calendar."""
    for source in _business_calendar:
        business = source(contract, around=around)
        if business is not None:
            return business
    return MONDAY_TO_FRIDAY


def schedule_label(obj) -> str:
    """The rule in words, e.g. "monthly by the 5th" or "by the 3rd business day after month end"."""
    if obj.rule == ObligationRule.MONTHLY:
        return _("monthly by day %(day)d") % {"day": obj.day}
    if obj.rule == ObligationRule.QUARTERLY:
        return _("quarterly by day %(day)d of the month after the quarter") % {"day": obj.day}
    if obj.rule == ObligationRule.YEARLY:
        return _("yearly by %(day)d %(month)s") % {"day": obj.day, "month": _month_name(obj.month)}
    return _("by business day %(n)d after month end") % {"n": obj.business_days or 0}

