"""The SLA report of one contract (or several) for a period: figures computed in SQL aggregates, a
fixed number of queries whatever the number of orders, clocks, breaches or ratings.

Business time to respond and to resolve comes from the clock engine (pure Python): one query brings
the stopped clocks' start, stop, pauses and calendar, one more the calendars, and the median and
90th percentile are computed from those values (PostgreSQL's `percentile_cont` has no SQLite twin,
and the engine's business time is not SQL anyway).

The result is a plain JSON-ready dict: it is what a prepared review freezes as its snapshot, what
the page, the PDF, the CSV and the API show. Money is a string (Decimal), percentages and means are
numbers rounded to one and two decimals, durations are seconds.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Q, Sum
from django.db.models.functions import TruncMonth

from billing.models import CLIENT_VISIBLE_STATES, InvoiceLine, LineKind
from confirmations.models import LOW_RATING, Act, Confirmation, CorrectiveAction, OrderRating
from contracts.models import ObligationOccurrence, OccurrenceState
from orders.models import Order, OrderEvent, OrderState
from sla import engine
from sla.models import Breach, BusinessCalendar, Metric, Priority, SLAClock
from sla.services import engine_calendar

SCHEMA_VERSION = 1
ZERO = Decimal("0.00")
METRICS = (Metric.RESPONSE, Metric.RESOLUTION)


def period_window(time_zone: str, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, the day after end 00:00) in the tenant's time zone."""
    zone = zoneinfo.ZoneInfo(time_zone)
    return (dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def months_between(start: dt.date, end: dt.date) -> list[str]:
    """'YYYY-MM' of every month the period touches, in order."""
    months, index = [], start.year * 12 + start.month - 1
    while index <= end.year * 12 + end.month - 1:
        months.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
        index += 1
    return months


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0 ≤ q ≤ 1) with linear interpolation, as PostgreSQL's percentile_cont."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _pct(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _mean(value) -> float | None:
    if value is None:
        return None
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _money(value) -> str:
    return str((value or ZERO).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def month_key(value) -> str:
    """'YYYY-MM' of a date or datetime (a truncated month), '' for none."""
    if value is None:
        return ""
    return f"{value.year:04d}-{value.month:02d}"


def _slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of (x, y): rating points per month; None with fewer than two points."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _y in points) / n
    mean_y = sum(y for _x, y in points) / n
    denominator = sum((x - mean_x) ** 2 for x, _y in points)
    if not denominator:
        return None
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / denominator, 3)


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(round(value))


