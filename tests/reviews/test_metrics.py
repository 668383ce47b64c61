"""The SLA report's figures against a month computed by hand (tests/reviews/support.py), and the
number of queries, which does not grow with the orders."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reviews.metrics import percentile, sla_metrics
from tests.reviews.support import HOUR, breach, local, order, report_fixture


def metrics(world, fixture):
    with world.context():
        return sla_metrics(contract_ids=[fixture.contract.pk], period_start=fixture.start, period_end=fixture.end,
                           time_zone=world.tenant.time_zone)


def test_report_figures_match_the_hand_computed_month(world_a):
    fixture = report_fixture(world_a)
    report = metrics(world_a, fixture)

    assert report["orders"]["raised_total"] == 4
    assert {(r["kind"], r["priority"]): r["count"] for r in report["orders"]["raised"]} == {
        ("request", "normal"): 2, ("incident", "high"): 1, ("incident", "critical"): 1}
    # o1 delivered twice (rework) counts once
    assert {(r["kind"], r["priority"]): r["count"] for r in report["orders"]["closed"]} == {
        ("request", "normal"): 1, ("incident", "high"): 1}

    assert report["compliance"]["response"] == {"met": 3, "breached": 1, "open": 0, "total": 4, "pct": 75.0}
    assert report["compliance"]["resolution"] == {"met": 1, "breached": 1, "open": 2, "total": 2, "pct": 50.0}
    month = next(m for m in report["monthly_compliance"] if m["month"] == fixture.start.strftime("%Y-%m"))
    assert month["response_pct"] == 75.0 and month["resolution_pct"] == 50.0

    # response: 2 h, 4 h, 30 h and 2 h of office time (Friday 17:00 → Monday 10:00) → [2, 2, 4, 30]
    assert report["times"]["response"] == {"count": 4, "median_seconds": 3 * 3600, "p90_seconds": int(22.2 * 3600)}
    # resolution: 10 h and 50 h
    assert report["times"]["resolution"] == {"count": 2, "median_seconds": 30 * 3600, "p90_seconds": 46 * 3600}

    breaches = report["breaches"]
    assert breaches["total"] == 2
    assert breaches["by_priority"] == [{"priority": "high", "count": 1}, {"priority": "critical", "count": 1}]
    assert sorted((p["own"], p["count"]) for p in breaches["by_provider"]) == [(False, 1), (True, 1)]
    assert (breaches["penalty_total"], breaches["waived_count"], breaches["waived_total"]) == ("1500.00", 1, "500.00")

    # as invoiced: the issued invoice only (the void one's -9999 is not charged)
    assert report["invoiced"]["penalties_charged"] == "-1000.00"
    assert report["invoiced"]["quality"] == "2000.00"

    ratings = report["ratings"]
    assert (ratings["count"], ratings["mean"]) == (2, 3.0)
    assert ratings["distribution"] == {"1": 1, "2": 0, "3": 0, "4": 0, "5": 1}
    assert sorted((r["source"], r["rating"], r["comment"]) for r in ratings["low"]) == [
        ("act", 2, "slow"), ("order", 1, "broken twice")]
    assert report["corrective_actions"] == {"opened": 1, "closed": 0, "open": 1}
    assert len(report["disputed_acts"]) == 1


def test_percentile_interpolates_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([10.0, 50.0], 0.9) == 46.0


def test_report_takes_the_same_number_of_queries_for_many_orders(world_a):
    fixture = report_fixture(world_a)
    with world_a.context(), CaptureQueriesContext(connection) as few:
        sla_metrics(contract_ids=[fixture.contract.pk], period_start=fixture.start, period_end=fixture.end,
                    time_zone=world_a.tenant.time_zone)
    with world_a.context():
        for index in range(25):
            _row, clocks = order(world_a, fixture.contract, priority="high",
                                 reported_at=local(world_a, fixture.start + dt.timedelta(days=index % 20), 11),
                                 response=HOUR, resolution=60 * HOUR, resolution_breached=True)
            breach(clocks["resolution"], provider=world_a.own_provider, penalty="10.00")
    with world_a.context(), CaptureQueriesContext(connection) as many:
        report = sla_metrics(contract_ids=[fixture.contract.pk], period_start=fixture.start,
                             period_end=fixture.end, time_zone=world_a.tenant.time_zone)
    assert report["orders"]["raised_total"] == 29
    assert len(many) == len(few) <= 16


def test_report_counts_the_obligations_due_in_the_period_and_lists_the_missed_ones(world_a):
    from contracts.models import ObligationOccurrence
    from tests.clock import local_today, month_of
    from tests.contracts.api_support import active_contract
    from tests.contracts.test_obligations import add_obligation

    today = local_today(world_a.tenant)
    start, end = month_of(today.replace(day=1) - dt.timedelta(days=1))
    contract = active_contract(world_a, start_date=start - dt.timedelta(days=60))
    obligation = add_obligation(world_a, contract, title="Monthly report", starts_on=today + dt.timedelta(days=1))
    with world_a.context():
        ObligationOccurrence.objects.filter(obligation=obligation).delete()
        rows = {state: ObligationOccurrence.objects.create(obligation=obligation, due_date=start + dt.timedelta(days=n))
                for n, state in enumerate(["done", "done_late", "overdue", "pending"])}
        for state, row in rows.items():
            ObligationOccurrence.objects.filter(pk=row.pk).update(state=state)
        ObligationOccurrence.objects.create(obligation=obligation, due_date=end + dt.timedelta(days=1))  # next period
        report = sla_metrics(contract_ids=[contract.pk], period_start=start, period_end=end,
                             time_zone=world_a.tenant.time_zone)

    figures = report["obligations"]
    assert {k: figures[k] for k in ("due", "done", "done_late", "overdue", "pending")} == {
        "due": 4, "done": 1, "done_late": 1, "overdue": 1, "pending": 1}
    assert [(m["title"], m["state"]) for m in figures["missed"]] == [
        ("Monthly report", "done_late"), ("Monthly report", "overdue")]
