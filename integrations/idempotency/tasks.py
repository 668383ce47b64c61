"""Celery tasks of integrations.idempotency."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import per_tenant

from .services import idempotency_purge_expired


@shared_task(name="integrations.idempotency.tasks.purge_expired_keys")
def purge_expired_keys(tenant_id: int | None = None) -> int:
    """Beat task (hourly, safe at any time): delete idempotency keys past their 24 hours, tenant by
    tenant. Until then a lookup treats them as absent, so a late purge changes no answer."""
    return per_tenant(idempotency_purge_expired, tenant_id)
