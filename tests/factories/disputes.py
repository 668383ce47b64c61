"""Factories of `disputes`: disputes, their documents, messages, credit notes and events."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from disputes.models import (
    Dispute,
    DisputeComment,
    DisputeCreditNote,
    DisputeDocument,
    DisputeEvent,
    DisputeKind,
    DisputeState,
    Side,
)

from .base import EventFactory, TenantOwnedFactory, in_tenant, member, sha256, today
from .billing import CreditNoteFactory
from .contracts import ContractFactory
from .orders import PDF
from .tenancy import TenantFactory


class DisputeFactory(TenantOwnedFactory):
    """A client's complaint in negotiation, its deadline from the contract's terms."""

    class Meta:
        model = Dispute

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: f"DSP-{n:05d}")
    contract = in_tenant(ContractFactory)
    client = factory.SelfAttribute("contract.client")
    kind = DisputeKind.COMPLAINT
    act = None
    invoice_line = None
    title = factory.Sequence(lambda n: f"Printers still broken ({n})")
    opened_by = member("client_admin", client="contract.client")
    opened_side = Side.CLIENT
    stage_started_on = factory.LazyFunction(today)
    stage_deadline = factory.LazyAttribute(
        lambda d: d.stage_started_on + datetime.timedelta(days=d.contract.dispute_negotiation_days))


class DisputeDocumentFactory(TenantOwnedFactory):
    """A small PDF the client adds (written to MEDIA_ROOT)."""

    class Meta:
        model = DisputeDocument

    tenant = factory.SubFactory(TenantFactory)
    dispute = in_tenant(DisputeFactory)
    file = factory.django.FileField(filename="evidence.pdf", data=PDF)
    original_name = "evidence.pdf"
    content_type = "application/pdf"
    size = len(PDF)
    sha256 = sha256(PDF)
    side = Side.CLIENT
    uploaded_by = factory.SelfAttribute("dispute.opened_by")


class DisputeCommentFactory(TenantOwnedFactory):
    class Meta:
        model = DisputeComment

    tenant = factory.SubFactory(TenantFactory)
    dispute = in_tenant(DisputeFactory)
    author = member()
    side = Side.PROVIDER
    body = factory.Sequence(lambda n: f"We will send an engineer tomorrow ({n}).")


class DisputeCreditNoteFactory(TenantOwnedFactory):
    """A resolved dispute's compensation paid by a credit note on its contract's invoice."""

    class Meta:
        model = DisputeCreditNote

    tenant = factory.SubFactory(TenantFactory)
    dispute = in_tenant(DisputeFactory, state=DisputeState.RESOLVED, compensation=Decimal("1000.00"),
                        resolution_note="One month of printer service credited.",
                        resolved_at=factory.LazyFunction(timezone.now))
    credit_note = in_tenant(CreditNoteFactory, amount=factory.SelfAttribute("..dispute.compensation"),
                            invoice__contract=factory.SelfAttribute("...dispute.contract"))
    amount = factory.SelfAttribute("dispute.compensation")


class DisputeEventFactory(EventFactory):
    class Meta:
        model = DisputeEvent

    tenant = factory.SubFactory(TenantFactory)
    dispute = in_tenant(DisputeFactory)
    kind = DisputeEvent.Kind.OPENED
    to_state = DisputeState.NEGOTIATION
