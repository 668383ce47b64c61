"""orders.table: the orders table's rows written in Python are the rows the template wrote — the
orders page, the portal's orders page and the portal's front page, with tick boxes and without, in
English and Russian, in the tenant's time zone — for orders of every kind of row: an incident, an
assigned and a team-only order, a paused and a finished one, an overdue one, a title that needs
escaping."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.template import engines
from django.utils import timezone, translation

from orders import services
from orders.models import Team
from tests.contracts.api_support import active_contract
from tests.support import raise_order, signed_in

pytestmark = pytest.mark.django_db

# The row loop of templates/orders/_order_table.html before its rows were written in Python.
TEMPLATE_ROWS = """{% load i18n sla_tags ui %}
  {% for order in orders %}
    <tr data-order="{{ order.number }}">
      {% if bulk %}<td class="bulk-check"><input type="checkbox" name="bulk-orders" value="{{ order.pk }}" form="order-bulk" aria-label="{% blocktranslate with number=order.number %}Tick order {{ number }}{% endblocktranslate %}"></td>{% endif %}
      <td><a class="nowrap" href="{% if portal %}{% url 'orders:portal-order-detail' order.pk %}{% else %}{% url 'orders:order-detail' order.pk %}{% endif %}">{{ order.number }}</a>{% if order.kind == "incident" %}<div><span class="badge badge-danger">{% translate "Incident" %}</span></div>{% endif %}</td>
      <td>{{ order.title }}<div class="muted small">{{ order.contract.number }}</div></td>
      {% if header_sorts %}<td><time class="nowrap" datetime="{{ order.reported_at|date:'c' }}">{{ order.reported_at|date:"SHORT_DATE_FORMAT" }}</time><div class="muted small">{{ order.reported_at|time:"H:i" }}</div></td>{% endif %}
      {% if not portal %}<td>{{ order.client }}</td>{% endif %}
      <td><span class="badge priority-{{ order.priority }}">{{ order.get_priority_display }}</span></td>
      <td><span class="badge tone-{{ order.state|tone:"order" }}" data-tone="{{ order.state|tone:"order" }}" data-state="{{ order.state }}">{{ order.get_state_display }}</span>

</td>
      <td>{% for clock in order.clock_states %}<span class="badge clock clock-{{ clock.state }}" data-clock-state="{{ clock.state }}" title="{{ clock.metric }}: {{ clock.label }}">{{ clock.metric }}: {{ clock.label }}</span> {% endfor %}
</td>
      <td class="nowrap">
        {% if order.next_due_at %}
          <span class="countdown{% if order.next_due_at|is_overdue %} is-overdue{% endif %}" data-countdown="{{ order.next_due_at|date:'c' }}" data-in="{% translate 'in %s' %}" data-over="{% translate 'overdue by %s' %}" data-units="{% translate 'd' %}|{% translate 'h' %}|{% translate 'min' %}">{{ order.next_due_at|countdown }}</span>

          <div class="muted small"><time datetime="{{ order.next_due_at|date:'c' }}">{{ order.next_due_at|date:"SHORT_DATETIME_FORMAT" }}</time></div>
        {% elif order.any_paused %}<span class="muted">{% translate "paused" %}</span>
        {% else %}<span class="muted">—</span>{% endif %}
      </td>
      {% if not portal %}<td>{% if order.assignee %}{{ order.assignee.get_full_name|default:order.assignee.get_username }}{% else %}<span class="muted">{{ order.team|default:"—" }}</span>{% endif %}</td>{% endif %}
    </tr>
  {% empty %}
    <tr><td colspan="10" class="muted">{% translate "No orders." %}</td></tr>
  {% endfor %}
"""

PYTHON_ROWS = "{% load order_table %}{% order_rows orders portal=portal bulk=bulk dated=header_sorts %}"


def normalized(html: str) -> str:
    """Whitespace as a browser reads it: runs of it are one space, none around rows, cells and divs."""
    html = re.sub(r"\s+", " ", html)
    return re.sub(r"\s*(</?(?:tr|td|div)\b[^>]*>)\s*", r"\1", html).strip()


def rendered(source: str, context) -> str:
    return engines["django"].from_string(source).render(context)


def assert_same_rows(response, *, portal=False):
    context = {name: response.context.get(name) for name in ("orders", "bulk_form", "header_sorts")}
    context["bulk"], context["portal"] = context.pop("bulk_form"), portal
    if context["orders"] is None:  # the portal's front page
        context["orders"] = response.context["open_orders"]
    zone = response.context.get("display_time_zone") or "UTC"
    with timezone.override(zone), translation.override(response.context["LANGUAGE_CODE"]):
        ours, theirs = rendered(PYTHON_ROWS, context), rendered(TEMPLATE_ROWS, context)
    ours_n, theirs_n = normalized(ours), normalized(theirs)
    at = next((i for i, (a, b) in enumerate(zip(ours_n, theirs_n, strict=False)) if a != b), min(len(ours_n), len(theirs_n)))
    assert ours_n == theirs_n, f"first difference:\n{ours_n[at - 200:at + 200]}\n{theirs_n[at - 200:at + 200]}"
    return ours


@pytest.fixture
def orders(world_a):
    contract = active_contract(world_a)
    made = {
        "incident": raise_order(world_a, contract, kind="incident", title="Mail <server> & \"relay\" down"),
        "assigned": raise_order(world_a, contract, title="Printer"),
        "team": raise_order(world_a, contract, title="Network"),
        "paused": raise_order(world_a, contract, kind="incident", title="Waiting"),
        "done": raise_order(world_a, contract, title="Done"),
    }
    world_a.engineer.first_name, world_a.engineer.last_name = "Анна", "O'Neil"
    world_a.engineer.save()
    with world_a.context(user=world_a.admin):
        team = Team.objects.create(name="Line <1>", provider=world_a.own_provider)
        services.order_assign(order=made["assigned"], actor=world_a.admin, team=None, assignee=world_a.engineer)
        services.order_assign(order=made["team"], actor=world_a.admin, team=team)
        for name, steps in {"paused": ["acknowledge", "start_incident", "wait_on_client"], "done": ["cancel"]}.items():
            for step in steps:
                services.order_transition(order=made[name], name=step, actor=world_a.admin, note="by the test")
    return made


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_orders_page_writes_the_rows_the_template_wrote(client, world_a, orders, language):
    for later in (dt.timedelta(0), dt.timedelta(days=40)):  # the open clocks due, then overdue
        with time_machine.travel(timezone.now() + later):
            signed_in(client, world_a.admin)
            response = client.get("/orders/", HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200
            html = assert_same_rows(response)
    assert response.context["bulk_form"] is not None and 'name="bulk-orders"' in html
    assert "Mail &lt;server&gt; &amp; &quot;relay&quot; down" in html
    assert "Line &lt;1&gt;" in html and "O&#x27;Neil" in html
    assert "is-overdue" in html and "data-clock-state=" in html


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_portal_pages_write_the_rows_the_template_wrote(client, world_a, orders, language):
    signed_in(client, world_a.client_admin)
    for url in ("/portal/orders/", "/portal/"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        html = assert_same_rows(response, portal=True)
        assert "Printer" in html and 'name="bulk-orders"' not in html


def test_an_engineer_without_the_bulk_form_and_an_empty_list(client, world_a, world_b, orders):
    signed_in(client, world_a.engineer)
    response = client.get("/orders/")
    assert response.context["bulk_form"] is None
    assert_same_rows(response)
    signed_in(client, world_b.admin)
    response = client.get("/orders/")
    assert "Printer" not in assert_same_rows(response)
