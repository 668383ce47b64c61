"""SLA clocks: start, pause, resume and stop them; the set-based sweep that warns and breaches."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.context import cross_tenant, require_tenant_id
from tenancy.db_router import cross_tenant_connection
from tenancy.errors import DomainError, TransitionRefused
from tenancy.roles import CONTRACT_MANAGERS, require_role

from . import engine
from .models import Breach, BusinessCalendar, ForceMajeure, Metric, Priority, SLAClock, SLAPolicy
from .signals import clocks_crossed

DEFAULT_TARGETS = {Metric.RESPONSE: dt.timedelta(hours=24), Metric.RESOLUTION: dt.timedelta(hours=48)}
DEFAULT_WARNING_PCT = 75


def engine_calendar(calendar: BusinessCalendar | None, *, around: dt.datetime | None = None) -> engine.Calendar:
    """The engine's value object for a stored calendar (None: 24×7), holidays for the years around.

    A country's public holidays are days off, and the weekend days its government moves work onto
    (the Russian production calendar's working Saturdays, e.g. 2027-02-20) are working days with
    the hours of a normal working day — see `_transferred_working_hours`. The tenant's own extra
    days off win over both.
    """
    if calendar is None or calendar.always_on:
        return engine.Calendar.always(calendar.time_zone if calendar else "UTC")
    from .models import _parse_hhmm

    working = {
        int(day): tuple((dt.time.fromisoformat(a), _parse_hhmm(b) or engine.END_OF_DAY) for a, b in intervals)
        for day, intervals in (calendar.working_hours or {}).items() if intervals
    }
    days_off = frozenset(dt.date.fromisoformat(d) for d in calendar.extra_days_off or [])
    holidays: frozenset[dt.date] = frozenset()
    extra_working: dict[dt.date, tuple] = {}
    if calendar.holiday_country:
        year = (around or timezone.now()).year
        holidays, workdays = public_calendar(calendar.holiday_country, year - 1, year + 2)
        hours = _transferred_working_hours(working)
        if hours:
            extra_working = {day: hours for day in workdays if day.weekday() not in working and day not in days_off}
    return engine.Calendar(tz=calendar.time_zone, working_hours=working, holidays=holidays, extra_days_off=days_off,
                           extra_working_days=extra_working)


@functools.lru_cache(maxsize=128)
def public_calendar(country: str, first_year: int, last_year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """(public holidays, weekend days made working days) of a country, from the holidays package.

    The package lists a transfer such as Russia's "Monday 2027-02-22 off, Saturday 2027-02-20
    worked instead" as a holiday on the Monday and the Saturday in `weekend_workdays`.
    """
    import holidays as holidays_lib

    days = holidays_lib.country_holidays(country, years=range(first_year, last_year + 1))
    workdays = frozenset(d for d in days.weekend_workdays if first_year <= d.year <= last_year)
    return frozenset(days), workdays


def _transferred_working_hours(working: dict[int, tuple]) -> tuple:
    """The hours a transferred working day works: those of a normal working day, i.e. the
    calendar's Monday (or its first weekday with hours if Monday is off). Russian law moves a whole
    working day onto the weekend day, and in the production calendars so far the day moved is a
    weekday (a Monday in 2025–2027); a calendar that already works on that weekend day keeps its own
    hours for it."""
    for weekday in range(5):
        if working.get(weekday):
            return working[weekday]
    return ()


def _pauses(clock: SLAClock):
    closed: list[tuple[dt.datetime, dt.datetime | None]] = [
        (dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in clock.pauses or []]
    if clock.paused_since:
        closed.append((clock.paused_since, None))
    return closed


def clock_pause_spans(clock: SLAClock) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """The clock's pauses as the engine takes them: closed ones, then the open one (end None)."""
    return _pauses(clock)


def clock_recompute(clock: SLAClock) -> None:
    """Store due_at / warn_at from the pure engine (None while paused or once stopped)."""
    if clock.stopped_at is not None or clock.paused_since is not None:
        clock.due_at = clock.warn_at = None
        return
    calendar = engine_calendar(clock.calendar, around=clock.started_at)
    pauses = _pauses(clock)
    try:
        clock.due_at = engine.due_at(started_at=clock.started_at, target=clock.target, calendar=calendar,
                                     pauses=pauses)
        clock.warn_at = None if clock.warned_at else engine.warn_at(
            started_at=clock.started_at, target=clock.target, threshold=clock.warning_threshold_pct / 100,
            calendar=calendar, pauses=pauses,
        )
    except ValueError as exc:  # engine.OutOfRange, or a calendar with no working time for years
        raise DomainError(
            _("The SLA clock's due time cannot be computed (%(reason)s) Check the SLA policy's targets and "
              "calendar.") % {"reason": exc},
            code="out_of_range",
        ) from None


def policy_for(*, contract, priority: str) -> SLAPolicy | None:
    return SLAPolicy.objects.select_related("calendar").filter(contract=contract, priority=priority).first()


def _force_majeure_pauses(*, contract_id, since: dt.datetime) -> tuple[list[list[str]], dt.datetime | None]:
    """Force majeure of a contract from `since` on: (closed pauses as ISO pairs, start of the open one)."""
    closed, open_since = [], None
    for period in ForceMajeure.objects.filter(contract_id=contract_id).exclude(lifted_at__lte=since):
        start = max(period.started_at, since)
        if period.lifted_at is None:
            open_since = start
        else:
            closed.append([start.isoformat(), period.lifted_at.isoformat()])
    return closed, open_since


def clocks_start(*, order, paused: bool = False) -> list[SLAClock]:
    """The response and resolution clocks of a new order, counted from when it was reported.

    Force majeure on the contract since then counts as paused time; an open one starts them paused.
    """
    policy = policy_for(contract=order.contract, priority=order.priority)
    pauses, paused_since = _force_majeure_pauses(contract_id=order.contract_id, since=order.reported_at)
    if paused and paused_since is None:
        paused_since = timezone.now()
    clocks = []
    for metric in (Metric.RESPONSE, Metric.RESOLUTION):
        target = DEFAULT_TARGETS[metric]
        if policy:
            target = policy.response_target if metric == Metric.RESPONSE else policy.resolution_target
        clock = SLAClock(
            order=order, metric=metric, target=target, policy=policy,
            calendar=policy.calendar if policy else None,
            warning_threshold_pct=policy.warning_threshold_pct if policy else DEFAULT_WARNING_PCT,
            started_at=order.reported_at, paused_since=paused_since, pauses=pauses,
        )
        clock_recompute(clock)
        clock.save()
        clocks.append(clock)
    return clocks


def clocks_retarget(*, order) -> int:
    """The order's priority changed: its running clocks take the targets, calendar and threshold
    of the contract's policy for the new priority (or the 24/48 default), counted from the same
    start. A breach already recorded stays."""
    policy = policy_for(contract=order.contract, priority=order.priority)
    changed = 0
    for clock in order.clocks.filter(stopped_at__isnull=True):
        clock.target = DEFAULT_TARGETS[clock.metric]
        if policy:
            clock.target = policy.response_target if clock.metric == Metric.RESPONSE else policy.resolution_target
        clock.policy = policy
        clock.calendar = policy.calendar if policy else None
        clock.warning_threshold_pct = policy.warning_threshold_pct if policy else DEFAULT_WARNING_PCT
        clock_recompute(clock)
        clock.save(update_fields=["target", "policy", "calendar", "warning_threshold_pct", "due_at", "warn_at"])
        changed += 1
    return changed


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


def clock_reopen(*, clock: SLAClock, at: dt.datetime | None = None) -> SLAClock:
    """Run a stopped clock again (work sent back for rework): the time it stood stopped counts as
    a pause, so the provider is charged only for the time the work was theirs. A breach already
    recorded stays; a clock that was met may still breach later."""
    if clock.stopped_at is None:
        return clock
    at = at or timezone.now()
    clock.pauses = [*(clock.pauses or []), [clock.stopped_at.isoformat(), at.isoformat()]]
    clock.stopped_at = None
    if force_majeure_active(contract_id=clock.order.contract_id) is not None:
        clock.paused_since = at
    clock_recompute(clock)
    clock.save(update_fields=["pauses", "stopped_at", "paused_since", "due_at", "warn_at"])
    return clock


def clocks_pause(*, order, at=None) -> None:
    for clock in order.clocks.filter(stopped_at__isnull=True):
        clock_pause(clock=clock, at=at)


def clocks_resume(*, order, at=None) -> None:
    """Resume the order's clocks, unless force majeure on its contract still holds them."""
    if force_majeure_active(contract_id=order.contract_id) is not None:
        return
    for clock in order.clocks.filter(stopped_at__isnull=True):
        clock_resume(clock=clock, at=at)


def clock_stop_metric(*, order, metric: str, at=None, breach_if_late: bool = True) -> None:
    clock = order.clocks.select_related("policy", "order__team", "order__contract").filter(metric=metric).first()
    if clock is not None:
        clock_stop(clock=clock, at=at, breach_if_late=breach_if_late)


def breach_record(*, clock: SLAClock, due_at: dt.datetime, at: dt.datetime) -> None:
    """One breach per clock whatever races: the one-to-one constraint decides, not Python."""
    order = clock.order
    provider_id = order.team.provider_id if order.team is not None else order.contract.provider_id
    Breach.objects.bulk_create(
        [Breach(tenant_id=clock.tenant_id, clock=clock, order=order, contract_id=order.contract_id,
                provider_id=provider_id, metric=clock.metric, due_at=due_at, breached_at=at,
                penalty=clock.policy.penalty_per_breach if clock.policy is not None else 0)],
        ignore_conflicts=True,
    )
    clocks_crossed.send(sender=SLAClock, warned=[], breached=[clock.pk])


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


# PostgreSQL: the whole sweep is one statement. The two partial indexes find the clocks that
# crossed a threshold (a BitmapOr); their orders are locked first, in id order, skipping any order a
# transaction holds (it is swept a minute later): every writer locks an order before its clocks, and
# a breach changes the order's list columns (the trigger of orders 0004), so this order of locks
# keeps the sweep and an order's transition from deadlocking. The UPDATE re-checks its WHERE on the
# locked row (so a concurrent sweep that got there first wins and this one skips the row); the
# breach rows follow in the same statement. The UPDATE finds its clocks through the locked orders
# (by the clocks' order index) and `crossed`'s own conditions, not by a semi-join with `crossed`:
# the planner estimates a CTE at one row, and joined as the inner side of a nested loop, 10,000
# newly due clocks were 50 million comparisons (8.6 of the sweep's 10 s). The orders of the clocks
# breached are marked breached in the same statement (`flagged`; a breach leaves the soonest due time
# as it was), and the clocks' row trigger of orders 0004 leaves the sweep's clocks alone while
# `SWEEP_MARKS_ORDERS` is on (orders 0009): it read each clock's order's clocks twice and updated the
# order once per clock, ~40 % of the sweep.
SWEEP_MARKS_ORDERS = "app.sweep_marks_orders"
_SWEEP_PG_SQL = """
WITH crossed AS (
    SELECT c.id, c.order_id FROM sla_slaclock c
    WHERE c.stopped_at IS NULL
      AND ((c.warned_at IS NULL AND c.warn_at IS NOT NULL AND c.warn_at <= %(now)s)
           OR (c.breached_at IS NULL AND c.due_at IS NOT NULL AND c.due_at <= %(now)s))
), free AS (
    SELECT o.id FROM orders_order o WHERE o.id IN (SELECT order_id FROM crossed)
    ORDER BY o.id FOR NO KEY UPDATE OF o SKIP LOCKED
), marked AS (
    UPDATE sla_slaclock c SET
        warned_at = CASE WHEN c.warned_at IS NULL AND c.warn_at <= %(now)s THEN %(now)s ELSE c.warned_at END,
        breached_at = CASE WHEN c.breached_at IS NULL AND c.due_at <= %(now)s THEN %(now)s ELSE c.breached_at END
    WHERE c.order_id IN (SELECT id FROM free)
      AND c.stopped_at IS NULL
      AND ((c.warned_at IS NULL AND c.warn_at IS NOT NULL AND c.warn_at <= %(now)s)
           OR (c.breached_at IS NULL AND c.due_at IS NOT NULL AND c.due_at <= %(now)s))
    RETURNING c.id, c.tenant_id, c.order_id, c.metric, c.due_at, c.policy_id,
              c.warned_at = %(now)s AS warned_now, c.breached_at = %(now)s AS breached_now
), recorded AS (
    INSERT INTO sla_breach (tenant_id, clock_id, order_id, contract_id, provider_id, metric, due_at,
                            breached_at, penalty, waived_reason)
    SELECT m.tenant_id, m.id, m.order_id, o.contract_id, COALESCE(t.provider_id, k.provider_id), m.metric,
           m.due_at, %(now)s, COALESCE(p.penalty_per_breach, 0), ''
    FROM marked m
    JOIN orders_order o ON o.id = m.order_id
    JOIN contracts_contract k ON k.id = o.contract_id
    LEFT JOIN orders_team t ON t.id = o.team_id
    LEFT JOIN sla_slapolicy p ON p.id = m.policy_id
    WHERE m.breached_now
    ON CONFLICT (clock_id, tenant_id) DO NOTHING  -- the one-to-one's unique on PostgreSQL (tenancy.db_keys)
    RETURNING clock_id
), flagged AS (
    UPDATE orders_order o SET is_breached = true
    WHERE o.id IN (SELECT order_id FROM marked WHERE breached_now) AND NOT o.is_breached
)
SELECT id, tenant_id, warned_now, breached_now FROM marked
"""


def sla_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Warn every clock past its threshold and breach every clock past its due time, for all
    tenants, in a fixed number of statements whatever the number of open clocks.

    Two sweeps at once: each UPDATE takes row locks, so a clock is marked by one of them only;
    the breach's unique clock is the last word.
    """
    now = now or timezone.now()
    with cross_tenant(reason="SLA sweep over every tenant's open clocks"):
        connection = cross_tenant_connection()  # as the cross-tenant role, on PostgreSQL
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # A sweep lost in a crash is redone by the next one (it is idempotent), so its
                # commit need not wait for the WAL flush.
                cursor.execute(f"SET LOCAL synchronous_commit = off; SET LOCAL {SWEEP_MARKS_ORDERS} = on; {_SWEEP_PG_SQL}",
                               {"now": now})
                rows = cursor.fetchall()
                # off again at once: were this transaction nested in another, the setting would outlive the sweep
                cursor.execute(f"SET LOCAL {SWEEP_MARKS_ORDERS} = off")
                warned = [(clock_id, tenant_id) for clock_id, tenant_id, warned_now, _ in rows if warned_now]
                breached = [(clock_id, tenant_id) for clock_id, tenant_id, _, breached_now in rows if breached_now]
            else:  # SQLite (the demo): no data-modifying CTEs, so three statements
                cursor.execute(_WARN_SQL, [now, now])
                warned = cursor.fetchall()
                cursor.execute(_MARK_SQL, [now, now])
                breached = cursor.fetchall()
                if breached:
                    cursor.execute(_BREACH_SQL, [now])
            if warned or breached:
                from .notifications import queue_clock_notifications

                queue_clock_notifications(warned=warned, breached=breached, using=connection.alias)
    return SweepResult(warned=sorted(r[0] for r in warned), breached=sorted(r[0] for r in breached))


# --- configuration: business calendars and SLA policies ----------------------------------------

CALENDAR_FIELDS = ("name", "time_zone", "always_on", "working_hours", "holiday_country", "extra_days_off")
POLICY_FIELDS = ("response_target", "resolution_target", "calendar", "warning_threshold_pct", "penalty_per_breach")
# Orders in these states hold their own pause (orders.models.OrderState.WAITING_ON_CLIENT): lifting
# force majeure leaves their clocks paused until the order itself resumes.
ORDER_STATES_THAT_PAUSE = ("waiting_on_client",)


def _require_manager(actor) -> None:
    require_role(actor, CONTRACT_MANAGERS, _("Only an account manager or an administrator may configure SLAs."))


def _calendar_validate(calendar: BusinessCalendar) -> None:
    """Field checks, the model's own rules, the name's uniqueness and the engine's view of it; a
    DomainError naming the field otherwise."""
    calendar.name = (calendar.name or "").strip()
    calendar.extra_days_off = sorted({str(d) for d in calendar.extra_days_off or []})
    _model_check(calendar.full_clean, exclude=["tenant"], validate_unique=False, validate_constraints=False)
    if BusinessCalendar.objects.filter(name=calendar.name).exclude(pk=calendar.pk).exists():
        raise DomainError(_("A calendar with this name already exists."), field="name", code="invalid")
    try:
        engine_calendar(calendar)
    except ValueError as exc:
        raise DomainError(str(exc), field="working_hours", code="invalid") from None


def _model_check(check, *args, **kwargs) -> None:
    """Run a check that raises Django's ValidationError (a model's `full_clean`, `policy_terms_check`)
    and refuse with the DomainError every service raises: the first message on its field, and every
    field's messages in `field_errors` (the API lists each, a form shows each on its field)."""
    try:
        check(*args, **kwargs)
    except ValidationError as exc:
        field_errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        field, messages = next(iter(field_errors.items()))
        error = DomainError(messages[0], field=None if field == "__all__" else field, code="invalid")
        error.field_errors = field_errors
        raise error from None


