"""Celery tasks of webhooks: one delivery attempt, and the beat that finds the attempts now due."""

from __future__ import annotations

from celery import shared_task

from tenancy.context import tenant_context
from tenancy.tasks import per_tenant

from . import services


@shared_task(name="integrations.webhooks.tasks.deliver", acks_late=True)
def deliver(tenant_id: int, delivery_id: int) -> int | None:
    """Attempt one delivery if it is due (a task that comes early, late or twice does nothing wrong:
    the attempt is claimed by compare-and-set). Returns the HTTP status, if there was one."""
    with tenant_context(tenant_id):
        attempt = services.delivery_attempt(delivery_id=delivery_id)
    return attempt.status_code if attempt is not None else None


@shared_task(name="integrations.webhooks.tasks.deliver_due")
def deliver_due(tenant_id: int | None = None) -> int:
    """Beat, every minute: queue every tenant's deliveries whose next attempt is due (the long waits
    of the retry schedule, and attempts a dead worker left)."""
    return per_tenant(services.deliveries_due, tenant_id)
