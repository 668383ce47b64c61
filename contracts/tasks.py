"""Celery tasks of the contracts app: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from tenancy.context import tenant_context
from tenancy.tasks import each_tenant, per_tenant

from . import services


@shared_task(name="contracts.tasks.expire_ended_contracts")
def expire_ended_contracts(tenant_id: int | None = None) -> int:
    """Beat task: expire active and suspended contracts past their end date, tenant by tenant.

    Safe to run twice: a contract already expired is no longer selected.
    """
    return per_tenant(services.contracts_expire_ended, tenant_id)


@shared_task(name="contracts.tasks.generate_obligation_occurrences")
def generate_obligation_occurrences(tenant_id: int | None = None) -> int:
    """Beat task: create the dated occurrences of active contracts' obligations up to three months
    ahead, tenant by tenant. Safe to run twice or concurrently: an occurrence is unique per
    obligation and due date, so a second run creates nothing."""
    from . import obligations

    return per_tenant(obligations.obligation_occurrences_generate, tenant_id)


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


@shared_task(name="contracts.tasks.apply_due_amendments")
def apply_due_amendments(tenant_id: int | None = None) -> int:
    """Beat task (hourly): apply agreed amendments whose effective date has come, tenant by tenant.
    Safe to run twice or concurrently: each is applied under the contract's and its own row lock,
    once."""
    from . import amendments

    return per_tenant(amendments.amendments_apply_due, tenant_id)


@shared_task(name="contracts.tasks.renewals")
def renewals(tenant_id: int | None = None) -> int:
    """Beat task (daily): renew auto-renewing contracts on their end date, and remind account
    managers of contracts ending within their notice days (once per end date)."""
    from . import amendments

    return per_tenant(amendments.contracts_renewals, tenant_id)
