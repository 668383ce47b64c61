"""SLA clocks: start, pause, resume and stop them; the set-based sweep that warns and breaches."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from tenancy.context import cross_tenant

from . import engine
from .models import Breach, BusinessCalendar, Metric, SLAClock, SLAPolicy

DEFAULT_TARGETS = {Metric.RESPONSE: dt.timedelta(hours=24), Metric.RESOLUTION: dt.timedelta(hours=48)}
DEFAULT_WARNING_PCT = 75


def engine_calendar(calendar: BusinessCalendar | None, *, around: dt.datetime | None = None) -> engine.Calendar:
    """The engine's value object for a stored calendar (None: 24×7), holidays for the years around."""
    if calendar is None or calendar.always_on:
        return engine.Calendar.always(calendar.time_zone if calendar else "UTC")
    from .models import _parse_hhmm

    working = {
        int(day): tuple((_parse_hhmm(a), _parse_hhmm(b) or engine.END_OF_DAY) for a, b in intervals)
        for day, intervals in (calendar.working_hours or {}).items() if intervals
    }
    holidays: frozenset[dt.date] = frozenset()
    if calendar.holiday_country:
        import holidays as holidays_lib

        year = (around or timezone.now()).year
        holidays = frozenset(holidays_lib.country_holidays(calendar.holiday_country, years=range(year - 1, year + 3)))
    days_off = frozenset(dt.date.fromisoformat(d) for d in calendar.extra_days_off or [])
    return engine.Calendar(tz=calendar.time_zone, working_hours=working, holidays=holidays, extra_days_off=days_off)


def _pauses(clock: SLAClock):
    closed = [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in clock.pauses or []]
    if clock.paused_since:
        closed.append((clock.paused_since, None))
    return closed


def clock_recompute(clock: SLAClock) -> None:
    """Store due_at / warn_at from the pure engine (None while paused or once stopped)."""
    if clock.stopped_at is not None or clock.paused_since is not None:
        clock.due_at = clock.warn_at = None
        return
    calendar = engine_calendar(clock.calendar, around=clock.started_at)
    pauses = _pauses(clock)
    clock.due_at = engine.due_at(started_at=clock.started_at, target=clock.target, calendar=calendar, pauses=pauses)
    clock.warn_at = None if clock.warned_at else engine.warn_at(
        started_at=clock.started_at, target=clock.target, threshold=clock.warning_threshold_pct / 100,
        calendar=calendar, pauses=pauses,
    )


def policy_for(*, contract, priority: str) -> SLAPolicy | None:
    return SLAPolicy.objects.select_related("calendar").filter(contract=contract, priority=priority).first()


def clocks_start(*, order, paused: bool = False) -> list[SLAClock]:
    """The response and resolution clocks of a new order, counted from when it was reported."""
    policy = policy_for(contract=order.contract, priority=order.priority)
    clocks = []
    for metric in (Metric.RESPONSE, Metric.RESOLUTION):
        target = DEFAULT_TARGETS[metric]
        if policy:
            target = policy.response_target if metric == Metric.RESPONSE else policy.resolution_target
        clock = SLAClock(
            order=order, metric=metric, target=target, policy=policy,
            calendar=policy.calendar if policy else None,
            warning_threshold_pct=policy.warning_threshold_pct if policy else DEFAULT_WARNING_PCT,
            started_at=order.reported_at, paused_since=timezone.now() if paused else None,
        )
        clock_recompute(clock)
        clock.save()
        clocks.append(clock)
    return clocks


def clock_stop(*, clock: SLAClock, at: dt.datetime | None = None, breach_if_late: bool = True) -> SLAClock:
    """Stop a clock (met, or late); a clock stopped past its due time is breached now if the sweep has not."""
    at = at or timezone.now()
    if clock.stopped_at is not None:
        return clock
    late_due = clock.due_at if clock.due_at is not None and at >= clock.due_at else None
    clock.stopped_at = at
    fields = ["stopped_at"]
    if breach_if_late and late_due is not None and clock.breached_at is None:
        breach_record(clock=clock, due_at=late_due, at=at)
        clock.breached_at = at
        fields.append("breached_at")
    clock.save(update_fields=fields)
    return clock


