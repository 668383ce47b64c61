"""The picture at a glance: the figures of the account manager's home and of the client's portal home.

Every figure is an aggregate in SQL over a *scope* of contracts (the manager's, or the client's),
so a page costs the same fixed number of queries whatever the number of contracts, orders, clocks,
breaches, acts, invoices or reviews. The scope is a subquery, never a list of ids pulled into
Python. "This month" and the 12-month trend are months of the tenant's time zone.

The dashboard sits in `reviews`, the app at the top of the dependency chain: it reads every other
app's tables and the review figures' helpers (`reviews.metrics`, `reviews.compliance`) but writes
nothing (a month of the trend not counted yet is queued for counting after the view's commit).

Definitions (the same as the SLA report's, so the two never disagree):
- compliance of a month: the clocks *started* in that month; met = stopped without a breach,
  breached = a breach recorded; running clocks are not decided yet and do not count;
- breaches of the month: breaches whose deadline fell in the month, not waived; "still open": their
  order is not delivered, accepted or cancelled yet;
- rating of a month: the mean of the act ratings whose act period starts in that month.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from billing.models import CLIENT_VISIBLE_STATES, Invoice, InvoiceState
from confirmations.models import Act, ActState, Confirmation
from contracts.models import Contract, ObligationOccurrence, OccurrenceState
from contracts.selectors import manager_scope
from orders.models import OPEN_STATES, Order
from sla.models import Breach, SLAClock
from tenancy import api_rows
from tenancy.context import current_tenant_id
from tenancy.effects import on_commit_task
from tenancy.roles import Role

from . import charts, compliance
from .compliance import METRICS
from .metrics import _mean, _pct, _slope, month_key, months_between, period_window
from .models import ActionItem, ActionItemState, Review, ReviewState

TREND_MONTHS = 12
PAST_MONTHS_SECONDS = 10 * 60  # how long the trend's closed months may be cached
SOON = dt.timedelta(hours=24)
LIST_LIMIT = 8
REVIEWS_DUE_STATES = (ReviewState.SCHEDULED, ReviewState.PREPARED)
REPORT_STATES = (ReviewState.PREPARED, ReviewState.HELD, ReviewState.CLOSED)


# --- the scope: whose contracts ---------------------------------------------------------------
# (a provider user's: contracts.selectors.manager_scope)

def client_scope(*, client_id: int) -> QuerySet:
    return Contract.objects.filter(client_id=client_id).values("pk")


def cache_scope(*, user=None, role: str = "", client_id: int | None = None) -> str:
    """Names a scope in the cache: the tenant and whose contracts (all, a user's in a role, a client's)."""
    tenant = current_tenant_id()
    if client_id is not None:
        return f"{tenant}:client:{client_id}"
    return f"{tenant}:all" if role == Role.ADMIN else f"{tenant}:user:{user.pk}:{role}"


def _within(queryset: QuerySet, scope: QuerySet | None, path: str = "contract") -> QuerySet:
    return queryset if scope is None else queryset.filter(**{f"{path}__in": scope})


# --- the calendar of the page -----------------------------------------------------------------

@dataclass(frozen=True)
class Months:
    """This month, last month and the trend's months, in the tenant's zone, as of `now`."""

    today: dt.date
    this_start: dt.date
    last_start: dt.date
    trend_start: dt.date
    keys: list[str]
    time_zone: str

    @classmethod
    def of(cls, *, now: dt.datetime, time_zone: str) -> Months:
        today = now.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
        this_start = today.replace(day=1)
        return cls(today=today, this_start=this_start, last_start=_months_before(this_start, 1),
                   trend_start=_months_before(this_start, TREND_MONTHS - 1),
                   keys=months_between(_months_before(this_start, TREND_MONTHS - 1), today), time_zone=time_zone)

    @property
    def this_key(self) -> str:
        return self.keys[-1]

    @property
    def last_key(self) -> str:
        return self.keys[-2]

    @property
    def closed_firsts(self) -> list[dt.date]:
        """The first days of the trend's months before this one."""
        return [dt.date.fromisoformat(f"{key}-01") for key in self.keys[:-1]]

    def window(self, start: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """From `start` 00:00 to the end of this month (local), as aware datetimes."""
        end = _months_before(self.this_start, -1) - dt.timedelta(days=1)
        return period_window(self.time_zone, start, end)


def _months_before(first_of_month: dt.date, months: int) -> dt.date:
    index = first_of_month.year * 12 + first_of_month.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _short(key: str) -> str:
    """'2026-03' → '03.26': short enough for twelve labels under a 560 px chart."""
    return f"{key[5:7]}.{key[2:4]}"


# --- figures shared by both homes -------------------------------------------------------------

def _queue_count(months: Months) -> None:
    """Queue the count of the tenant's closed months once per `COUNT_EVERY_SECONDS` (after commit:
    the page itself writes nothing); the beat counts them anyway."""
    from .tasks import count_compliance

    tenant_id = current_tenant_id()
    if cache.add(f"dashboard:compliance-queued:{tenant_id}:{months.time_zone}:{months.this_start}", True,
                 compliance.COUNT_EVERY_SECONDS):
        on_commit_task(count_compliance, tenant_id)


def compliance_trend(*, scope: QuerySet | None, scope_key: str, months: Months) -> dict:
    """Monthly response and resolution compliance over the trend's months, this month and last month
    side by side, and the chart.

    This month is counted live (one query over this month's orders); a month of `LARGE_COUNT` clocks
    or more (a busy tenant: the query reads them all) keeps its counts for `COUNT_KEPT_SECONDS`, as the
    lists keep their long counts. The eleven months before are summed from their counted rows
    (`reviews.compliance`: whether they are counted, one small query; their sums, kept in the cache
    until the next count; whatever the history). A month not counted yet (the first view after a
    month ends, or after the time zone changed) queues its count and is counted here meanwhile, kept
    in the cache for PAST_MONTHS_SECONDS per scope."""
    zone = zoneinfo.ZoneInfo(months.time_zone)
    past = compliance.counted_sums(scope, scope_key=scope_key, time_zone=months.time_zone,
                                   firsts=months.closed_firsts)
    if past is None:
        _queue_count(months)
        cache_key = f"dashboard:compliance-past:{scope_key}:{months.time_zone}:{months.trend_start}:{months.this_start}"
        past = cache.get(cache_key)
        if past is None:
            past = compliance.clock_counts(scope, period_window(months.time_zone, months.trend_start,
                                                               months.this_start - dt.timedelta(days=1)), zone)
            cache.set(cache_key, past, PAST_MONTHS_SECONDS)
    current_key = f"dashboard:compliance-now:{scope_key}:{months.time_zone}:{months.this_start}"
    current = cache.get(current_key)
    if current is None:
        current = compliance.clock_counts(scope, months.window(months.this_start), zone)
        if sum(row[-1] for row in current) >= api_rows.LARGE_COUNT:
            cache.set(current_key, current, api_rows.COUNT_KEPT_SECONDS)
    figures = {key: {m: [0, 0] for m in METRICS} for key in months.keys}
    for key, metric, met, breached, _clocks in (*past, *current):
        month = figures.get(key)
        if month is not None and metric in month:
            month[metric][0] += met
            month[metric][1] += breached

    def summary(key: str) -> dict:
        month = figures[key]
        met = sum(month[m][0] for m in METRICS)
        decided = met + sum(month[m][1] for m in METRICS)
        return {"month": key, "pct": _pct(met, decided), "met": met, "breached": decided - met, "decided": decided,
                **{f"{m}_pct": _pct(month[m][0], sum(month[m])) for m in METRICS}}

    this, last = summary(months.this_key), summary(months.last_key)
    delta = None if this["pct"] is None or last["pct"] is None else round(this["pct"] - last["pct"], 1)
    monthly = [summary(key) for key in months.keys]
    chart = charts.grouped_bars(
        [_short(key) for key in months.keys],
        [(_("Response, %"), [m["response_pct"] for m in monthly]),
         (_("Resolution, %"), [m["resolution_pct"] for m in monthly])],
        title=_("SLA compliance, last 12 months"))
    return {"this": this, "last": last, "delta": delta, "monthly": monthly, "chart": chart}


def rating_trend(*, scope: QuerySet | None, months: Months) -> dict:
    """Mean act rating per month over the trend's months (one query), its slope and the chart."""
    rows = (_within(Confirmation.objects.filter(rating__isnull=False, act__period_start__gte=months.trend_start,
                                                act__period_start__lte=months.today), scope)
            .annotate(month=TruncMonth("act__period_start")).values("month")
            .annotate(mean=Avg("rating"), count=Count("id"), total=Sum("rating")).order_by("month"))
    by_month = {month_key(row["month"]): row for row in rows}
    monthly = [{"month": key, "mean": _mean(by_month[key]["mean"]) if key in by_month else None,
                "count": by_month[key]["count"] if key in by_month else 0} for key in months.keys]
    count = sum(row["count"] for row in by_month.values())
    overall = sum(row["total"] for row in by_month.values()) / count if count else None
    slope = _slope([(i, m["mean"]) for i, m in enumerate(monthly) if m["mean"] is not None])
    chart = charts.line([_short(key) for key in months.keys], [m["mean"] for m in monthly],
                        title=_("Mean rating, last 12 months"))
    return {"monthly": monthly, "count": count, "mean": _mean(overall), "trend": slope,
            "direction": None if slope is None else ("up" if slope > 0.05 else "down" if slope < -0.05 else "flat"),
            "chart": chart}


# --- the provider's home ----------------------------------------------------------------------

def provider_dashboard(*, user, role: str, time_zone: str, now: dt.datetime, billing: bool) -> dict:
    """Every figure of a provider user's home. `billing`: the role may see invoices.

    A fixed number of queries: 12, one more with billing, and one more at the first view after each
    count of the trend's closed months (see `compliance_trend`).
    """
    scope = manager_scope(user=user, role=role)
    months = Months.of(now=now, time_zone=time_zone)
    this_month = months.window(months.this_start)

    contracts = _within(Contract.objects.all(), scope, "pk").aggregate(  # 1
        total=Count("id"), active=Count("id", filter=Q(state="active")))

    soon = _within(SLAClock.objects.filter(stopped_at__isnull=True, breached_at__isnull=True, due_at__gte=now,
                                           due_at__lt=now + SOON), scope, "order__contract")
    due_soon = list(soon.select_related("order", "order__contract", "order__client")  # 2
                    .order_by("due_at", "id")[:LIST_LIMIT])
    due_soon_count = soon.count()  # 3

    breaches = _within(Breach.objects.filter(due_at__gte=this_month[0], due_at__lt=this_month[1],
                                             waived_at__isnull=True), scope).aggregate(  # 4
        total=Count("id"), open=Count("id", filter=Q(order__state__in=list(OPEN_STATES))))

    acts = _within(Act.objects.filter(state=ActState.SENT), scope).aggregate(  # 5
        total=Count("id"), overdue=Count("id", filter=Q(accept_by__lt=now)))

    reviews = _within(Review.objects.filter(state__in=REVIEWS_DUE_STATES), scope).aggregate(  # 6
        scheduled=Count("id", filter=Q(state=ReviewState.SCHEDULED)),
        prepared=Count("id", filter=Q(state=ReviewState.PREPARED)),
        meeting_passed=Count("id", filter=Q(state=ReviewState.SCHEDULED, proposed_meeting_date__lt=months.today)))

    overdue = _within(ActionItem.objects.filter(state=ActionItemState.OPEN, due_date__lt=months.today)
                      .exclude(review__state=ReviewState.CANCELLED), scope, "review__contract")
    overdue_items = list(overdue.select_related("owner", "review", "review__contract")  # 7
                         .order_by("due_date", "id")[:LIST_LIMIT])
    overdue_count = overdue.count()  # 8

    figures = {
        "scope_all": scope is None,
        "contracts": contracts,
        "due_soon": due_soon, "due_soon_count": due_soon_count,
        "breaches": breaches,
        "compliance": compliance_trend(scope=scope, scope_key=cache_scope(user=user, role=role), months=months),  # 9
        "ratings": rating_trend(scope=scope, months=months),  # 10
        "acts": acts,
        "reviews": reviews,
        "overdue_items": overdue_items, "overdue_items_count": overdue_count,
        "invoices": None, "months": months,
    }
    if billing:
        figures["invoices"] = _within(Invoice.objects.filter(state=InvoiceState.DRAFT), scope).aggregate(  # +1
            drafts=Count("id"))
    figures["obligations"] = _within(  # 11
        ObligationOccurrence.objects.filter(state=OccurrenceState.OVERDUE), scope, "obligation__contract").count()
    return figures


# --- the client's portal home -----------------------------------------------------------------

def client_dashboard(*, client_id: int, time_zone: str, now: dt.datetime) -> dict:
    """Every figure of a client user's portal home, for their client's contracts only.

    A fixed number of queries (12, one more at the first view after each count of the trend's closed
    months); the open orders' list is the caller's (orders.selectors).
    """
    scope = client_scope(client_id=client_id)
    months = Months.of(now=now, time_zone=time_zone)
    this_month = months.window(months.this_start)

    acts = (Act.objects.filter(client_id=client_id, state=ActState.SENT).select_related("contract")
            .order_by(F("accept_by").asc(nulls_last=True), "id"))
    acts_waiting = list(acts[:LIST_LIMIT])  # 1
    acts_waiting_count = acts.count()  # 2

    breaches = _within(Breach.objects.filter(due_at__gte=this_month[0], due_at__lt=this_month[1],
                                             waived_at__isnull=True), scope).count()  # 3
    open_orders = Order.objects.filter(client_id=client_id, state__in=list(OPEN_STATES)).count()  # 4

    invoices = Invoice.objects.filter(client_id=client_id, state__in=list(CLIENT_VISIBLE_STATES))
    recent_invoices = list(invoices.select_related("contract").order_by("-period_start", "-id")[:5])  # 5
    unpaid = invoices.filter(state=InvoiceState.ISSUED).aggregate(count=Count("id"))  # 6

    reports = Review.objects.filter(client_id=client_id, state__in=REPORT_STATES)
    recent_reports = list(reports.select_related("contract").order_by("-period_end", "-id")[:5])  # 7
    to_confirm = reports.filter(state__in=[ReviewState.HELD, ReviewState.CLOSED], confirmation__isnull=True)
    reviews_to_confirm = list(to_confirm.select_related("contract").order_by("held_on", "id")[:LIST_LIMIT])  # 8

    return {
        "months": months,
        "compliance": compliance_trend(scope=scope, scope_key=cache_scope(client_id=client_id), months=months),  # 9
        "ratings": rating_trend(scope=scope, months=months),  # 10
        "breaches_this_month": breaches, "open_orders_count": open_orders,
        "acts_waiting": acts_waiting, "acts_waiting_count": acts_waiting_count,
        "recent_invoices": recent_invoices, "unpaid": unpaid,
        "recent_reports": recent_reports, "reviews_to_confirm": reviews_to_confirm,
    }
