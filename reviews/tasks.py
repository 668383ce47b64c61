"""Celery tasks of reviews: thin, idempotent wrappers around services, tenant by tenant."""

from __future__ import annotations

import logging

from celery import shared_task

from tenancy.context import tenant_context
from tenancy.tasks import each_tenant

from . import services

logger = logging.getLogger(__name__)


def _per_tenant(work, tenant_id: int | None) -> int:
    if tenant_id is not None:
        with tenant_context(tenant_id):
            return work()
    total = 0
    for tenant in each_tenant():
        done = work()
        if done:
            logger.info("%s: %s for tenant %s", work.__name__, done, tenant.pk)
        total += done
    return total


@shared_task(name="reviews.tasks.create_due_reviews")
def create_due_reviews(tenant_id: int | None = None) -> int:
    """Beat task (hourly, safe more often): the review of the quarter (and contract year, and half)
    that just ended for every active contract, once per contract, kind and period (a unique
    constraint), with the account manager and the client admin told."""
    return _per_tenant(services.reviews_create_due, tenant_id)


@shared_task(name="reviews.tasks.remind_reviews")
def remind_reviews(tenant_id: int | None = None) -> int:
    """Beat task (hourly, safe more often): overdue action items remind their owner once a day and,
    after a few days, the account manager; reviews left unprepared past their meeting date remind the
    account manager. One reminder per item (or review) and day: a unique notification key."""
    return _per_tenant(services.reviews_remind, tenant_id)
