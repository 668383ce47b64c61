"""Celery tasks of acts: thin and idempotent, each loads its tenant's rows and calls a service.

Rendering and sealing retry on any error with exponential backoff (10 s, 20 s, … capped at 10 minutes,
with jitter; about half an hour in all). What is still undone after that, or was lost with a dead
worker, the beat task `repair_documents` finds and queues again.
"""

from __future__ import annotations

from celery import shared_task

from tenancy.context import tenant_context
from tenancy.tasks import each_tenant

from . import services
from .models import Act

RETRYING = {
    "autoretry_for": (Exception,),
    "dont_autoretry_for": (Act.DoesNotExist,),  # nothing to do, and nothing will change that
    "retry_backoff": 10,
    "retry_backoff_max": 10 * 60,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
}


@shared_task(name="confirmations.tasks.render_act", **RETRYING)
def render_act(tenant_id: int, act_id: int, revision: int) -> str:
    """Render and hash the PDF of a sent act (the UI polls until it is there); a task for an older
    revision, or for a PDF already rendered, does nothing."""
    with tenant_context(tenant_id):
        return services.act_render(act_id=act_id, revision=revision).pdf_sha256


@shared_task(name="confirmations.tasks.seal_act", **RETRYING)
def seal_act(tenant_id: int, act_id: int) -> str:
    """Seal a signed or deemed-accepted act's PDF under the tenant's certificate (once)."""
    with tenant_context(tenant_id):
        return services.act_seal(act_id=act_id).sealed_sha256


@shared_task(name="confirmations.tasks.deem_overdue_acts")
def deem_overdue_acts() -> int:
    """Beat: every tenant's sent acts past their deadline become deemed accepted."""
    return sum(services.acts_deem_overdue() for _tenant in each_tenant())


@shared_task(name="confirmations.tasks.repair_documents")
def repair_documents() -> int:
    """Beat: in every tenant, queue again the PDFs and seals that should be there by now and are not."""
    return sum(services.acts_repair() for _tenant in each_tenant())