def sla_metrics(*, contract_ids: list[int], period_start: dt.date, period_end: dt.date, time_zone: str,
                previous_review_id: int | None = None) -> dict:
    """Every figure of the SLA report for the contracts and the period (dates in `time_zone`).

    A constant number of queries (14, and one more with `previous_review_id`), independent of how
    many orders, clocks, breaches, acts or ratings there are.
    """
    window = period_window(time_zone, period_start, period_end)
    months = months_between(period_start, period_end)
    report: dict = {"version": SCHEMA_VERSION, "period_start": period_start.isoformat(),
                    "period_end": period_end.isoformat(), "time_zone": time_zone, "months": months}

    # 1–2. orders raised (reported in the period) and closed (delivered in the period), by kind and priority
    raised = (Order.objects.filter(contract_id__in=contract_ids, reported_at__gte=window[0], reported_at__lt=window[1])
              .values("kind", "priority").annotate(count=Count("id")).order_by("kind", "priority"))
    closed = (OrderEvent.objects.filter(order__contract_id__in=contract_ids, kind=OrderEvent.Kind.TRANSITION,
                                        to_state=OrderState.DELIVERED, at__gte=window[0], at__lt=window[1])
              .values("order__kind", "order__priority").annotate(count=Count("order_id", distinct=True))
              .order_by("order__kind", "order__priority"))
    raised_rows = [{"kind": r["kind"], "priority": r["priority"], "count": r["count"]} for r in raised]
    closed_rows = [{"kind": r["order__kind"], "priority": r["order__priority"], "count": r["count"]} for r in closed]
    report["orders"] = {"raised": raised_rows, "closed": closed_rows,
                        "raised_total": sum(r["count"] for r in raised_rows),
                        "closed_total": sum(r["count"] for r in closed_rows)}

    # 3. compliance of the clocks of orders reported in the period, per metric and month
    zone = zoneinfo.ZoneInfo(time_zone)
    clocks = SLAClock.objects.filter(order__contract_id__in=contract_ids, started_at__gte=window[0],
                                     started_at__lt=window[1])
    by_month = (clocks.annotate(month=TruncMonth("started_at", tzinfo=zone)).values("metric", "month")
                .annotate(met=Count("id", filter=Q(breached_at__isnull=True, stopped_at__isnull=False)),
                          breached=Count("id", filter=Q(breached_at__isnull=False)),
                          running=Count("id", filter=Q(breached_at__isnull=True, stopped_at__isnull=True)))
                .order_by("month", "metric"))
    totals = {m: {"met": 0, "breached": 0, "open": 0} for m in METRICS}
    monthly = {month: {m: {"met": 0, "breached": 0} for m in METRICS} for month in months}
    for row in by_month:
        metric = row["metric"]
        if metric not in totals:
            continue
        totals[metric]["met"] += row["met"]
        totals[metric]["breached"] += row["breached"]
        totals[metric]["open"] += row["running"]
        month = monthly.get(month_key(row["month"]))
        if month is not None:
            month[metric]["met"] += row["met"]
            month[metric]["breached"] += row["breached"]
    compliance = {}
    for metric, figures in totals.items():
        decided = figures["met"] + figures["breached"]
        compliance[metric] = {**figures, "total": decided, "pct": _pct(figures["met"], decided)}
    report["compliance"] = compliance
    report["monthly_compliance"] = [
        {"month": month, **{f"{m}_{k}": monthly[month][m][k] for m in METRICS for k in ("met", "breached")},
         **{f"{m}_pct": _pct(monthly[month][m]["met"], monthly[month][m]["met"] + monthly[month][m]["breached"])
            for m in METRICS}}
        for month in months
    ]

    # 4–5. business time to respond and to resolve: stopped clocks and their calendars
    stopped = list(clocks.filter(stopped_at__isnull=False).values_list(
        "metric", "started_at", "stopped_at", "pauses", "calendar_id"))
    calendar_ids = {row[4] for row in stopped if row[4] is not None}
    calendars = {c.pk: engine_calendar(c, around=window[0])
                 for c in BusinessCalendar.objects.filter(pk__in=calendar_ids)} if calendar_ids else {}
    always = engine.Calendar.always("UTC")
    durations: dict[str, list[float]] = {m: [] for m in METRICS}
    for metric, started_at, stopped_at, pauses, calendar_id in stopped:
        if metric not in durations:
            continue
        spans = [(dt.datetime.fromisoformat(a), dt.datetime.fromisoformat(b)) for a, b in pauses or []]
        took = engine.elapsed(started_at=started_at, now=stopped_at, calendar=calendars.get(calendar_id, always),
                              pauses=spans)
        durations[metric].append(took.total_seconds())
    report["times"] = {
        metric: {"count": len(values), "median_seconds": _seconds(percentile(values, 0.5)),
                 "p90_seconds": _seconds(percentile(values, 0.9))}
        for metric, values in durations.items()
    }

    # 6. breaches whose deadline fell in the period, by priority and by the provider that held the order
    breach_rows = list(
        Breach.objects.filter(contract_id__in=contract_ids, due_at__gte=window[0], due_at__lt=window[1])
        .values("order__priority", "provider_id", "provider__name", "provider__is_own")
        .annotate(count=Count("id"), penalty_sum=Sum("penalty"),
                  waived=Count("id", filter=Q(waived_at__isnull=False)),
                  waived_penalty=Sum("penalty", filter=Q(waived_at__isnull=False)))
        .order_by("order__priority", "provider__name"))
    by_priority: dict[str, int] = defaultdict(int)
    by_provider: dict = {}
    for row in breach_rows:
        by_priority[row["order__priority"]] += row["count"]
        entry = by_provider.setdefault(row["provider_id"], {
            "provider_id": row["provider_id"], "name": row["provider__name"] or "",
            "own": bool(row["provider__is_own"]), "count": 0})
        entry["count"] += row["count"]
    report["breaches"] = {
        "total": sum(r["count"] for r in breach_rows),
        "by_priority": [{"priority": p, "count": by_priority[p]} for p in Priority.values if by_priority.get(p)],
        "by_provider": sorted(by_provider.values(), key=lambda e: (-e["count"], e["name"])),
        "penalty_total": _money(sum((r["penalty_sum"] or ZERO for r in breach_rows), ZERO)),
        "waived_count": sum(r["waived"] for r in breach_rows),
        "waived_total": _money(sum((r["waived_penalty"] or ZERO for r in breach_rows), ZERO)),
    }

    # 7. penalties and quality adjustments as invoiced (issued or paid invoices of the period's months)
    lines = {row["kind"]: row for row in
             InvoiceLine.objects.filter(invoice__contract_id__in=contract_ids,
                                        invoice__state__in=list(CLIENT_VISIBLE_STATES),
                                        invoice__period_start__gte=period_start, invoice__period_end__lte=period_end,
                                        kind__in=[LineKind.PENALTY, LineKind.PENALTY_CAP, LineKind.QUALITY])
             .values("kind").annotate(total=Sum("amount"), count=Count("id")).order_by("kind")}

    def _line_total(kind):
        return lines[kind]["total"] if kind in lines else ZERO

    report["invoiced"] = {
        "penalties": _money(_line_total(LineKind.PENALTY)),
        "penalty_cap": _money(_line_total(LineKind.PENALTY_CAP)),
        "penalties_charged": _money(_line_total(LineKind.PENALTY) + _line_total(LineKind.PENALTY_CAP)),
        "quality": _money(_line_total(LineKind.QUALITY)),
        "penalty_lines": lines[LineKind.PENALTY]["count"] if LineKind.PENALTY in lines else 0,
    }

    # 8–11. ratings of the acts of the period: mean per month, distribution of order ratings, low ones
    confirmations = Confirmation.objects.filter(contract_id__in=contract_ids, rating__isnull=False,
                                                act__period_start__gte=period_start,
                                                act__period_start__lte=period_end)
    monthly_ratings = {
        month_key(row["month"]): row for row in
        confirmations.annotate(month=TruncMonth("act__period_start")).values("month")
        .annotate(mean=Avg("rating"), count=Count("id"), total=Sum("rating")).order_by("month")}
    rating_months = [{"month": month, "mean": _mean(monthly_ratings[month]["mean"]) if month in monthly_ratings else None,
                      "count": monthly_ratings[month]["count"] if month in monthly_ratings else 0}
                     for month in months]
    count = sum(r["count"] for r in monthly_ratings.values())
    overall = sum(r["total"] for r in monthly_ratings.values()) / count if count else None
    order_ratings = OrderRating.objects.filter(confirmation__contract_id__in=contract_ids,
                                               confirmation__act__period_start__gte=period_start,
                                               confirmation__act__period_start__lte=period_end)
    distribution = {str(r): 0 for r in range(1, 6)}
    for row in order_ratings.values("rating").annotate(count=Count("id")).order_by("rating"):
        distribution[str(row["rating"])] = row["count"]
    low = [{"source": "act", "ref": number, "rating": rating, "comment": comment, "date": at.date().isoformat()}
           for number, rating, comment, at in confirmations.filter(rating__lte=LOW_RATING)
           .values_list("act__number", "rating", "comment", "confirmed_at").order_by("confirmed_at", "id")]
    low += [{"source": "order", "ref": number, "rating": rating, "comment": comment, "date": at.date().isoformat()}
            for number, rating, comment, at in order_ratings.filter(rating__lte=LOW_RATING)
            .values_list("order__number", "rating", "comment", "confirmation__confirmed_at")
            .order_by("confirmation__confirmed_at", "id")]
    report["ratings"] = {
        "monthly": rating_months, "count": count, "mean": _mean(overall),
        "trend": _slope([(i, r["mean"]) for i, r in enumerate(rating_months) if r["mean"] is not None]),
        "distribution": distribution, "low": low,
    }

    # 12. corrective actions: opened and closed in the period, still open at its end
    report["corrective_actions"] = CorrectiveAction.objects.filter(contract_id__in=contract_ids).aggregate(
        opened=Count("id", filter=Q(opened_at__gte=window[0], opened_at__lt=window[1])),
        closed=Count("id", filter=Q(closed_at__gte=window[0], closed_at__lt=window[1])),
        open=Count("id", filter=Q(opened_at__lt=window[1]) & (Q(closed_at__isnull=True) | Q(closed_at__gte=window[1]))),
    )

    # 13. acts of the period that the client disputed (at any revision)
    report["disputed_acts"] = [
        {"number": number, "state": state, "reason": reason, "period_start": start.isoformat()}
        for number, state, reason, start in
        Act.objects.filter(contract_id__in=contract_ids, period_start__gte=period_start, period_start__lte=period_end,
                           events__transition="dispute").distinct()
        .values_list("number", "state", "dispute_reason", "period_start").order_by("period_start", "number")
    ]

    # 14. the contract's recurring obligations due in the period: on time, late, still overdue
    occurrences = ObligationOccurrence.objects.filter(obligation__contract_id__in=contract_ids,
                                                      due_date__gte=period_start, due_date__lte=period_end)
    by_state = {row["state"]: row["count"] for row in
                occurrences.values("state").annotate(count=Count("id")).order_by("state")}
    report["obligations"] = {
        "due": sum(by_state.values()),
        "done": by_state.get(OccurrenceState.DONE, 0),
        "done_late": by_state.get(OccurrenceState.DONE_LATE, 0),
        "overdue": by_state.get(OccurrenceState.OVERDUE, 0),
        "pending": by_state.get(OccurrenceState.PENDING, 0),
        "missed": [
            {"title": title, "due_date": due.isoformat(), "state": state,
             "done_on": done_at.astimezone(zone).date().isoformat() if done_at else None}
            for title, due, state, done_at in
            occurrences.filter(state__in=[OccurrenceState.OVERDUE, OccurrenceState.DONE_LATE])
            .values_list("obligation__title", "due_date", "state", "done_at").order_by("due_date", "id")[:50]
        ],
    }

    # 15. the previous review's action items and how they ended
    report["previous_items"] = []
    if previous_review_id is not None:
        from .models import ActionItem

        report["previous_items"] = [
            {"what": what, "owner": (f"{first} {last}".strip() or username) if username else "",
             "due_date": due.isoformat() if due else None, "state": state}
            for what, first, last, username, due, state in
            ActionItem.objects.filter(review_id=previous_review_id)
            .values_list("what", "owner__first_name", "owner__last_name", "owner__username", "due_date", "state")
            .order_by("id")
        ]
    return report
