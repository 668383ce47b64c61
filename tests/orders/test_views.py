"""The order pages: a client raises an order in the portal, an engineer registers one on the client's
behalf, each side moves it along with its own buttons, comments are internal or client-visible,
scope changes are history the client sees, the list sorts by due soonest and filters, and no
page shows another tenant's or another client's order."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.models import Order, OrderComment, OrderEvent, Team, TeamMember
from sla.models import SLAClock
from sla.services import sla_sweep
from tests.contracts.api_support import active_contract, draft_contract
from tests.factories import ClientFactory, MembershipFactory, UserFactory
from tests.support import raise_order, reload, signed_in

pytestmark = pytest.mark.django_db

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")


def fire(world, order, name, actor, note="set up by the test") -> Order:
    with world.context(user=actor):
        return services.order_transition(order=order, name=name, actor=actor, note=note)


def clocks(world, order) -> dict:
    with world.context():
        return {c.metric: c for c in SLAClock.objects.filter(order=order)}


def order_count(world) -> int:
    with world.context():
        return Order.objects.count()


def other_client(world, label="Y"):
    client = ClientFactory(tenant=world.tenant, name=f"Client {label}")
    user = UserFactory(username=f"{world.tenant.slug}_{label.lower()}_admin")
    MembershipFactory(tenant=world.tenant, user=user, role="client_admin", client=client)
    return client, user, active_contract(world, client=client)


def local_input(moment: dt.datetime) -> str:
    """How a datetime-local input in the tenant's time zone (Moscow) submits `moment`."""
    return moment.astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M")


def raise_data(contract, **overrides) -> dict:
    data = {"contract": contract.pk, "kind": "incident", "title": "Mail server is down",
            "description": "Nobody on floor 2 gets mail.", "expected_result": "Mail flows again.",
            "priority": "high", "desired_deadline": ""}
    data.update(overrides)
    return data


# --- raising and registering ------------------------------------------------------------------

def test_client_user_raises_an_order_in_the_portal_and_its_clocks_start(client, world_a):
    contract = active_contract(world_a)
    signed_in(client, world_a.client_viewer)
    form_page = client.get(reverse("orders:portal-order-create"))
    assert form_page.status_code == 200
    assert contract.number in form_page.content.decode()

    response = client.post(reverse("orders:portal-order-create"), raise_data(contract))

    with world_a.context():
        order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("orders:portal-order-detail", args=[order.pk])
    assert (order.title, order.kind, order.priority, order.reported_by) == (
        "Mail server is down", "incident", "high", world_a.client_viewer)
    assert order.client_id == world_a.client.pk
    running = clocks(world_a, order)
    assert set(running) == {"response", "resolution"}
    assert running["response"].due_at == order.reported_at + dt.timedelta(hours=24)
    page = client.get(response["Location"]).content.decode()
    assert "Mail server is down" in page and 'data-clock-state="running"' in page


def test_engineer_registers_an_order_on_the_clients_behalf_with_the_time_it_was_reported(client, world_a):
    contract = active_contract(world_a)
    now = timezone.now().replace(second=0, microsecond=0)
    called_at = now - dt.timedelta(hours=20)
    with time_machine.travel(now, tick=False):
        signed_in(client, world_a.engineer)
        response = client.post(reverse("orders:order-create"), raise_data(contract, reported_at=local_input(called_at)))
        assert response.status_code == 302
        with world_a.context():
            order = Order.objects.get()
        assert order.reported_at == called_at and order.reported_by == world_a.engineer
        assert clocks(world_a, order)["response"].due_at == now + dt.timedelta(hours=4)
        page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert 'data-clock-state="warned"' in page  # 20 of 24 hours used: past the 75 % threshold
    assert "4 h 0 min" in page


