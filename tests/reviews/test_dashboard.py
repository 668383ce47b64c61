"""The picture at a glance: the account manager's home and the client's portal home.

A small hand-built fixture (one manager's contract, another manager's contract of another client, and
tenant B) with the figures worked out by hand; every figure links to its list; a client sees only
their own client's contracts; tenant B never shows; the pages render in English and Russian; the
number of queries does not grow with the number of contracts and orders.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.models import Invoice
from confirmations.models import Act, Confirmation
from contracts.models import Obligation, ObligationOccurrence
from orders.models import Order
from reviews.models import ActionItem, Review
from sla.models import Breach, SLAClock
from tenancy import api_rows
from tests.clock import add_months, local_today
from tests.contracts.api_support import draft_contract
from tests.factories import ClientFactory, ContractRoleFactory, MembershipFactory, UserFactory
from tests.reviews.support import reviewed_contract

_seq = itertools.count(1)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _no_cached_trend():
    """The trend's closed months are cached per tenant and user id; ids come back in the next test."""
    cache.clear()
    yield
    cache.clear()


def browser(user, language="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


# --- the fixture ------------------------------------------------------------------------------

def this_month_moment(world) -> dt.datetime:
    """A moment of this month (tenant's zone) before now: halfway from the month's start to now."""
    zone = zoneinfo.ZoneInfo(world.tenant.time_zone)
    start = dt.datetime.combine(local_today(world.tenant).replace(day=1), dt.time.min, tzinfo=zone)
    return start + (timezone.now() - start) / 2


def last_month_moment(world) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(world.tenant.time_zone)
    return dt.datetime.combine(add_months(local_today(world.tenant), -1), dt.time(10), tzinfo=zone)


def make_order(world, contract, *, prefix, reported_at, response=("met",), resolution=("met",), state="new"):
    """An order with two clocks; each is ("met",), ("breached",) or ("running", due_at)."""
    order = Order.objects.create(number=f"{prefix}-{next(_seq)}", contract=contract, client=contract.client,
                                 title=f"Order of {contract.number}", reported_at=reported_at, state=state,
                                 reported_by=world.client_admin)
    clocks = {}
    for metric, how in (("response", response), ("resolution", resolution)):
        target = dt.timedelta(hours=24 if metric == "response" else 48)
        moment = reported_at + (timezone.now() - reported_at) / 3
        clocks[metric] = SLAClock.objects.create(
            order=order, metric=metric, target=target, started_at=reported_at,
            stopped_at=moment if how[0] == "met" else None,
            breached_at=moment if how[0] == "breached" else None,
            due_at=how[1] if how[0] == "running" else reported_at + target)
    return order, clocks


def make_breach(clock, *, waived=False) -> Breach:
    return Breach.objects.create(clock=clock, order=clock.order, contract=clock.order.contract, metric=clock.metric,
                                 due_at=clock.breached_at, breached_at=clock.breached_at, penalty=Decimal("100.00"),
                                 waived_at=clock.breached_at if waived else None)


def make_act(world, contract, *, state, month_offset=-1, rating=None, accept_by=None) -> Act:
    start = add_months(local_today(world.tenant), month_offset)
    act = Act.objects.create(number=f"ACT-D-{next(_seq)}", contract=contract, client=contract.client,
                             period_start=start, period_end=start + dt.timedelta(days=27), currency="RUB",
                             state=state, created_by=world.admin, accept_by=accept_by)
    if rating is not None:
        Confirmation.objects.create(act=act, contract=contract, client=contract.client, kind=Confirmation.Kind.SIGNED,
                                    rating=rating, confirmed_by=world.client_signatory, confirmed_at=timezone.now())
    return act


def make_invoice(contract, *, state, month_offset=-1) -> Invoice:
    start = add_months(local_today(contract.tenant), month_offset)
    return Invoice.objects.create(contract=contract, client=contract.client, period_start=start,
                                  period_end=start + dt.timedelta(days=27), currency="RUB",
                                  vat_rate=Decimal("22.00"), state=state,
                                  number="" if state == "draft" else f"INV-D-{next(_seq)}")


def make_review(contract, *, state, meeting: dt.date, quarters_back: int, **fields) -> Review:
    """A review of a quarter that ended at least two months ago (so any meeting date of the test fits)."""
    start = add_months(local_today(contract.tenant), -3 * quarters_back - 3)
    return Review.objects.create(contract=contract, client=contract.client, kind="quarterly", period_start=start,
                                 period_end=add_months(start, 3) - dt.timedelta(days=1),
                                 proposed_meeting_date=meeting, state=state, **fields)


def fill(world, contract, *, prefix="ORD"):
    """The hand-computed set of one contract (figures in `test_the_managers_figures_are_right`)."""
    today = local_today(world.tenant)
    now = timezone.now()
    this, last = this_month_moment(world), last_month_moment(world)
    with world.context():
        # this month: 3 met, 1 breached of 4 decided clocks (75.0 %); one clock due in 5 h, one in 30 h
        make_order(world, contract, prefix=prefix, reported_at=this)
        _o2, c2 = make_order(world, contract, prefix=prefix, reported_at=this, resolution=("breached",))
        make_breach(c2["resolution"])
        make_order(world, contract, prefix=f"{prefix}-SOON", reported_at=this, response=("running", now + 5 * HOUR),
                   resolution=("running", now + 30 * HOUR))
        # last month: 2 met, 2 breached (50.0 %); its breaches are not this month's
        make_order(world, contract, prefix=prefix, reported_at=last, state="delivered")
        _o5, c5 = make_order(world, contract, prefix=prefix, reported_at=last, response=("breached",),
                             resolution=("breached",), state="delivered")
        make_breach(c5["response"])
        # acts: two waiting for a signature (one past its deadline), ratings 2 (two months ago) and 4 (last month)
        make_act(world, contract, state="sent", accept_by=now - HOUR)
        make_act(world, contract, state="sent", accept_by=now + 48 * HOUR)
        make_act(world, contract, state="signed", month_offset=-2, rating=2)
        make_act(world, contract, state="signed", month_offset=-1, rating=4)
        make_invoice(contract, state="draft")
        make_invoice(contract, state="issued", month_offset=-2)
        make_review(contract, state="scheduled", meeting=today - dt.timedelta(days=2), quarters_back=1)
        held = make_review(contract, state="held", meeting=today - dt.timedelta(days=20), quarters_back=2,
                           held_on=today - dt.timedelta(days=20))
        make_review(contract, state="prepared", meeting=today + dt.timedelta(days=3), quarters_back=3)
        ActionItem.objects.create(review=held, what=f"Overdue fix of {contract.number}", owner=world.engineer,
                                  due_date=today - dt.timedelta(days=1))
        ActionItem.objects.create(review=held, what="Due later", owner=world.engineer,
                                  due_date=today + dt.timedelta(days=5))
        obligation = Obligation.objects.create(contract=contract, owner=world.account_manager,
                                               title=f"Report of {contract.number}", rule="monthly", day=5,
                                               starts_on=today - dt.timedelta(days=40))
        ObligationOccurrence.objects.create(obligation=obligation, due_date=today - dt.timedelta(days=3),
                                            state="overdue")


@pytest.fixture
def setup(world_a, world_b):
    return build_setup(world_a, world_b)


def build_setup(world_a, world_b) -> dict:
    """Tenant A's manager's contract filled by hand, another manager's contract, tenant B's contract."""
    mine = reviewed_contract(world_a)
    fill(world_a, mine)
    other_manager = UserFactory(username="a_other_manager")
    MembershipFactory(tenant=world_a.tenant, user=other_manager, role="account_manager")
    bank = ClientFactory(tenant=world_a.tenant, name="Harbour Bank")
    theirs = draft_contract(world_a, client=bank, number=f"THEIRS-{next(_seq)}")
    ContractRoleFactory(contract=theirs, role="account_manager", user=other_manager)
    with world_a.context():
        make_order(world_a, theirs, prefix="BANK", reported_at=this_month_moment(world_a), resolution=("breached",))
        make_order(world_a, theirs, prefix="BANK-SOON", reported_at=this_month_moment(world_a),
                   response=("running", timezone.now() + 2 * HOUR))
        make_act(world_a, theirs, state="sent")
        make_invoice(theirs, state="draft")
    foreign = reviewed_contract(world_b, number=f"B-SECRET-{next(_seq)}")
    fill(world_b, foreign, prefix="BSECRET")
    return {"mine": mine, "theirs": theirs, "foreign": foreign, "other_manager": other_manager}


def figure(page: str, name: str) -> str:
    """The big number of a tile (`data-figure`), as shown."""
    match = re.search(rf'data-figure="{name}"[^>]*>\s*<span class="stat-count">([^<]*)<', page)
    assert match, name
    return match.group(1).strip()


def href(page: str, name: str) -> str:
    match = re.search(rf'<a class="[^"]*" data-figure="{name}" href="([^"]*)"', page)
    assert match, name
    return match.group(1).replace("&amp;", "&")


# --- the manager's home -----------------------------------------------------------------------

def test_the_managers_figures_are_right(world_a, setup):
    page = browser(world_a.account_manager).get("/").content.decode()
    assert 'data-scope="mine"' in page
    assert figure(page, "due-soon") == "1"
    assert figure(page, "breaches-month") == "1"
    assert figure(page, "breaches-open") == "1"
    assert figure(page, "compliance") == "75.0 %"
    assert re.search(r'data-figure="compliance-last">[^<]*50.0 % \(\+25.0\)', page)
    assert figure(page, "acts-sent") == "2"
    assert "1 past its deadline" in page
    assert figure(page, "invoices-draft") == "1"
    assert figure(page, "reviews-scheduled") == "1" and "1 past its meeting date" in page
    assert figure(page, "reviews-prepared") == "1"
    assert figure(page, "overdue-items") == "1"
    assert figure(page, "obligations-overdue") == "1"
    assert figure(page, "rating").startswith("3.0") and 'data-trend="up"' in page
    assert page.count('class="chart"') == 2
    mine = setup["mine"].number
    assert f"Overdue fix of {mine}" in page and "Due later" not in page
    assert "ORD-SOON-" in page and "BANK" not in page  # only the manager's contracts
    assert setup["theirs"].number not in page


def test_an_admin_sees_every_contract_of_the_tenant(world_a, setup):
    page = browser(world_a.admin).get("/").content.decode()
    assert 'data-scope="all"' in page
    assert figure(page, "due-soon") == "2"
    assert figure(page, "breaches-month") == "1"  # the bank's breached clock has no breach row
    assert figure(page, "acts-sent") == "3"
    assert figure(page, "invoices-draft") == "2"
    assert figure(page, "compliance") == "71.4 %"  # 5 met of 7 decided
    assert "BANK-SOON-" in page


def test_every_figure_links_to_the_list_behind_it(world_a, setup):
    manager = browser(world_a.account_manager)
    page = manager.get("/").content.decode()
    expected = {
        "due-soon": "/orders/?state=open&sort=due",
        "breaches-month": "/breaches/",
        "breaches-open": "/orders/?state=open&breached=yes",
        "compliance": "/orders/?breached=yes&sort=newest",
        "acts-sent": "/acts/?state=sent",
        "invoices-draft": "/billing/?state=draft",
        "reviews-scheduled": "/reviews/?state=scheduled",
        "reviews-prepared": "/reviews/?state=prepared",
        "overdue-items": "#overdue-items",
        "obligations-overdue": "/obligations/?show=overdue",
        "rating": "/acts/?state=signed",
    }
    for name, url in expected.items():
        assert href(page, name) == url, name
        if url.startswith("/"):
            assert manager.get(url).status_code == 200, url
    assert 'id="overdue-items"' in page
    # the overdue items' card leads to the register of every overdue item
    assert 'href="/reviews/items/?show=overdue"' in page
    register = manager.get("/reviews/items/?show=overdue")
    assert [item.what for item in register.context["page"]] == [f"Overdue fix of {setup['mine'].number}"]
    # the lists behind the figures hold what the figures count
    assert setup["mine"].number in manager.get("/reviews/?state=scheduled").content.decode()
    assert "ORD-SOON-" in manager.get("/orders/?state=open&sort=due").content.decode()


def test_an_engineer_sees_no_invoices_and_the_accountant_lands_on_billing(world_a, setup, password):
    page = browser(world_a.engineer).get("/").content.decode()
    assert 'data-figure="invoices-draft"' not in page
    assert figure(page, "due-soon") == "0"  # the engineer holds no role on any contract
    response = browser(world_a.accountant).get("/")
    assert response.status_code == 302 and response["Location"] == "/billing/"
    client = Client()
    response = client.post("/accounts/login/", {"username": world_a.accountant.username, "password": password},
                           follow=True)
    assert response.redirect_chain[-1][0] == "/billing/" and response.status_code == 200


def test_the_other_tenants_data_never_appears(world_a, world_b, setup):
    for user in (world_a.admin, world_a.account_manager):
        page = browser(user).get("/").content.decode()
        assert "BSECRET" not in page and "B-SECRET" not in page
    page = browser(world_a.client_admin).get("/portal/").content.decode()
    assert "BSECRET" not in page and "B-SECRET" not in page
    # tenant B's manager sees their own, the same figures
    page = browser(world_b.account_manager).get("/").content.decode()
    assert figure(page, "due-soon") == "1" and figure(page, "compliance") == "75.0 %"
    assert setup["mine"].number not in page


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_homes_render_in_both_languages(world_a, setup, language):
    for user, url in ((world_a.admin, "/"), (world_a.account_manager, "/"), (world_a.engineer, "/"),
                      (world_a.client_admin, "/portal/"), (world_a.client_viewer, "/portal/")):
        response = browser(user, language).get(url)
        assert response.status_code == 200, (user, url)
        assert f'<html lang="{language}">' in response.content.decode()


# --- the client's portal home -----------------------------------------------------------------

def test_the_client_sees_their_own_picture(world_a, setup):
    page = browser(world_a.client_signatory).get("/portal/").content.decode()
    assert 'data-banner="acts"' in page and "2 acts are waiting for your signature." in page
    assert figure(page, "acts-sent") == "2"
    assert figure(page, "compliance") == "75.0 %"
    assert figure(page, "open-orders") == "3"
    assert figure(page, "breaches-month") == "1"
    assert figure(page, "unpaid") == "1"
    assert figure(page, "rating").startswith("3.0")
    assert "ORD-SOON-" in page and 'data-clock-state="running"' in page  # open orders with their clocks
    assert "INV-D-" in page  # the issued invoice; a draft is not the client's to see
    assert 'data-banner="reviews"' in page  # the held review waits for the minutes' confirmation
    assert page.count('data-review="') == 2  # held and prepared reports; a scheduled one has none yet
    # another client of the same provider: never on this page
    assert "BANK" not in page and setup["theirs"].number not in page
    for url in ("/portal/orders/?state=open&sort=due", "/portal/acts/?state=sent", "/portal/invoices/",
                "/portal/reviews/", "/portal/orders/?breached=yes&sort=newest"):
        assert href_present(page, url), url


def href_present(page: str, url: str) -> bool:
    return f'href="{url.replace("&", "&amp;")}"' in page


def test_a_client_with_nothing_to_sign_sees_no_banner(world_a, setup):
    with world_a.context():
        Act.objects.filter(client=world_a.client, state="sent").update(state="signed")
    page = browser(world_a.client_viewer).get("/portal/").content.decode()
    assert 'data-banner="acts"' not in page and figure(page, "acts-sent") == "0"


# --- a constant number of queries ---------------------------------------------------------------

def _queries(user, url: str) -> int:
    client = browser(user)
    client.get(url)  # warm: session, membership, translations
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("who, url", [("account_manager", "/"), ("admin", "/"), ("client_admin", "/portal/")])
def test_the_number_of_queries_does_not_grow_with_contracts_and_orders(world_a, who, url):
    user = getattr(world_a, who)
    fill(world_a, reviewed_contract(world_a))
    before = _queries(user, url)
    for _ in range(3):
        contract = reviewed_contract(world_a)
        fill(world_a, contract)
        with world_a.context():
            for _ in range(4):
                make_order(world_a, contract, prefix="MORE", reported_at=this_month_moment(world_a),
                           response=("running", timezone.now() + 3 * HOUR))
    assert _queries(user, url) == before


def within_this_month(world) -> dt.datetime:
    """Now, or a quarter of an hour before the month ends: the test's next minutes stay in this month."""
    zone = zoneinfo.ZoneInfo(world.tenant.time_zone)
    month_end = dt.datetime.combine(add_months(local_today(world.tenant), 1), dt.time.min, tzinfo=zone)
    return min(timezone.now(), month_end - dt.timedelta(minutes=15))


def test_this_month_is_live_and_the_closed_months_are_cached_for_ten_minutes(world_a, setup):
    with time_machine.travel(within_this_month(world_a), tick=True):
        manager = browser(world_a.account_manager)
        assert figure(manager.get("/").content.decode(), "compliance") == "75.0 %"
        with world_a.context():
            make_order(world_a, setup["mine"], prefix="LATE", reported_at=this_month_moment(world_a),
                       response=("breached",), resolution=("breached",))
            make_order(world_a, setup["mine"], prefix="LATE", reported_at=last_month_moment(world_a))
        page = manager.get("/").content.decode()
        assert figure(page, "compliance") == "50.0 %"  # this month, 3 met of 6: at once
        assert re.search(r'data-figure="compliance-last">[^<]*50.0 %', page)  # last month: the cached 2 of 4
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=11)):
            page = manager.get("/").content.decode()
        assert re.search(r'data-figure="compliance-last">[^<]*66.7 %', page)  # 4 of 6 once the cache expired


def test_a_busy_month_keeps_its_live_figures_for_a_minute(world_a, setup, monkeypatch):
    """A month of `LARGE_COUNT` clocks or more is counted at most once a minute per scope (the query
    reads every clock of the month); a quieter one stays live, as above."""
    monkeypatch.setattr(api_rows, "LARGE_COUNT", 4)  # the fixture's month holds more clocks than that
    with time_machine.travel(within_this_month(world_a), tick=True):
        manager = browser(world_a.account_manager)
        assert figure(manager.get("/").content.decode(), "compliance") == "75.0 %"
        with world_a.context():
            make_order(world_a, setup["mine"], prefix="LATE", reported_at=this_month_moment(world_a),
                       response=("breached",), resolution=("breached",))
        assert figure(manager.get("/").content.decode(), "compliance") == "75.0 %"  # kept
        admin = browser(world_a.admin)  # another scope counts for itself
        assert figure(admin.get("/").content.decode(), "compliance") == "55.6 %"  # 5 met of 9 decided
        with time_machine.travel(timezone.now() + dt.timedelta(seconds=api_rows.COUNT_KEPT_SECONDS + 1)):
            assert figure(manager.get("/").content.decode(), "compliance") == "50.0 %"
