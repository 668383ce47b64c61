"""Celery tasks of reviews: thin, idempotent wrappers around services, tenant by tenant."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from tenancy.tasks import per_tenant

from . import compliance, services


@shared_task(name="reviews.tasks.create_due_reviews")
def create_due_reviews(tenant_id: int | None = None) -> int:
    """Beat task (hourly, safe more often): the review of the quarter (and contract year, and half)
    that just ended for every active contract, once per contract, kind and period (a unique
    constraint), with the account manager and the client admin told."""
    return per_tenant(services.reviews_create_due, tenant_id)


@shared_task(name="reviews.tasks.remind_reviews")
def remind_reviews(tenant_id: int | None = None) -> int:
    """Beat task (hourly, safe more often): overdue action items remind their owner once a day and,
    after a few days, the account manager; reviews left unprepared past their meeting date remind the
    account manager. One reminder per item (or review) and day: a unique notification key."""
    return per_tenant(services.reviews_remind, tenant_id)


@shared_task(name="reviews.tasks.count_compliance", autoretry_for=(OperationalError,), retry_backoff=True,
             max_retries=5)
def count_compliance(tenant_id: int | None = None) -> int:
    """Beat task (every ten minutes, safe more often or at once): count the clocks of the compliance
    trend's closed months per contract and metric for the home pages (`reviews.compliance`). A view
    that finds a month not counted yet queues it for its tenant."""
    return per_tenant(compliance.count_closed_months, tenant_id)