def test_an_order_on_a_contract_that_is_not_active_is_a_form_error_and_nothing_is_saved(client, world_a):
    draft = draft_contract(world_a)
    active_contract(world_a)
    signed_in(client, world_a.engineer)
    page = client.get(reverse("orders:order-create")).content.decode()
    assert draft.number not in page  # only active contracts are offered

    response = client.post(reverse("orders:order-create"), raise_data(draft))

    assert response.status_code == 400
    assert "Orders are raised only on an active contract." in response.context["form"].errors["contract"]
    assert order_count(world_a) == 0


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": ""}, "title"),
    ({"priority": "urgent"}, "priority"),
    ({"reported_at": "2000-01-01T10:00"}, "reported_at"),
    ({"desired_deadline": "2000-01-01T10:00"}, "desired_deadline"),
])
def test_bad_input_when_registering_names_the_field_and_saves_nothing(client, world_a, overrides, field):
    contract = active_contract(world_a)
    response = signed_in(client, world_a.engineer).post(reverse("orders:order-create"), raise_data(contract, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert order_count(world_a) == 0


def test_a_client_user_cannot_raise_an_order_on_another_clients_contract(client, world_a):
    _client_y, _user_y, contract_y = other_client(world_a)
    response = signed_in(client, world_a.client_admin).post(reverse("orders:portal-order-create"),
                                                            raise_data(contract_y))
    assert response.status_code == 400
    assert "contract" in response.context["form"].errors
    assert order_count(world_a) == 0


def test_a_client_user_cannot_backdate_an_order(client, world_a):
    contract = active_contract(world_a)
    signed_in(client, world_a.client_admin).post(
        reverse("orders:portal-order-create"),
        raise_data(contract, reported_at=local_input(timezone.now() - dt.timedelta(days=2))),
    )
    with world_a.context():
        order = Order.objects.get()
    assert timezone.now() - order.reported_at < dt.timedelta(minutes=1)


# --- transitions --------------------------------------------------------------------------------

def _post_transition(client, order, name, note=""):
    return client.post(reverse("orders:order-transition", args=[order.pk, name]), {"note": note}, follow=True)


def test_each_side_moves_the_order_with_its_own_buttons_and_the_history_records_it(client, world_a):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    signed_in(client, world_a.engineer)
    page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert 'data-transition="acknowledge"' in page

    response = _post_transition(client, order, "acknowledge")
    assert response.status_code == 200 and reload(world_a, order).state == "acknowledged"
    assert clocks(world_a, order)["response"].stopped_at is not None
    _post_transition(client, order, "plan")

    signed_in(client, world_a.client_admin)
    portal_page = client.get(reverse("orders:portal-order-detail", args=[order.pk])).content.decode()
    assert 'data-transition="agree"' in portal_page and 'data-transition="approve"' not in portal_page
    _post_transition(client, order, "agree")
    assert reload(world_a, order).state == "agreed"

    signed_in(client, world_a.engineer)
    for name in ("approve", "start", "deliver"):
        _post_transition(client, order, name)
    assert reload(world_a, order).state == "delivered"
    assert clocks(world_a, order)["resolution"].stopped_at is not None

    signed_in(client, world_a.client_signatory)
    response = _post_transition(client, order, "accept")
    assert reload(world_a, order).state == "accepted"
    assert "is now Accepted" in response.content.decode()
    with world_a.context():
        steps = list(OrderEvent.objects.filter(order=order, kind="transition").values_list("transition", "actor"))
    assert steps == [("acknowledge", world_a.engineer.pk), ("plan", world_a.engineer.pk),
                     ("agree", world_a.client_admin.pk), ("approve", world_a.engineer.pk),
                     ("start", world_a.engineer.pk), ("deliver", world_a.engineer.pk),
                     ("accept", world_a.client_signatory.pk)]


def test_a_step_of_the_other_side_or_from_the_wrong_state_is_refused_with_a_message(client, world_a):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)

    signed_in(client, world_a.client_admin)
    response = _post_transition(client, order, "acknowledge")
    assert "This step belongs to the other side." in response.content.decode()
    assert reload(world_a, order).state == "new"

    signed_in(client, world_a.engineer)
    response = _post_transition(client, order, "deliver")
    assert "cannot do that" in response.content.decode()
    response = _post_transition(client, order, "agree")  # the client's step, and from the wrong state
    assert "was refused" in response.content.decode()
    response = _post_transition(client, order, "cancel")  # needs a reason
    assert "Give a reason." in response.content.decode()
    assert reload(world_a, order).state == "new"
    with world_a.context():
        assert not OrderEvent.objects.filter(order=order, kind="transition").exists()
    assert client.post(reverse("orders:order-transition", args=[order.pk, "delete"])).status_code == 404
    assert client.get(reverse("orders:order-transition", args=[order.pk, "acknowledge"])).status_code == 405


def test_waiting_on_the_client_pauses_the_resolution_clock_on_the_page(client, world_a):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract, kind="incident")
    for name in ("acknowledge", "start_incident"):
        fire(world_a, order, name, world_a.engineer)
    signed_in(client, world_a.engineer)
    _post_transition(client, order, "wait_on_client", note="Need the error log")
    page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert 'data-metric="resolution" data-clock-state="paused"' in page
    assert "Need the error log" in page
    signed_in(client, world_a.client_admin)
    _post_transition(client, order, "resume")  # either side resumes
    assert reload(world_a, order).state == "in_progress"
    assert clocks(world_a, order)["resolution"].paused_since is None


# --- comments and history -----------------------------------------------------------------------

