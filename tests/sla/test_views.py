"""The SLA pages: business calendars and SLA policies with every kind of bad input refused on its
field, force majeure declared and lifted from the contract's page, the breaches list after the
sweep, the notification bell, and another tenant's ids a 404 everywhere."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders import services as order_services
from sla.models import Breach, BusinessCalendar, ForceMajeure, SLAClock, SLAPolicy
from sla.services import sla_sweep
from tenancy import api_rows
from tenancy.models import Notification
from tests.contracts.api_support import active_contract, draft_contract
from tests.support import signed_in

pytestmark = pytest.mark.django_db

WEEK = {f"hours_{day}": "09:00–18:00" if day < 5 else "" for day in range(7)}


def calendar_data(**overrides) -> dict:
    data = {"name": "Moscow office", "time_zone": "Europe/Moscow", "holiday_country": "RU",
            "extra_days_off": "2026-12-31", **WEEK}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def policy_data(**overrides) -> dict:
    data = {"priority": "high", "response_target": "4", "resolution_target": "8", "calendar": "",
            "warning_threshold_pct": "80", "penalty_per_breach": "5000.00"}
    data.update(overrides)
    return data


def count(world, model) -> int:
    with world.context():
        return model.objects.count()


def raise_order(world, contract, **fields):
    fields.setdefault("title", "Server room is too hot")
    with world.context(user=world.engineer):
        return order_services.order_create(actor=world.engineer, contract=contract, **fields)


def clock_rows(world, order) -> dict:
    with world.context():
        return {c.metric: c for c in SLAClock.objects.filter(order=order)}


# --- business calendars -------------------------------------------------------------------------

def test_account_manager_creates_a_business_calendar(client, world_a):
    signed_in(client, world_a.account_manager)
    assert client.get(reverse("sla:calendar-create")).status_code == 200
    response = client.post(reverse("sla:calendar-create"),
                           calendar_data(hours_0="09:00-13:00, 14:00-18:00", holiday_country="ru"))
    assert response.status_code == 302
    with world_a.context():
        calendar = BusinessCalendar.objects.get()
    assert calendar.working_hours["0"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert calendar.working_hours["4"] == [["09:00", "18:00"]] and "5" not in calendar.working_hours
    assert (calendar.holiday_country, calendar.extra_days_off) == ("RU", ["2026-12-31"])
    page = client.get(reverse("sla:calendar-list")).content.decode()
    assert "Moscow office" in page and "14:00–18:00" in page


def test_a_24x7_calendar_needs_no_working_hours(client, world_a):
    response = signed_in(client, world_a.admin).post(reverse("sla:calendar-create"), calendar_data(
        name="Round the clock", always_on="on", holiday_country="", **{f"hours_{d}": "" for d in range(7)}))
    assert response.status_code == 302
    with world_a.context():
        assert BusinessCalendar.objects.get().always_on


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({f"hours_{d}": "" for d in range(7)}, None, "working hours on at least one day"),
    ({"hours_2": "09:00-13:00, 12:00-18:00"}, "hours_2", "overlap"),
    ({"hours_1": "18:00-09:00"}, "hours_1", "must end after it starts"),
    ({"hours_3": "nine to five"}, "hours_3", "Write intervals like"),
    ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Unknown time zone"),
    ({"holiday_country": "XX"}, "holiday_country", "Unknown country"),
    ({"extra_days_off": "2026-02-30"}, "extra_days_off", "is not a date"),
    ({"name": ""}, "name", "required"),
])
def test_calendar_bad_input_is_a_400_on_its_field_and_saves_nothing(client, world_a, overrides, field, message):
    response = signed_in(client, world_a.account_manager).post(reverse("sla:calendar-create"),
                                                               calendar_data(**overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors.get(field or "__all__")
    assert errors and any(message in e for e in errors), response.context["form"].errors
    assert message.split()[0] in response.content.decode()
    assert count(world_a, BusinessCalendar) == 0


def test_editing_a_calendar_changes_it_and_bad_input_changes_nothing(client, world_a):
    signed_in(client, world_a.account_manager)
    client.post(reverse("sla:calendar-create"), calendar_data())
    with world_a.context():
        calendar = BusinessCalendar.objects.get()
    url = reverse("sla:calendar-edit", args=[calendar.pk])
    page = client.get(url).content.decode()
    assert 'value="09:00–18:00"' in page and 'value="Europe/Moscow"' in page

    assert client.post(url, calendar_data(hours_5="10:00-14:00")).status_code == 302
    response = client.post(url, calendar_data(hours_5="10:00-14:00", hours_0="10:00-12:00, 11:00-13:00",
                                              time_zone="Nowhere/City"))
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"hours_0", "time_zone"}
    with world_a.context():
        calendar.refresh_from_db()
    assert calendar.working_hours["5"] == [["10:00", "14:00"]]
    assert calendar.working_hours["0"] == [["09:00", "18:00"]] and calendar.time_zone == "Europe/Moscow"
    # the name is unique per tenant
    client.post(reverse("sla:calendar-create"), calendar_data(name="Second"))
    response = client.post(url, calendar_data(name="Second"))
    assert response.status_code == 400 and "name" in response.context["form"].errors


# --- SLA policies -------------------------------------------------------------------------------

def test_account_manager_sets_a_contracts_sla_policy_and_new_orders_follow_it(client, world_a):
    contract = active_contract(world_a)
    with world_a.context():
        calendar = BusinessCalendar.objects.create(name="Office", working_hours={"0": [["09:00", "18:00"]]})
    signed_in(client, world_a.account_manager)
    contract_page = client.get(reverse("contracts:contract-detail", args=[contract.pk])).content.decode()
    assert reverse("sla:contract-sla", args=[contract.pk]) in contract_page
    assert client.get(reverse("sla:policy-create", args=[contract.pk])).status_code == 200
    response = client.post(reverse("sla:policy-create", args=[contract.pk]), policy_data(calendar=""))
    assert response.status_code == 302
    assert response["Location"] == reverse("sla:contract-sla", args=[contract.pk])
    with world_a.context():
        policy = SLAPolicy.objects.get()
    assert (policy.priority, policy.response_target, policy.resolution_target) == (
        "high", dt.timedelta(hours=4), dt.timedelta(hours=8))
    assert (policy.warning_threshold_pct, policy.penalty_per_breach, policy.calendar_id) == (80, Decimal("5000.00"), None)

    order = raise_order(world_a, contract, priority="high")
    assert clock_rows(world_a, order)["response"].target == dt.timedelta(hours=4)

    edit = reverse("sla:policy-edit", args=[policy.pk])
    assert 'value="4"' in client.get(edit).content.decode()
    assert client.post(edit, policy_data(response_target="2.5", calendar=calendar.pk)).status_code == 302
    with world_a.context():
        policy.refresh_from_db()
    assert policy.response_target == dt.timedelta(hours=2, minutes=30) and policy.calendar_id == calendar.pk
    page = client.get(reverse("sla:contract-sla", args=[contract.pk])).content.decode()
    assert "2.5" in page and "Office" in page


@pytest.mark.parametrize(("overrides", "field"), [
    ({"response_target": "0"}, "response_target"),
    ({"resolution_target": "-5"}, "resolution_target"),
    ({"response_target": "soon"}, "response_target"),
    ({"response_target": "NaN"}, "response_target"),
    ({"resolution_target": "1e12"}, "resolution_target"),
    ({"warning_threshold_pct": "150"}, "warning_threshold_pct"),
    ({"penalty_per_breach": "-1"}, "penalty_per_breach"),
    ({"priority": "whenever"}, "priority"),
])
def test_policy_bad_input_is_a_400_on_its_field_and_saves_nothing(client, world_a, overrides, field):
    contract = active_contract(world_a)
    response = signed_in(client, world_a.account_manager).post(reverse("sla:policy-create", args=[contract.pk]),
                                                               policy_data(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors, response.context["form"].errors
    assert count(world_a, SLAPolicy) == 0


def test_a_second_policy_for_the_same_priority_is_refused(client, world_a):
    contract = active_contract(world_a)
    signed_in(client, world_a.account_manager)
    client.post(reverse("sla:policy-create", args=[contract.pk]), policy_data())
    response = client.post(reverse("sla:policy-create", args=[contract.pk]), policy_data(response_target="1"))
    assert response.status_code == 400
    assert "already has a policy for this priority" in response.context["form"].errors["priority"][0]
    assert count(world_a, SLAPolicy) == 1


def test_editing_a_policy_with_a_zero_target_changes_nothing(client, world_a):
    contract = active_contract(world_a)
    signed_in(client, world_a.account_manager)
    client.post(reverse("sla:policy-create", args=[contract.pk]), policy_data())
    with world_a.context():
        policy = SLAPolicy.objects.get()
    response = client.post(reverse("sla:policy-edit", args=[policy.pk]), policy_data(resolution_target="0"))
    assert response.status_code == 400 and "resolution_target" in response.context["form"].errors
    with world_a.context():
        policy.refresh_from_db()
    assert policy.resolution_target == dt.timedelta(hours=8)


def test_only_managers_configure_slas_but_all_staff_read_them(client, world_a):
    contract = active_contract(world_a)
    signed_in(client, world_a.engineer)
    for url in (reverse("sla:calendar-create"), reverse("sla:policy-create", args=[contract.pk])):
        assert client.get(url).status_code == 403
    assert client.post(reverse("sla:force-majeure-start", args=[contract.pk]), {"reason": "x"}).status_code == 403
    for url in (reverse("sla:calendar-list"), reverse("sla:contract-sla", args=[contract.pk]),
                reverse("sla:breach-list")):
        assert client.get(url).status_code == 200
    assert "Declare force majeure" not in client.get(reverse("contracts:contract-detail", args=[contract.pk])).content.decode()
    assert count(world_a, ForceMajeure) == 0


# --- force majeure ------------------------------------------------------------------------------

def test_force_majeure_from_the_contract_page_pauses_and_resumes_the_clocks(client, world_a):
    contract = active_contract(world_a)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        order = raise_order(world_a, contract)
        due_before = clock_rows(world_a, order)["resolution"].due_at
        signed_in(client, world_a.account_manager)
        page = client.get(reverse("contracts:contract-detail", args=[contract.pk])).content.decode()
        assert "Declare force majeure" in page
        response = client.post(reverse("sla:force-majeure-start", args=[contract.pk]), {"reason": "Flood in the data centre"})
        assert response.status_code == 302
        assert response["Location"] == reverse("contracts:contract-detail", args=[contract.pk]) + "#sla"
    paused = clock_rows(world_a, order)
    assert all(c.paused_since == start and c.due_at is None for c in paused.values())

    with time_machine.travel(start + dt.timedelta(hours=3), tick=False):
        signed_in(client, world_a.account_manager)
        page = client.get(reverse("contracts:contract-detail", args=[contract.pk])).content.decode()
        assert "Force majeure since" in page and "Flood in the data centre" in page
        order_page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
        assert 'data-clock-state="paused"' in order_page and "the clocks stand still" in order_page
        # declaring again is refused with a message, nothing new saved
        response = client.post(reverse("sla:force-majeure-start", args=[contract.pk]), {"reason": "again"}, follow=True)
        assert "already in effect" in response.content.decode()
        response = client.post(reverse("sla:force-majeure-lift", args=[contract.pk]), {"note": "Power is back", "back": "sla"})
        assert response["Location"] == reverse("sla:contract-sla", args=[contract.pk])
    resumed = clock_rows(world_a, order)["resolution"]
    assert resumed.paused_since is None
    assert resumed.due_at == due_before + dt.timedelta(hours=3)
    with world_a.context():
        period = ForceMajeure.objects.get()
    assert period.lifted_by == world_a.account_manager and period.lift_note == "Power is back"
    response = client.post(reverse("sla:force-majeure-lift", args=[contract.pk]), follow=True)
    assert "no force majeure in effect" in response.content.decode()


def test_force_majeure_needs_a_reason_and_an_active_contract(client, world_a):
    contract = active_contract(world_a)
    draft = draft_contract(world_a)
    signed_in(client, world_a.account_manager)
    response = client.post(reverse("sla:force-majeure-start", args=[contract.pk]), {"reason": " "}, follow=True)
    assert "Give the reason" in response.content.decode()
    response = client.post(reverse("sla:force-majeure-start", args=[draft.pk]), {"reason": "Storm"}, follow=True)
    assert "active or suspended contract" in response.content.decode()
    assert count(world_a, ForceMajeure) == 0


# --- breaches and the bell ----------------------------------------------------------------------

def test_the_breaches_list_shows_a_breach_after_the_sweep(client, world_a, django_capture_on_commit_callbacks):
    contract = active_contract(world_a)
    other = active_contract(world_a, number="SC-OTHER")
    order = raise_order(world_a, contract, title="Overdue one", reported_at=timezone.now() - dt.timedelta(hours=25))
    raise_order(world_a, other, title="Fine one")
    signed_in(client, world_a.account_manager)
    assert "Overdue one" not in client.get(reverse("sla:breach-list")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sla_sweep()

    response = client.get(reverse("sla:breach-list"))
    assert [b.order_id for b in response.context["page"]] == [order.pk]
    assert "Overdue one" in response.content.decode()
    assert [b.order_id for b in client.get(reverse("sla:breach-list"), {"contract": other.pk}).context["page"]] == []
    assert [b.order_id for b in client.get(reverse("sla:breach-list"), {"metric": "response"}).context["page"]] == [order.pk]
    contract_page = client.get(reverse("contracts:contract-detail", args=[contract.pk])).content.decode()
    assert "1 breach" in contract_page
    # the account manager heard about it: the bell counts it
    with world_a.context():
        unread = Notification.objects.filter(user=world_a.account_manager, read_at__isnull=True).count()
    assert unread >= 1
    assert f'data-testid="unread-count">{unread}<' in contract_page


def test_the_bell_counts_unread_notifications_and_opening_one_marks_it_read(client, world_a, world_b):
    with world_a.context():
        first = Notification.objects.create(user=world_a.engineer, kind="sla_warning", title="Due soon: ORD-1",
                                            url="/orders/1/", dedupe_key="a")
        Notification.objects.create(user=world_a.engineer, kind="sla_breach", title="Breached: ORD-2",
                                    url="https://evil.example/", dedupe_key="b")
        someone_elses = Notification.objects.create(user=world_a.account_manager, kind="x", title="Not yours",
                                                    dedupe_key="c")
    with world_b.context():
        other_tenant = Notification.objects.create(user=world_b.engineer, kind="x", title="Other tenant",
                                                   dedupe_key="d")
    signed_in(client, world_a.engineer)
    page = client.get(reverse("notifications:list")).content.decode()
    assert 'data-testid="unread-count">2<' in page
    assert "Due soon: ORD-1" in page and "Not yours" not in page

    response = client.post(reverse("notifications:open", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == "/orders/1/"
    assert 'data-testid="unread-count">1<' in client.get(reverse("notifications:list")).content.decode()
    for foreign in (someone_elses, other_tenant):
        assert client.post(reverse("notifications:open", args=[foreign.pk])).status_code == 404

    client.post(reverse("notifications:read-all"))
    page = client.get(reverse("notifications:list")).content.decode()
    assert "unread-count" not in page
    with world_a.context():
        assert Notification.objects.get(pk=someone_elses.pk).read_at is None
    with world_b.context():
        assert Notification.objects.get(pk=other_tenant.pk).read_at is None


def test_an_offsite_notification_link_is_not_followed(client, world_a):
    with world_a.context():
        note = Notification.objects.create(user=world_a.engineer, kind="x", title="Odd", url="https://evil.example/",
                                           dedupe_key="e")
    response = signed_in(client, world_a.engineer).post(reverse("notifications:open", args=[note.pk]))
    assert response["Location"] == reverse("notifications:list")


# --- walls ------------------------------------------------------------------------------------

def test_every_sla_page_with_an_id_is_a_404_for_another_tenants_object(client, world_a, world_b):
    theirs = active_contract(world_b)
    with world_b.context(user=world_b.admin):
        calendar = BusinessCalendar.objects.create(name="Theirs", working_hours={"0": [["09:00", "18:00"]]})
        policy = SLAPolicy.objects.create(contract=theirs, priority="normal")
        ForceMajeure.objects.create(contract=theirs, reason="Theirs", started_by=world_b.admin)
    signed_in(client, world_a.account_manager)
    for url in (reverse("sla:calendar-edit", args=[calendar.pk]), reverse("sla:policy-edit", args=[policy.pk]),
                reverse("sla:contract-sla", args=[theirs.pk]), reverse("sla:policy-create", args=[theirs.pk])):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {**calendar_data(), **policy_data()}).status_code == 404, url
    for url in (reverse("sla:force-majeure-start", args=[theirs.pk]), reverse("sla:force-majeure-lift", args=[theirs.pk])):
        assert client.post(url, {"reason": "x"}).status_code == 404, url
    with world_b.context():
        assert ForceMajeure.objects.get().lifted_at is None
        assert SLAPolicy.objects.get().response_target == dt.timedelta(hours=24)
        assert BusinessCalendar.objects.get().name == "Theirs"
    # another tenant's calendar is not a choice in a policy either
    mine = active_contract(world_a)
    response = client.post(reverse("sla:policy-create", args=[mine.pk]), policy_data(calendar=calendar.pk))
    assert response.status_code == 400 and "calendar" in response.context["form"].errors
    assert count(world_a, SLAPolicy) == 0


def test_the_breaches_list_shows_only_this_tenants_breaches(client, world_a, world_b):
    theirs = active_contract(world_b)
    raise_order(world_b, theirs, title="Their overdue", reported_at=timezone.now() - dt.timedelta(hours=30))
    sla_sweep()
    assert count(world_b, Breach) >= 1
    response = signed_in(client, world_a.account_manager).get(reverse("sla:breach-list"))
    assert list(response.context["page"]) == []
    assert "Their overdue" not in response.content.decode()


def test_a_long_breaches_list_keeps_its_totals_for_a_minute_and_pages_on_them(client, world_a, world_b, monkeypatch):
    """The breaches page counts its rows once (the totals; the pages read no count of their own), and
    a list past `LARGE_COUNT` keeps those totals in the cache for a minute instead of counting the
    tenant's whole history at every page; each filter and each tenant has its own."""
    cache.clear()
    monkeypatch.setattr(api_rows, "LARGE_COUNT", 3)
    contract = active_contract(world_a)
    for n in range(3):
        raise_order(world_a, contract, title=f"Late {n}", reported_at=timezone.now() - dt.timedelta(hours=30))
    theirs = active_contract(world_b)
    raise_order(world_b, theirs, title="Their late one", reported_at=timezone.now() - dt.timedelta(hours=30))
    sla_sweep()
    before = count(world_a, Breach)
    assert before >= 3
    signed_in(client, world_a.account_manager)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("sla:breach-list"))
    assert response.context["totals"]["count"] == before == len(response.context["page"])
    assert sum('COUNT("sla_breach"' in q["sql"] or 'COUNT(*) AS "__count" FROM "sla_breach"' in q["sql"]
               for q in queries.captured_queries) == 1
    raise_order(world_a, contract, title="Later", reported_at=timezone.now() - dt.timedelta(hours=30))
    sla_sweep()
    after = count(world_a, Breach)
    assert after > before
    assert client.get(reverse("sla:breach-list")).context["totals"]["count"] == before  # kept for a minute
    with world_a.context():
        responses = Breach.objects.filter(metric="response").count()
    assert client.get(reverse("sla:breach-list"), {"metric": "response"}).context["totals"]["count"] == responses
    assert signed_in(client, world_b.account_manager).get(
        reverse("sla:breach-list")).context["totals"]["count"] == count(world_b, Breach)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=api_rows.COUNT_KEPT_SECONDS + 1)):
        assert signed_in(client, world_a.account_manager).get(
            reverse("sla:breach-list")).context["totals"]["count"] == after


def test_a_short_breaches_list_is_counted_at_every_request(client, world_a):
    cache.clear()
    contract = active_contract(world_a)
    raise_order(world_a, contract, title="Late", reported_at=timezone.now() - dt.timedelta(hours=30))
    sla_sweep()
    signed_in(client, world_a.account_manager)
    assert client.get(reverse("sla:breach-list")).context["totals"]["count"] == count(world_a, Breach)
    raise_order(world_a, contract, title="Later", reported_at=timezone.now() - dt.timedelta(hours=30))
    sla_sweep()
    assert client.get(reverse("sla:breach-list")).context["totals"]["count"] == count(world_a, Breach) > 1
