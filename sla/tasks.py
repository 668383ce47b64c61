"""Celery tasks of the SLA engine: the sweep (beat, every minute) and its notifications."""

from __future__ import annotations

from celery import shared_task

from tenancy.context import tenant_context

from . import notifications, services


@shared_task(name="sla.tasks.sweep")
def sweep() -> dict:
    result = services.sla_sweep()
    return {"warned": len(result.warned), "breached": len(result.breached)}


@shared_task(name="sla.tasks.notify_clocks")
def notify_clocks(tenant_id: int, warned: list[int], breached: list[int]) -> int:
    with tenant_context(tenant_id):
        return notifications.notify_clocks(warned=warned, breached=breached)