def clock_pause(*, clock: SLAClock, at: dt.datetime | None = None) -> SLAClock:
    if clock.stopped_at is None and clock.paused_since is None:
        clock.paused_since = at or timezone.now()
        clock_recompute(clock)
        clock.save(update_fields=["paused_since", "due_at", "warn_at"])
    return clock


def clock_resume(*, clock: SLAClock, at: dt.datetime | None = None) -> SLAClock:
    if clock.stopped_at is None and clock.paused_since is not None:
        at = at or timezone.now()
        clock.pauses = [*(clock.pauses or []), [clock.paused_since.isoformat(), at.isoformat()]]
        clock.paused_since = None
        clock_recompute(clock)
        clock.save(update_fields=["pauses", "paused_since", "due_at", "warn_at"])
    return clock


def clocks_pause(*, order, at=None) -> None:
    for clock in order.clocks.filter(stopped_at__isnull=True):
        clock_pause(clock=clock, at=at)


def clocks_resume(*, order, at=None) -> None:
    for clock in order.clocks.filter(stopped_at__isnull=True):
        clock_resume(clock=clock, at=at)


def clock_stop_metric(*, order, metric: str, at=None, breach_if_late: bool = True) -> None:
    clock = order.clocks.select_related("policy", "order__team", "order__contract").filter(metric=metric).first()
    if clock is not None:
        clock_stop(clock=clock, at=at, breach_if_late=breach_if_late)


def breach_record(*, clock: SLAClock, due_at: dt.datetime, at: dt.datetime) -> None:
    """One breach per clock whatever races: the one-to-one constraint decides, not Python."""
    order = clock.order
    provider_id = order.team.provider_id if order.team_id else order.contract.provider_id
    Breach.objects.bulk_create(
        [Breach(tenant_id=clock.tenant_id, clock=clock, order=order, contract_id=order.contract_id,
                provider_id=provider_id, metric=clock.metric, due_at=due_at, breached_at=at,
                penalty=clock.policy.penalty_per_breach if clock.policy_id else 0)],
        ignore_conflicts=True,
    )


@dataclass
class SweepResult:
    warned: list[int]
    breached: list[int]


_WARN_SQL = """
UPDATE sla_slaclock SET warned_at = %s
WHERE stopped_at IS NULL AND warned_at IS NULL AND warn_at IS NOT NULL AND warn_at <= %s
RETURNING id, tenant_id
"""
_MARK_SQL = """
UPDATE sla_slaclock SET breached_at = %s
WHERE stopped_at IS NULL AND breached_at IS NULL AND due_at IS NOT NULL AND due_at <= %s
RETURNING id, tenant_id
"""
_BREACH_SQL = """
INSERT INTO sla_breach (tenant_id, clock_id, order_id, contract_id, provider_id, metric, due_at,
                        breached_at, penalty, waived_reason)
SELECT c.tenant_id, c.id, c.order_id, o.contract_id, COALESCE(t.provider_id, k.provider_id), c.metric,
       c.due_at, c.breached_at, COALESCE(p.penalty_per_breach, 0), ''
FROM sla_slaclock c
JOIN orders_order o ON o.id = c.order_id
JOIN contracts_contract k ON k.id = o.contract_id
LEFT JOIN orders_team t ON t.id = o.team_id
LEFT JOIN sla_slapolicy p ON p.id = c.policy_id
WHERE c.breached_at = %s AND c.stopped_at IS NULL
ON CONFLICT (clock_id) DO NOTHING
"""


def sla_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Warn every clock past its threshold and breach every clock past its due time, for all
    tenants, in a fixed number of statements whatever the number of open clocks.

    Two sweeps at once: each UPDATE takes row locks, so a clock is marked by one of them only;
    the breach's unique clock is the last word.
    """
    now = now or timezone.now()
    with cross_tenant(reason="SLA sweep over every tenant's open clocks"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_WARN_SQL, [now, now])
            warned = cursor.fetchall()
            cursor.execute(_MARK_SQL, [now, now])
            breached = cursor.fetchall()
            if breached:
                cursor.execute(_BREACH_SQL, [now])
        if warned or breached:
            from .notifications import queue_clock_notifications

            queue_clock_notifications(warned=warned, breached=breached)
    return SweepResult(warned=sorted(r[0] for r in warned), breached=sorted(r[0] for r in breached))
