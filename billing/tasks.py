"""Celery tasks of billing: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from tenancy.context import tenant_context
from tenancy.tasks import per_tenant

from . import services


@shared_task(name="billing.tasks.build_due_invoices")
def build_due_invoices(tenant_id: int | None = None) -> int:
    """Beat task (daily, and safe more often): on each contract's invoice day, in its tenant's time
    zone, build the draft invoice of the previous month — also the final, prorated month of a contract
    that was terminated or expired in it. Safe to run any number of times: the invoice
    of a contract and period is one row, and a draft whose evidence did not change is left as it is."""
    return per_tenant(services.invoices_build_due, tenant_id)


@shared_task(name="billing.tasks.render_invoice_pdf")
def render_invoice_pdf(tenant_id: int, invoice_id: int, language: str = "ru") -> int:
    """Render one invoice's PDF as the export does, and return its size in bytes. Nothing is kept
    (the export renders on demand); `make bench` uses it to spread month-end rendering over workers."""
    from .pdf import render_invoices_pdf
    from .selectors import invoice_get

    with tenant_context(tenant_id):
        return len(render_invoices_pdf([invoice_get(invoice_id=invoice_id)], language=language))
