"""Celery tasks of acts: thin and idempotent, each loads its tenant's rows and calls a service."""

from __future__ import annotations

from celery import shared_task

from tenancy.context import tenant_context
from tenancy.tasks import each_tenant

from . import services


@shared_task(name="confirmations.tasks.render_act")
def render_act(tenant_id: int, act_id: int, revision: int) -> str:
    """Render and hash the PDF of a sent act (the UI polls until it is there)."""
    with tenant_context(tenant_id):
        return services.act_render(act_id=act_id, revision=revision).pdf_sha256


@shared_task(name="confirmations.tasks.seal_act")
def seal_act(tenant_id: int, act_id: int) -> str:
    """Seal a signed or deemed-accepted act's PDF under the tenant's certificate."""
    with tenant_context(tenant_id):
        return services.act_seal(act_id=act_id).sealed_sha256


@shared_task(name="confirmations.tasks.deem_overdue_acts")
def deem_overdue_acts() -> int:
    """Beat: every tenant's sent acts past their deadline become deemed accepted."""
    return sum(services.acts_deem_overdue() for _tenant in each_tenant())
