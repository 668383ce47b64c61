"""Reads of obligations shared by pages, the API and reports (dashboard, reviews' SLA report)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q

from ..models import (
    Obligation,
    ObligationOccurrence,
    ObligationTemplate,
    OccurrenceState,
)


def obligation_list(*, contract_id=None, client_id=None, active: bool | None = None, owner_id=None):
    """Obligations with contract, client, owner and template loaded, and counts of their open and
    overdue occurrences."""
    queryset = Obligation.objects.select_related("contract", "contract__client", "owner", "template").annotate(
        open_count=Count("occurrences", filter=Q(occurrences__state__in=[OccurrenceState.PENDING,
                                                                          OccurrenceState.OVERDUE])),
        overdue_count=Count("occurrences", filter=Q(occurrences__state=OccurrenceState.OVERDUE)),
    ).order_by("contract__number", "title", "id")
    if contract_id is not None:
        queryset = queryset.filter(contract_id=contract_id)
    if client_id is not None:
        queryset = queryset.filter(contract__client_id=client_id)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    if owner_id is not None:
        queryset = queryset.filter(owner_id=owner_id)
    return queryset


def obligation_get(*, obligation_id) -> Obligation:
    return obligation_list().get(pk=obligation_id)


def occurrence_list(*, contract_id=None, client_id=None, state: str | Iterable[str] | None = None,
                    owner_id=None, obligation_id=None):
    """Occurrences, soonest due first, with obligation, contract, client, owner and doer loaded."""
    queryset = ObligationOccurrence.objects.select_related(
        "obligation", "obligation__contract", "obligation__contract__client", "obligation__owner", "done_by",
    ).order_by("due_date", "id")
    if contract_id is not None:
        queryset = queryset.filter(obligation__contract_id=contract_id)
    if client_id is not None:
        queryset = queryset.filter(obligation__contract__client_id=client_id)
    if state:
        queryset = queryset.filter(state__in=[state] if isinstance(state, str) else list(state))
    if owner_id is not None:
        queryset = queryset.filter(obligation__owner_id=owner_id)
    if obligation_id is not None:
        queryset = queryset.filter(obligation_id=obligation_id)
    return queryset


def occurrence_get(*, occurrence_id) -> ObligationOccurrence:
    return occurrence_list().get(pk=occurrence_id)


def overdue_occurrences(*, contract_id=None):
    """What the dashboard and the reviews' SLA report list: overdue, oldest first."""
    return occurrence_list(contract_id=contract_id, state=OccurrenceState.OVERDUE)


def obligation_template_list():
    return ObligationTemplate.objects.annotate(obligation_count=Count("obligations")).order_by("title", "id")


def obligation_template_get(*, template_id) -> ObligationTemplate:
    return obligation_template_list().get(pk=template_id)