def _recompute_open_clocks(clocks) -> int:
    count = 0
    for clock in clocks:
        clock_recompute(clock)
        clock.save(update_fields=["due_at", "warn_at"])
        count += 1
    return count


@transaction.atomic
def calendar_create(*, actor, **fields) -> BusinessCalendar:
    _require_manager(actor)
    calendar = BusinessCalendar(tenant_id=require_tenant_id(), **{k: v for k, v in fields.items() if k in CALENDAR_FIELDS})
    _calendar_validate(calendar)
    calendar.save()
    return calendar


@transaction.atomic
def calendar_update(*, calendar: BusinessCalendar, actor, **changes) -> BusinessCalendar:
    """Change a calendar; the open clocks that count on it get their due times recomputed."""
    _require_manager(actor)
    calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    for key, value in changes.items():
        if key in CALENDAR_FIELDS:
            setattr(calendar, key, value)
    _calendar_validate(calendar)
    calendar.save()
    open_clocks = list(orders_locked_first(SLAClock.objects.filter(calendar=calendar, stopped_at__isnull=True)))
    for clock in open_clocks:
        clock.calendar = calendar
    _recompute_open_clocks(open_clocks)
    return calendar


def _policy_validate(policy: SLAPolicy) -> None:
    """The policy's terms (`policy_terms_check`) and one policy per contract and priority; a
    DomainError naming the field otherwise."""
    _model_check(policy_terms_check, policy)
    if SLAPolicy.objects.filter(contract_id=policy.contract_id, priority=policy.priority).exclude(pk=policy.pk).exists():
        raise DomainError(_("The contract already has a policy for this priority."), field="priority", code="invalid")


