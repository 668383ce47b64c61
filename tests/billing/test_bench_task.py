"""The task that renders one invoice's PDF in a worker (what `make bench` times across workers)."""

from __future__ import annotations

import pytest

from billing.models import Invoice
from billing.pdf import render_invoices_pdf
from billing.selectors import invoice_get
from billing.tasks import render_invoice_pdf

from .support import accepted_act, billed_contract, breach, build

pytestmark = pytest.mark.django_db


def test_the_task_renders_the_invoice_of_its_own_tenant_only(world_a, world_b):
    contract = billed_contract(world_a)
    accepted_act(world_a, contract, rating=4)
    breach(world_a, contract)
    invoice = build(world_a, contract)
    with world_a.context():
        expected = len(render_invoices_pdf([invoice_get(invoice_id=invoice.pk)]))
    assert render_invoice_pdf.delay(world_a.tenant.pk, invoice.pk).get() == expected > 1000
    with pytest.raises(Invoice.DoesNotExist):
        render_invoice_pdf(world_b.tenant.pk, invoice.pk)
