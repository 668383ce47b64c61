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


@shared_task(name="contracts.tasks.generate_obligation_occurrences")
def generate_obligation_occurrences(tenant_id: int | None = None) -> int:
    """Beat task: create the dated occurrences of active contracts' obligations up to three months
    ahead, tenant by tenant. Safe to run twice or concurrently: an occurrence is unique per
    obligation and due date, so a second run creates nothing."""
    from . import obligations

    if tenant_id is not None:
        with tenant_context(tenant_id):
            return obligations.obligation_occurrences_generate()
    total = 0
    for tenant in each_tenant():
        created = obligations.obligation_occurrences_generate()
        if created:
            logger.info("created %s obligation occurrence(s) of tenant %s", created, tenant.pk)
        total += created
    return total


@shared_task(name="contracts.tasks.obligation_alerts")
def obligation_alerts(tenant_id: int | None = None) -> dict[str, int]:
    """Beat task: mark overdue occurrences, remind owners before a due date and alert after it,
    tenant by tenant. Each reminder and alert is claimed by a compare-and-set: sent once."""
    from . import obligations

    if tenant_id is not None:
        with tenant_context(tenant_id):
            return obligations.obligation_alerts_send()
    totals = {"overdue": 0, "reminded": 0, "alerted": 0}
    for _tenant in each_tenant():
        for key, value in obligations.obligation_alerts_send().items():
            totals[key] += value
    return totals
