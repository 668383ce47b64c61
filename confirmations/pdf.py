"""The act as a PDF: a Django template per language, rendered by WeasyPrint.

Rendering is deterministic (no clock in the output), so the same act renders to the same bytes;
still, the hash that counts is the one fixed when the act is sent.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils import timezone, translation

from contracts.models import ContractParty, PartyKind
from tenancy.legal import supplier_of

from .models import Act

TEMPLATES = {Act.Language.RU: "confirmations/pdf/act_ru.html", Act.Language.EN: "confirmations/pdf/act_en.html"}

# WeasyPrint reports every rendering step at INFO; the worker's log needs none of it.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _party(contract, kind: str):
    return next((p for p in ContractParty.objects.filter(contract=contract, kind=kind)), None)


def act_pdf_context(act: Act) -> dict:
    contract = act.contract
    return {
        "act": act,
        "contract": contract,
        "provider": supplier_of(contract),
        "client": contract.client,
        "provider_party": _party(contract, PartyKind.CONTRACTOR),
        "client_party": _party(contract, PartyKind.CUSTOMER),
        "lines": list(act.lines.select_related("order").order_by("position")),
        "tenant": act.contract.tenant,
    }


def render_act_pdf(act: Act) -> bytes:
    """The PDF of the act in its own language (not the reader's)."""
    from weasyprint import HTML

    with translation.override(act.language), timezone.override("UTC"):
        html = render_to_string(TEMPLATES[act.language], act_pdf_context(act))
    return HTML(string=html).write_pdf()
