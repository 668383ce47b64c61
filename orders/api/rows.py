"""The order list's rows, built from plain values: the same dictionaries `OrderSerializer` renders
for one order (tests/orders/test_keyset_list.py holds them equal), without a model instance or a
serializer per order, clock and related row.

A list page is read in a fixed number of queries, whatever its size or the table's: the page's
orders with the names the list shows and whether each has files (one query per keyset segment,
`tenancy.keyset`), their clocks with the clocks' calendars, and the files the caller may see (only
when an order of the page has any).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from django.utils import timezone

from sla.models import BusinessCalendar, Metric
from sla.selectors import clock_status
from tenancy.api_rows import datetime_writer
from tenancy.models import ApiKey

from ..models import Order
from ..selectors import (
    CALENDAR_VALUES,
    PAGE_CLOCK_VALUES,
    ROW_NAMES,
    order_attachments,
    page_clock_rows,
)
from ..services import TRANSITIONS, order_side
from .serializers import OrderAttachmentSerializer

_PEOPLE = ("assignee", "reported_by")
VALUES = (
    "id", "tenant_id", "number", "kind", "title", "description", "expected_result", "priority", "desired_deadline",
    "state", "contract_id", "client_id", "team_id", "assignee_id", "reported_at", "reported_by_id", "created_at",
    "next_due_at", "is_breached", *[name for name, *_ in ROW_NAMES], "row_has_files",
)  # over `orders.selectors.order_api_rows`, which names the related rows' columns
_METRIC_ORDER = {Metric.RESPONSE: 0, Metric.RESOLUTION: 1}


def _name(row: dict, person: str) -> str:
    if row[f"{person}_id"] is None:
        return ""
    full = f"{row[f'row_{person}_first_name']} {row[f'row_{person}_last_name']}".strip()
    return full or row[f"row_{person}_username"]


def _seconds(value: dt.timedelta) -> int:
    return int(value.total_seconds())


class OrderRows:
    """Renders a page of order value rows for one request."""

    def __init__(self, *, request, client_view: bool, now: dt.datetime | None = None):
        self.request = request
        self.client_view = client_view
        self.now = now or timezone.now()
        self.when = datetime_writer(timezone.get_current_timezone())
        self.calendars: dict = {}
        self.transitions: dict = {}
        self.sides: dict = {}
        self.may_act: bool | None = None

    def render(self, rows: list[dict]) -> list[dict]:
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        clocks = self._clocks(ids)
        with_files = [row["id"] for row in rows if row["row_has_files"]]
        files = self._files(with_files) if with_files else {}  # no file on the page: no query
        return [self._row(row, clocks.get(row["id"], []), files.get(row["id"], [])) for row in rows]

    # --- what the page needs besides its rows --------------------------------------------

    def _clocks(self, ids: list[int]) -> dict[int, list]:
        rows = page_clock_rows(ids)
        calendars: dict = {None: None}
        by_order: dict[int, list] = {}
        for row in rows:
            calendar_id = row["calendar_id"]
            if calendar_id not in calendars:  # the clocks' calendars, one instance each, from the same query
                calendars[calendar_id] = BusinessCalendar(
                    pk=calendar_id, **{name: row[f"calendar__{name}"] for name in CALENDAR_VALUES})
            clock = SimpleNamespace(**{name: row[name] for name in PAGE_CLOCK_VALUES}, calendar=calendars[calendar_id])
            by_order.setdefault(row["order_id"], []).append(clock)
        for clocks in by_order.values():
            clocks.sort(key=lambda clock: _METRIC_ORDER[clock.metric])
        return by_order

    def _files(self, ids: list[int]) -> dict[int, list]:
        found = order_attachments(client_view=self.client_view).filter(order_id__in=ids)
        by_order: dict[int, list] = {}
        for attachment in found:
            by_order.setdefault(attachment.order_id, []).append(attachment)
        context = {"request": self.request}
        return {order_id: OrderAttachmentSerializer(items, many=True, context=context).data
                for order_id, items in by_order.items()}

    # --- one row --------------------------------------------------------------------------

    def _side(self, row: dict) -> str | None:
        """`orders.services.order_side` of the row: it reads the order's tenant and client only."""
        order = SimpleNamespace(tenant_id=row["tenant_id"], client_id=row["client_id"])
        return order_side(actor=getattr(self.request, "user", None), order=order)

    def _may_act(self) -> bool:
        """Whether the caller may fire any transition at all (the same for every row of the page)."""
        request = self.request
        if request is None or not request.user.is_authenticated:
            return False
        return not (isinstance(request.auth, ApiKey) and not request.auth.allows(ApiKey.Scope.WRITE))

    def _available(self, row: dict) -> list[str]:
        if self.may_act is None:
            self.may_act = self._may_act()
        if not self.may_act:
            return []
        # the side depends on the order's tenant and client only: once per page for each
        side_key = (row["tenant_id"], row["client_id"])
        if side_key not in self.sides:
            self.sides[side_key] = self._side(row)
        side = self.sides[side_key]
        if side is None:
            return []
        # the transitions open to an order depend on its state, its kind (start_incident's
        # condition) and the caller's side only
        key = (row["state"], row["kind"], side)
        if key not in self.transitions:
            probe = Order(state=row["state"], kind=row["kind"])
            names = {t.name for t in probe.get_available_state_transitions() if t.custom.get("side") in ("any", side)}
            self.transitions[key] = [name for name in TRANSITIONS if name in names]
        return list(self.transitions[key])

    def _clock(self, clock) -> dict:
        status = clock_status(clock, now=self.now, calendars=self.calendars)
        when = self.when
        return {
            "metric": status.metric, "state": status.state,
            "target_seconds": _seconds(status.target), "elapsed_seconds": _seconds(status.elapsed),
            "paused_seconds": _seconds(status.paused_time), "time_left_seconds": _seconds(status.time_left),
            "started_at": when(status.started_at), "due_at": when(status.due_at),
            "paused_since": when(status.paused_since), "warned_at": when(status.warned_at),
            "stopped_at": when(status.stopped_at), "breached_at": when(status.breached_at),
        }

    def _row(self, row: dict, clocks: list, files: list) -> dict:
        when = self.when
        return {
            "id": row["id"], "number": row["number"], "kind": row["kind"], "title": row["title"],
            "description": row["description"], "expected_result": row["expected_result"],
            "priority": row["priority"], "desired_deadline": when(row["desired_deadline"]), "state": row["state"],
            "contract": row["contract_id"], "contract_number": row["row_contract_number"],
            "client": row["client_id"], "client_name": row["row_client_name"],
            "team": row["team_id"], "team_name": row["row_team_name"] or "",
            "assignee": row["assignee_id"], "assignee_name": _name(row, "assignee"),
            "reported_at": when(row["reported_at"]), "reported_by": row["reported_by_id"],
            "reported_by_name": _name(row, "reported_by"), "created_at": when(row["created_at"]),
            "next_due_at": when(row["next_due_at"]), "breached": row["is_breached"],
            "clocks": [self._clock(clock) for clock in clocks],
            "available_transitions": self._available(row),
            "attachments": files,
        }
