"""Celery tasks of the contracts app: thin, idempotent wrappers around services."""

from __future__ import annotations

import logging

from celery import shared_task

from tenancy.context import tenant_context
from tenancy.tasks import each_tenant

from . import services

logger = logging.getLogger(__name__)


@shared_task(name="contracts.tasks.expire_ended_contracts")
def expire_ended_contracts(tenant_id: int | None = None) -> int:
    """Beat task: expire active and suspended contracts past their end date, tenant by tenant.

    Safe to run twice: a contract already expired is no longer selected.
    """
    if tenant_id is not None:
        with tenant_context(tenant_id):
            return services.contracts_expire_ended()
    total = 0
    for tenant in each_tenant():
        expired = services.contracts_expire_ended()
        if expired:
            logger.info("expired %s contract(s) of tenant %s", expired, tenant.pk)
        total += expired
    return total