def test_internal_comments_never_reach_the_client(client, world_a):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    signed_in(client, world_a.engineer)
    url = reverse("orders:order-comment", args=[order.pk])
    assert client.post(url, {"comment-body": "Vendor ticket #4411, do not share", "comment-internal": "on"}).status_code == 302
    assert client.post(url, {"comment-body": "We are on it."}).status_code == 302
    staff_page = client.get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert "Vendor ticket #4411" in staff_page and "We are on it." in staff_page

    signed_in(client, world_a.client_admin)
    portal_page = client.get(reverse("orders:portal-order-detail", args=[order.pk])).content.decode()
    assert "We are on it." in portal_page
    assert "Vendor ticket #4411" not in portal_page
    assert "comment-internal" not in portal_page  # no checkbox for the client either
    # a client cannot make an internal comment, even by posting the field
    assert client.post(url, {"comment-body": "Thanks!", "comment-internal": "on"}).status_code == 302
    with world_a.context():
        assert OrderComment.objects.get(body="Thanks!").internal is False

    response = client.post(url, {"comment-body": "  "})
    assert response.status_code == 400
    assert "body" in response.context["comment_form"].errors


def test_scope_and_deadline_changes_are_history_the_client_sees(client, world_a):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    new_deadline = (timezone.now() + dt.timedelta(days=5)).replace(second=0, microsecond=0)
    signed_in(client, world_a.engineer)
    edit_url = reverse("orders:order-edit", args=[order.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, {"title": "Printers on floors 3 and 4", "description": "",
                                      "expected_result": "", "priority": "high",
                                      "desired_deadline": local_input(new_deadline)})
    assert response.status_code == 302
    changed = reload(world_a, order)
    assert (changed.title, changed.priority, changed.desired_deadline) == ("Printers on floors 3 and 4", "high", new_deadline)
    with world_a.context(user=world_a.engineer):
        team = Team.objects.create(name="Field team", provider=world_a.own_provider)
    client.post(reverse("orders:order-assign", args=[order.pk]), {"assign-team": team.pk, "assign-assignee": world_a.engineer.pk})
    assert reload(world_a, order).assignee == world_a.engineer

    signed_in(client, world_a.client_admin)
    page = client.get(reverse("orders:portal-order-detail", args=[order.pk])).content.decode()
    assert 'data-field="title"' in page and "Printers on floors 3 and 4" in page
    assert 'data-field="desired_deadline"' in page
    assert new_deadline.astimezone(MOSCOW).strftime("%Y-%m-%d %H:%M") in page
    assert 'data-kind="assigned"' not in page  # internal routing is not the client's history


def test_scope_cannot_change_once_the_plan_is_agreed(client, world_a):
    contract = active_contract(world_a)
    order = raise_order(world_a, contract)
    for name, actor in (("acknowledge", world_a.engineer), ("plan", world_a.engineer), ("agree", world_a.client_admin)):
        fire(world_a, order, name, actor)
    response = signed_in(client, world_a.engineer).post(reverse("orders:order-edit", args=[order.pk]), {
        "title": "Something else", "priority": "low"})
    assert response.status_code == 400
    assert "only before the plan is agreed" in response.content.decode()
    assert reload(world_a, order).title == "Printer on floor 3 is jammed"


# --- the list ----------------------------------------------------------------------------------

def test_the_list_sorts_by_due_soonest_and_filters(client, world_a):
    contract = active_contract(world_a)
    second_contract = active_contract(world_a, number="SC-SECOND")
    now = timezone.now()
    late = raise_order(world_a, contract, actor=world_a.engineer, title="Late",
                       reported_at=now - dt.timedelta(hours=30))  # response overdue
    soon = raise_order(world_a, second_contract, actor=world_a.engineer, title="Soon",
                       reported_at=now - dt.timedelta(hours=10))
    fresh = raise_order(world_a, contract, title="Fresh")
    done = raise_order(world_a, contract, title="Cancelled one")
    fire(world_a, done, "cancel", world_a.client_admin)
    with world_a.context(user=world_a.engineer):
        team = Team.objects.create(name="Network team", provider=world_a.own_provider)
        TeamMember.objects.create(team=team, user=world_a.engineer)
        services.order_assign(order=soon, actor=world_a.account_manager, team=team, assignee=world_a.engineer)
    sla_sweep()

    signed_in(client, world_a.account_manager)
    url = reverse("orders:order-list")

    def listed(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [o.title for o in response.context["page"]]

    assert listed() == ["Late", "Soon", "Fresh", "Cancelled one"]
    assert listed(state="cancelled") == ["Cancelled one"]
    assert listed(state="open") == ["Late", "Soon", "Fresh"]
    assert listed(contract=second_contract.pk) == ["Soon"]
    assert listed(team=team.pk) == ["Soon"]
    assert listed(assignee=world_a.engineer.pk) == ["Soon"]
    assert listed(breached="yes") == ["Late"]
    assert listed(breached="no", sort="oldest") == ["Soon", "Fresh", "Cancelled one"]
    assert listed(q="fresh") == ["Fresh"]
    page = client.get(url).content.decode()
    assert page.count("data-countdown=") >= 3 and "overdue by" in page
    assert 'data-clock-state="breached"' in page
    assert [o.pk for o in client.get(url).context["page"]][:3] == [late.pk, soon.pk, fresh.pk]


def test_the_list_uses_a_bounded_number_of_queries(client, world_a, django_assert_max_num_queries):
    contract = active_contract(world_a)
    for n in range(6):
        raise_order(world_a, contract, title=f"Order {n}")
    signed_in(client, world_a.account_manager)
    client.get(reverse("orders:order-list"))  # warm the session
    with django_assert_max_num_queries(20):
        assert client.get(reverse("orders:order-list")).status_code == 200


def test_client_users_list_only_their_clients_orders(client, world_a):
    contract = active_contract(world_a)
    _client_y, user_y, contract_y = other_client(world_a)
    raise_order(world_a, contract, title="Ours")
    raise_order(world_a, contract_y, actor=user_y, title="Theirs")
    response = signed_in(client, world_a.client_viewer).get(reverse("orders:portal-order-list"))
    assert [o.title for o in response.context["page"]] == ["Ours"]
    assert "team" not in response.context["filter_form"].fields
    # a client user on the provider's list is sent to the portal
    assert client.get(reverse("orders:order-list"))["Location"] == reverse("portal")


# --- walls ------------------------------------------------------------------------------------

def _order_urls(order) -> tuple[list[str], list[str]]:
    gets = [reverse("orders:order-detail", args=[order.pk]), reverse("orders:order-edit", args=[order.pk]),
            reverse("orders:portal-order-detail", args=[order.pk])]
    posts = [reverse("orders:order-transition", args=[order.pk, "acknowledge"]),
             reverse("orders:order-transition", args=[order.pk, "cancel"]),
             reverse("orders:order-comment", args=[order.pk]),
             reverse("orders:order-assign", args=[order.pk]),
             reverse("orders:order-edit", args=[order.pk])]
    return gets, posts


def test_every_order_page_is_a_404_for_another_tenants_order(client, world_a, world_b):
    theirs = raise_order(world_b, active_contract(world_b))
    gets, posts = _order_urls(theirs)
    signed_in(client, world_a.account_manager)
    for url in gets:
        if "portal" not in url:
            assert client.get(url).status_code == 404, url
    for url in posts:
        assert client.post(url, {"note": "x", "comment-body": "x", "title": "x", "priority": "low"}).status_code == 404, url
    signed_in(client, world_a.client_admin)
    assert client.get(reverse("orders:portal-order-detail", args=[theirs.pk])).status_code == 404
    for url in posts[:3]:
        assert client.post(url, {"note": "x", "comment-body": "x"}).status_code == 404, url
    assert reload(world_b, theirs).state == "new"
    with world_b.context():
        assert not OrderComment.objects.exists()


def test_a_client_user_gets_a_404_for_another_clients_order(client, world_a):
    _client_y, user_y, contract_y = other_client(world_a)
    theirs = raise_order(world_a, contract_y, actor=user_y, title="Client Y's secret")
    signed_in(client, world_a.client_admin)
    assert client.get(reverse("orders:portal-order-detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("orders:order-edit", args=[theirs.pk])).status_code == 404
    for url in (reverse("orders:order-transition", args=[theirs.pk, "cancel"]),
                reverse("orders:order-comment", args=[theirs.pk])):
        assert client.post(url, {"note": "x", "comment-body": "x"}).status_code == 404, url
    assert reload(world_a, theirs).state == "new"
    # the provider-side address of an order sends a client user to the portal's
    mine = raise_order(world_a, active_contract(world_a))
    response = client.get(reverse("orders:order-detail", args=[mine.pk]))
    assert response["Location"] == reverse("orders:portal-order-detail", args=[mine.pk])


def test_the_demo_data_has_orders_with_warned_and_breached_clocks_and_a_ringing_bell():
    from django.core.management import call_command

    from sla.models import Breach
    from tenancy.context import tenant_context
    from tenancy.models import Notification, Tenant

    call_command("demo_data", "--quiet-logins")
    for tenant in Tenant.objects.all():
        with tenant_context(tenant):
            states = set(Order.objects.values_list("state", flat=True))
            assert {"new", "acknowledged", "in_progress", "waiting_on_client", "delivered", "accepted"} <= states
            assert SLAClock.objects.filter(warned_at__isnull=False, breached_at__isnull=True).exists()
            assert SLAClock.objects.filter(paused_since__isnull=False).exists()
            assert Breach.objects.exists()
            assert Notification.objects.filter(read_at__isnull=True).exists()
