"""Helpers for Celery tasks that work tenant by tenant."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from celery import shared_task

from .context import require_tenant_id, tenant_context
from .models import Tenant

logger = logging.getLogger(__name__)


def each_tenant() -> Iterator[Tenant]:
    """Yield every tenant with the tenant context set to it: a sweep without the escape."""
    for tenant in Tenant.objects.order_by("pk"):
        with tenant_context(tenant):
            yield tenant


def per_tenant(work: Callable[[], int], tenant_id: int | None = None) -> int:
    """Run a tenant-scoped service for one tenant (`tenant_id`) or for each in turn, and add up
    what it did: the body of a beat task that works tenant by tenant."""
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


def audit_chain_link() -> int:
    """Link the current tenant's unlinked event rows (the body of `link_audit_chains`)."""
    from .chain import chain_link

    return chain_link(require_tenant_id())


@shared_task(name="tenancy.tasks.link_audit_chains")
def link_audit_chains(tenant_id: int | None = None) -> int:
    """Beat task: link every tenant's event rows that their commit's own linking missed (a worker
    died, an error was logged). Safe to run twice or at once: linkers queue on the head row."""
    return per_tenant(audit_chain_link, tenant_id)


# Outgoing mail's tasks (`tenancy.mail.send_outbound`, `tenancy.mail.requeue_stale`) live with their
# service; importing it here registers them with the worker.
from . import mail  # noqa: E402, F401
