"""Celery tasks of disputes: thin, idempotent wrappers around services, tenant by tenant."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import per_tenant

from . import services


@shared_task(name="disputes.tasks.escalate_and_settle")
def escalate_and_settle(tenant_id: int | None = None) -> int:
    """Beat task (hourly, safe more often and concurrently): each open dispute past its stage
    deadline goes to the next stage once (its owner told), an overdue arbitration tells the
    administrators once, and resolved compensations are credited on the next issued invoice."""
    return per_tenant(services.disputes_beat, tenant_id)
