"""Reads of reviews shared by the pages, the API, the PDF and the CSV."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Coalesce

from contracts.models import Contract, ContractState

from .metrics import sla_metrics
from .models import ActionItem, ActionItemState, Review, ReviewEvent, ReviewState


def review_list(*, client_id: int | None = None, state: str = "", contract_id: int | None = None, kind: str = "",
                open_items: bool = False):
    """Reviews of the current tenant (a client user: their client's only), newest period first, with
    their action items counted and the meeting's day (held, else proposed) as `meeting_on`."""
    queryset = (Review.objects.select_related("contract", "client")
                .annotate(item_count=Count("items"),
                          open_item_count=Count("items", filter=Q(items__state=ActionItemState.OPEN)),
                          meeting_on=Coalesce("held_on", "proposed_meeting_date"))
                .order_by("-period_end", "-id"))
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    if state:
        queryset = queryset.filter(state=state)
    if contract_id is not None:
        queryset = queryset.filter(contract_id=contract_id)
    if kind:
        queryset = queryset.filter(kind=kind)
    if open_items:
        queryset = queryset.filter(open_item_count__gt=0)
    return queryset


def action_item_list(*, today: dt.date | None = None, show: str = "open", client_id: int | None = None,
                     owner_id: int | None = None, contract_id: int | None = None):
    """The action items of the current tenant's reviews (a client user: their client's), with their
    review, contract, client and owner. `show`: `open` (the default), `overdue` (open and past the due
    date, the organisation's `today`), `done`, `dropped` or `all`. A cancelled review's items are not
    a plan anyone follows and are left out."""
    items = (ActionItem.objects.exclude(review__state=ReviewState.CANCELLED)
             .select_related("review", "review__contract", "review__client", "owner"))
    if show == "overdue":
        if today is None:
            raise ValueError("overdue needs the organisation's today")
        items = items.filter(state=ActionItemState.OPEN, due_date__lt=today)
    elif show in (ActionItemState.OPEN, ActionItemState.DONE, ActionItemState.DROPPED):
        items = items.filter(state=show)
    if client_id is not None:
        items = items.filter(review__client_id=client_id)
    if owner_id is not None:
        items = items.filter(owner_id=owner_id)
    if contract_id is not None:
        items = items.filter(review__contract_id=contract_id)
    return items


def review_get(*, review_id, client_id: int | None = None) -> Review:
    """One review with its contract, items and confirmation; raises Review.DoesNotExist when it is
    not the current tenant's (or, for a client user, not their client's)."""
    queryset = (Review.objects.select_related("contract", "contract__tenant", "contract__provider", "client",
                                              "confirmation", "created_by")
                .prefetch_related(Prefetch("items", queryset=ActionItem.objects.select_related("owner")
                                           .order_by("id"))))
    if client_id is not None:
        queryset = queryset.filter(client_id=client_id)
    return queryset.get(pk=int(review_id))


def review_timeline(*, review: Review):
    return ReviewEvent.objects.filter(review=review).select_related("actor", "item").order_by("at", "id")


def previous_review_id(review: Review) -> int | None:
    """The latest earlier review of the same contract and kind that was not cancelled."""
    return (Review.objects.filter(contract_id=review.contract_id, kind=review.kind,
                                  period_end__lt=review.period_start)
            .exclude(state=ReviewState.CANCELLED).order_by("-period_end").values_list("pk", flat=True).first())


def review_live_report(review: Review) -> dict:
    return sla_metrics(contract_ids=[review.contract_id], period_start=review.period_start,
                       period_end=review.period_end, time_zone=review.contract.tenant.time_zone,
                       previous_review_id=previous_review_id(review))


def review_report(review: Review) -> dict:
    """The frozen snapshot once prepared; the live figures while the review is only scheduled."""
    if review.is_frozen:
        return review.snapshot
    return review_live_report(review)


def contract_metrics(*, contract: Contract, date_from: dt.date, date_to: dt.date) -> dict:
    return sla_metrics(contract_ids=[contract.pk], period_start=date_from, period_end=date_to,
                       time_zone=contract.tenant.time_zone)


def overdue_items(*, today: dt.date):
    """Open action items past their due date, of reviews that still count (not cancelled)."""
    return (ActionItem.objects.filter(state=ActionItemState.OPEN, due_date__lt=today, owner__isnull=False)
            .exclude(review__state=ReviewState.CANCELLED)
            .select_related("owner", "review", "review__contract").order_by("due_date", "id"))


def meetings_passed(*, today: dt.date):
    """Reviews still scheduled (report not prepared) whose proposed meeting date has passed."""
    return (Review.objects.filter(state=ReviewState.SCHEDULED, proposed_meeting_date__lt=today)
            .select_related("contract").order_by("proposed_meeting_date", "id"))


def active_contracts_for_reviews():
    return Contract.objects.filter(state=ContractState.ACTIVE).exclude(review_cadence="none").order_by("pk")
