"""A contract's business days for its obligations ("N business days after month end"), from the
business calendar its SLA policies use; registered with contracts in `SlaConfig.ready()`
(`contracts.obligations.rules.register_business_calendar`), so contracts never imports sla."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from contracts.obligations.rules import BusinessDays

from .models import SLAPolicy
from .services import public_calendar


def contract_business_days(contract, *, around: dt.date | None = None) -> BusinessDays | None:
    """Business days of the contract: those of the business calendar its SLA policies use (the
    normal priority's first), with the country's public holidays, transferred working days and the
    calendar's extra days off; None when it has none (contracts then counts Monday to Friday). A
    24×7 calendar still counts Monday to Friday (business days are the office's, not the service
    desk's), less its holidays."""
    policies = list(SLAPolicy.objects.filter(contract_id=contract.pk, calendar__isnull=False)
                    .select_related("calendar").order_by("id"))
    policy = next((p for p in policies if p.priority == "normal"), policies[0] if policies else None)
    if policy is None:
        return None
    stored = policy.calendar
    weekdays = frozenset(range(5))
    if not stored.always_on:
        weekdays = frozenset(d for d in range(7) if (stored.working_hours or {}).get(str(d))) or weekdays
    days_off = frozenset(dt.date.fromisoformat(d) for d in stored.extra_days_off or [])
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    if stored.holiday_country:
        year = (around or timezone.now().date()).year
        holidays, workdays = public_calendar(stored.holiday_country, year - 1, year + 2)
    return BusinessDays(weekdays=weekdays, holidays=holidays | days_off, extra_working_days=workdays - days_off)
