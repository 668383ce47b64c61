"""The task that renders one invoice's PDF in a worker (what `make bench` times across workers)."""

from __future__ import annotations

import io

import pytest

from billing import pdf
from billing.models import Invoice
from billing.selectors import invoice_get
from billing.tasks import render_invoice_pdf

from .support import accepted_act, billed_contract, breach, build

pytestmark = pytest.mark.django_db


def _pages_and_title(document: bytes) -> tuple[int, str]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(document))
    return int(reader.root["/Pages"]["/Count"]), str(reader.trailer["/Info"]["/Title"])


def test_the_task_renders_the_invoice_of_its_own_tenant_only(world_a, world_b, monkeypatch):
    contract = billed_contract(world_a)
    accepted_act(world_a, contract, rating=4)
    breach(world_a, contract)
    invoice = build(world_a, contract)
    rendered = []
    real_render = pdf.render_invoices_pdf

    def spy(invoices, *, language="ru"):
        invoices = list(invoices)
        document = real_render(invoices, language=language)
        rendered.append((invoices, pdf.invoices_html(invoices, language=language), document))
        return document

    monkeypatch.setattr(pdf, "render_invoices_pdf", spy)
    size = render_invoice_pdf.delay(world_a.tenant.pk, invoice.pk).get()
    (invoices, html, document), = rendered
    # what the task reports is the size of the document it rendered, of this invoice alone
    assert size == len(document) > 1000 and [i.pk for i in invoices] == [invoice.pk]
    # ... and that document is the export's: the same text printed, the same page structure
    with world_a.context():
        expected = invoice_get(invoice_id=invoice.pk)
        assert html == pdf.invoices_html([expected])
        assert _pages_and_title(document) == _pages_and_title(real_render([expected])) == (1, "Счета")  # the Russian template, the default
    with pytest.raises(Invoice.DoesNotExist):
        render_invoice_pdf(world_b.tenant.pk, invoice.pk)
