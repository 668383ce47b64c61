"""Celery tasks of the SLA engine: the sweep (beat, every minute) and its notifications."""

from __future__ import annotations

from celery import shared_task

from tenancy.context import tenant_context

from . import notifications, services
from .models import SLAClock
from .signals import clocks_crossed


@shared_task(name="sla.tasks.sweep")
def sweep() -> dict:
    result = services.sla_sweep()
    return {"warned": len(result.warned), "breached": len(result.breached)}


@shared_task(name="sla.tasks.notify_clocks")
def notify_clocks(tenant_id: int, warned: list[int], breached: list[int]) -> int:
    with tenant_context(tenant_id):
        sent = notifications.notify_clocks(warned=warned, breached=breached)
        clocks_crossed.send(sender=SLAClock, warned=warned, breached=breached)
        return sent


@shared_task(name="sla.tasks.fan_out_notifications")
def fan_out_notifications(batches: dict) -> int:
    """One message from the sweep, one notification task per tenant from here: the sweep's
    transaction publishes once whatever the number of tenants, and tenants are told in parallel."""
    for tenant_id, ids in batches.items():
        notify_clocks.delay(int(tenant_id), ids["warned"], ids["breached"])
    return len(batches)
