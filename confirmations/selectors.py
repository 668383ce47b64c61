"""Reads of acts shared by pages, the API and the verification; each loads what its caller touches."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Exists, Max, OuterRef, Prefetch, Q

from orders.models import Order, OrderState

from .models import Act, ActEvent, ActLine, ActState, CorrectiveAction, OrderRating

CLIENT_VISIBLE_STATES = [s for s in ActState.values if s != ActState.DRAFT]


def act_list(*, client_id: int | None = None, contract_id=None, state: str = "", period_from=None,
             period_to=None):
    """Acts with contract, client and confirmation loaded (no line count: nothing shows one, and its
    GROUP BY made every list and its count join the lines).

    `client_id` limits a client-side user to their client's acts, and hides drafts from them.
    """
    queryset = (
        Act.objects.select_related("contract", "client", "confirmation", "sent_by")
        .order_by("-period_start", "-id")
    )
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id, state__in=CLIENT_VISIBLE_STATES)
    if contract_id:
        queryset = queryset.filter(contract_id=contract_id)
    if state:
        queryset = queryset.filter(state=state)
    if period_from:
        queryset = queryset.filter(period_end__gte=period_from)
    if period_to:
        queryset = queryset.filter(period_start__lte=period_to)
    return queryset


def act_lines():
    return ActLine.objects.select_related("order").order_by("position")


def act_get(*, act_id, client_id: int | None = None) -> Act:
    """One act of the current tenant (of `client_id`, for a client user) with its page's data."""
    return (
        act_list(client_id=client_id)
        .select_related("contract__provider", "evidence", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=act_lines()),
            Prefetch("confirmation__order_ratings", queryset=OrderRating.objects.select_related("order")),
        )
        .get(pk=act_id)
    )


def act_timeline(*, act: Act):
    return ActEvent.objects.filter(act=act).select_related("actor").order_by("at", "id")


def act_is_busy(act: Act) -> bool:
    """A PDF is being rendered or sealed by a worker right now."""
    return pdf_is_busy(act.state, act.pdf_sha256, act.sealed_sha256)


def pdf_is_busy(state: str, pdf_sha256: str, sealed_sha256: str) -> bool:
    """`act_is_busy` of an act's columns (the API list reads them without building the act)."""
    if state == ActState.SENT and not pdf_sha256:
        return True
    return state in (ActState.SIGNED, ActState.DEEMED_ACCEPTED) and not sealed_sha256


def _bounds(day_from: dt.date, day_to: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    zone = zoneinfo.ZoneInfo(time_zone)
    start = dt.datetime.combine(day_from, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def orders_for_act(*, contract, period_start: dt.date, period_end: dt.date, exclude_act=None):
    """Delivered or accepted orders of `contract` delivered within the period (in the tenant's
    time zone) that no other act lists yet, annotated with `delivered_at`, oldest first."""
    start, end = _bounds(period_start, period_end, contract.tenant.time_zone)
    other_lines = ActLine.objects.filter(order=OuterRef("pk"))
    if exclude_act is not None:
        other_lines = other_lines.exclude(act=exclude_act)
    return (
        Order.objects.filter(contract=contract, state__in=[OrderState.DELIVERED, OrderState.ACCEPTED])
        .annotate(delivered_at=Max("events__at", filter=Q(events__to_state=OrderState.DELIVERED)))
        .filter(delivered_at__gte=start, delivered_at__lt=end)
        .exclude(Exists(other_lines))
        .order_by("delivered_at", "id")
    )


def corrective_action_list(*, state: str = ""):
    queryset = CorrectiveAction.objects.select_related("contract", "client", "owner", "opened_by__act")
    return queryset.filter(state=state) if state else queryset