def policy_terms_check(policy: SLAPolicy) -> None:
    """The fields' own rules (targets above zero and at most a year, threshold 1–99 %, penalty not
    negative, …) and targets the calendar can count out within the engine's horizon. Shared by the
    policy form and API and by amendments (`sla.terms`); raises a model ValidationError, as the
    model's `full_clean` does (the services turn it into a DomainError, `_model_check`)."""
    policy.full_clean(exclude=["tenant"], validate_unique=False, validate_constraints=False)
    calendar = engine_calendar(policy.calendar)
    start = timezone.now()
    for field in ("resolution_target", "response_target"):
        try:
            engine.due_at(started_at=start, target=getattr(policy, field), calendar=calendar)
        except ValueError:
            raise ValidationError({field: _(
                "The calendar has too little working time for this target: it would come due more than "
                "%(years)s years later.") % {"years": engine.HORIZON.days // 365}}) from None


@transaction.atomic
def policy_create(*, actor, contract, priority: str = Priority.NORMAL, **fields) -> SLAPolicy:
    """Targets of one contract for one priority. Orders raised from now on follow them."""
    _require_manager(actor)
    policy = SLAPolicy(tenant_id=require_tenant_id(), contract=contract, priority=priority,
                       **{k: v for k, v in fields.items() if k in POLICY_FIELDS})
    _policy_validate(policy)
    policy.save()
    _policies_changed(contract, actor)
    return policy


def _policies_changed(contract, actor) -> None:
    """Policies edited on a signed contract are in force from today, in the version from today;
    orders raised before keep the targets their clocks started with."""
    from contracts.versions import version_from_today

    version_from_today(contract=contract, actor=actor, note=_("SLA policies changed on the contract."))


@transaction.atomic
def policy_update(*, policy: SLAPolicy, actor, **changes) -> SLAPolicy:
    """Change targets, calendar, threshold or penalty. Clocks already running keep the terms they
    started under (the contract's terms at the time the order was raised)."""
    _require_manager(actor)
    policy = SLAPolicy.objects.select_for_update().get(pk=policy.pk)
    for key, value in changes.items():
        if key in POLICY_FIELDS:
            setattr(policy, key, value)
    _policy_validate(policy)
    policy.save()
    _policies_changed(policy.contract, actor)
    return policy


# --- force majeure -----------------------------------------------------------------------------


def force_majeure_active(*, contract_id) -> ForceMajeure | None:
    return ForceMajeure.objects.filter(contract_id=contract_id, lifted_at__isnull=True).first()


def orders_locked_first(clocks):
    """`clocks` to lock, once their orders are locked (in id order).

    Every writer locks an order before its clocks (an order's transition does; the sweep does):
    a clock's change writes its order's list columns (the trigger of orders 0004), so taking the
    clocks first could deadlock against a transition holding the order and wanting a clock.
    """
    order_model = SLAClock._meta.get_field("order").related_model
    list(order_model.objects.filter(pk__in=clocks.values("order_id")).order_by("pk")
         .select_for_update(of=("self",), no_key=True).values_list("pk", flat=True))
    return clocks.select_for_update(of=("self",))


def _contract_open_clocks(contract_id):
    return orders_locked_first(
        SLAClock.objects.filter(order__contract_id=contract_id, stopped_at__isnull=True).select_related("calendar"))


def force_majeure_start(*, contract, actor, reason: str) -> ForceMajeure:
    """Declare force majeure on an active contract: every open clock of its orders stands still."""
    _require_manager(actor)
    from contracts.models import ContractState

    if contract.state not in (ContractState.ACTIVE, ContractState.SUSPENDED):
        raise DomainError(_("Force majeure applies to an active or suspended contract."), field="contract")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason."), field="reason", code="required")
    now = timezone.now()
    try:
        with transaction.atomic():
            period = ForceMajeure.objects.create(contract=contract, reason=reason, started_at=now, started_by=actor)
            for clock in _contract_open_clocks(contract.pk):
                clock_pause(clock=clock, at=now)
    except IntegrityError:
        raise TransitionRefused(_("Force majeure is already in effect on this contract."), field="contract") from None
    return period


def force_majeure_lift(*, period: ForceMajeure, actor, note: str = "") -> ForceMajeure:
    """Lift force majeure: the contract's clocks run again (those of orders waiting on the client
    stay paused until the order resumes); due times move by the business time that stood still."""
    _require_manager(actor)
    now = timezone.now()
    with transaction.atomic():
        lifted = ForceMajeure.objects.filter(pk=period.pk, lifted_at__isnull=True).update(
            lifted_at=now, lifted_by=actor, lift_note=(note or "").strip())
        if not lifted:
            raise TransitionRefused(_("This force majeure has already been lifted."))
        for clock in _contract_open_clocks(period.contract_id).exclude(order__state__in=ORDER_STATES_THAT_PAUSE):
            clock_resume(clock=clock, at=now)
    return ForceMajeure.objects.select_related("contract", "started_by", "lifted_by").get(pk=period.pk)
