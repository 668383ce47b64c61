"""The home pages' closed months are summed from counts kept per contract and month
(`reviews.compliance`), not counted from a year of clocks at each view: the counts equal the live
figures for any scope, a view sums them once every month of the trend is counted, a month not
counted yet is counted at the view meanwhile and queued, the beat counts again (a late clock of an
old order), a changed time zone counts anew, and one tenant's counts never reach another."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from contracts.selectors import manager_scope
from reviews import compliance
from reviews.dashboard import Months
from reviews.metrics import period_window
from reviews.models import ComplianceMonth, CountedMonth
from reviews.tasks import count_compliance
from tenancy.models import Tenant
from tests.reviews.test_dashboard import (
    browser,
    build_setup,
    last_month_moment,
    make_order,
    within_this_month,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_cached_trend():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(world_a, world_b):
    return build_setup(world_a, world_b)


def months_of(world) -> Months:
    return Months.of(now=timezone.now(), time_zone=world.tenant.time_zone)


def last_month(page: str) -> str:
    """Last month's compliance as the home page shows it beside this month's."""
    match = re.search(r'data-figure="compliance-last">[^<]*?(\d+\.\d %)', page)
    assert match
    return match.group(1)


def test_the_counted_months_equal_the_live_count_for_every_scope(world_a, setup):
    months = months_of(world_a)
    window = period_window(months.time_zone, months.trend_start, months.this_start - dt.timedelta(days=1))
    count_compliance(world_a.tenant.pk)
    with world_a.context():
        assert CountedMonth.objects.count() == len(months.closed_firsts) == 11
        for user, role in ((world_a.account_manager, "account_manager"), (setup["other_manager"], "account_manager"),
                           (world_a.admin, "admin")):
            scope = manager_scope(user=user, role=role)
            live = compliance.clock_counts(scope, window, zoneinfo.ZoneInfo(months.time_zone))
            assert compliance.counted_sums(scope, scope_key=f"{user.pk}:{role}", time_zone=months.time_zone,
                                           firsts=months.closed_firsts) == live
            assert live or role != "admin"  # the fixture has last month's clocks


def test_a_view_sums_the_counted_months_and_the_beat_counts_again(world_a, setup, monkeypatch):
    with time_machine.travel(within_this_month(world_a), tick=True):
        count_compliance(world_a.tenant.pk)
        manager = browser(world_a.account_manager)
        counted = []
        real = compliance.clock_counts
        monkeypatch.setattr(compliance, "clock_counts", lambda *a, **k: counted.append(a[1]) or real(*a, **k))
        assert last_month(manager.get("/").content.decode()) == "50.0 %"
        assert len(counted) == 1  # this month only: the closed months came from their counts
        with world_a.context():
            make_order(world_a, setup["mine"], prefix="LATE", reported_at=last_month_moment(world_a))
        assert last_month(manager.get("/").content.decode()) == "50.0 %"  # as counted
        count_compliance(world_a.tenant.pk)  # the beat, ten minutes on
        assert last_month(manager.get("/").content.decode()) == "66.7 %"  # 4 of 6


def test_a_month_not_counted_is_counted_at_the_view_and_queued_once(world_a, setup,
                                                                    django_capture_on_commit_callbacks):
    manager = browser(world_a.account_manager)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        page = manager.get("/").content.decode()
    assert last_month(page) == "50.0 %"  # right before any count
    assert len(queued) == 1
    with world_a.context():
        assert CountedMonth.objects.count() == 11 and ComplianceMonth.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as again:
        browser(world_a.admin).get("/")
    assert again == []  # counted now: nothing more to queue


def test_a_changed_time_zone_is_counted_anew(world_a, setup):
    count_compliance(world_a.tenant.pk)
    Tenant.objects.filter(pk=world_a.tenant.pk).update(time_zone="Asia/Vladivostok")
    world_a.tenant.refresh_from_db()
    manager = browser(world_a.account_manager)
    at_the_view = last_month(manager.get("/").content.decode())  # the new zone's months, counted at the view
    count_compliance(world_a.tenant.pk)
    cache.clear()
    assert last_month(manager.get("/").content.decode()) == at_the_view  # the same from the new zone's count
    with world_a.context():
        assert set(CountedMonth.objects.values_list("time_zone", flat=True)) == {"Asia/Vladivostok"}
        assert set(ComplianceMonth.objects.values_list("time_zone", flat=True)) == {"Asia/Vladivostok"}


def test_one_tenants_counts_never_reach_another(world_a, world_b, setup):
    count_compliance(world_a.tenant.pk)
    with world_b.context():
        assert not ComplianceMonth.objects.exists() and not CountedMonth.objects.exists()
    count_compliance()  # the beat: every tenant in turn
    with world_b.context():
        foreign = set(ComplianceMonth.objects.values_list("contract_id", flat=True))
    assert foreign == {setup["foreign"].pk}
    with world_a.context():
        assert setup["foreign"].pk not in set(ComplianceMonth.objects.values_list("contract_id", flat=True))
