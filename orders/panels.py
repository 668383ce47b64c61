"""The client portal's open orders with their SLA clock badges, registered with `contracts.panels`
in `OrdersConfig.ready()` (contracts' portal page shows them without importing orders)."""

from __future__ import annotations

from django.db.models import F

from sla.selectors import clock_state

from .models import OPEN_STATES
from .selectors import order_list

PORTAL_OPEN_ORDERS = 10


def portal_open_orders(request, *, client, now) -> dict:
    """The client's ten open orders due first, each with the clock badges of orders/_order_table.html
    (from the prefetched clocks)."""
    from .views import CLOCK_LABELS  # the pages' module: loaded when a page is, not at start-up

    open_orders = order_list(client_id=client.pk).filter(state__in=OPEN_STATES)
    orders = list(open_orders.order_by(F("next_due_at").asc(nulls_last=True), "-reported_at", "-id")
                  [:PORTAL_OPEN_ORDERS])
    for order in orders:
        clocks = sorted(order.clocks.all(), key=lambda clock: clock.metric != "response")
        order.clock_states = [{"metric": clock.get_metric_display(), "state": (state := clock_state(clock, now=now)),
                               "label": CLOCK_LABELS[state]} for clock in clocks]
        order.any_paused = any(c.paused_since is not None and c.stopped_at is None for c in order.clocks.all())
    return {"open_orders": orders}


def register() -> None:
    from contracts.panels import register_panel

    register_panel("portal", portal_open_orders)
