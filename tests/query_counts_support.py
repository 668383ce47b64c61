"""A tenant that grows: `Scene.grow(k)` adds k rows to every list of the API and of the pages.

Each round adds, per unit, an active contract of the world's client with its parties, roles,
version and events; a client and a subcontractor; an obligation with its occurrences; an amendment;
an SLA calendar, policy and force majeure; an order with a breach; a team; an act (sent, and one
accepted with its confirmation and a corrective action); an issued invoice with a credit note and a
rating band; a review with an action item; a dispute; a notification; an API key; a webhook endpoint
with a failed delivery; an e-mail held for review and one queued to go out. The scene's first
contract, order, act, invoice, review and dispute are the "focus": every round adds k events,
comments, documents and items to each, for the lists under one row (`/contracts/N/events/`, ...).
Rows are made through the services where that is cheap, else as rows, as each app's tests do.
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from django.core.files.base import ContentFile

from billing import services as billing
from billing.models import RatingBand
from confirmations.models import Act, ActEvent, ActState, Confirmation, CorrectiveAction
from contracts.amendments import services as amendments
from contracts.models import ContractEvent
from contracts.obligations import services as obligations
from contracts.obligations.rules import ObligationRule
from disputes import services as disputes
from disputes.models import DisputeDocument, DisputeEvent
from integrations.mail.models import InboundMessage
from integrations.webhooks.models import Attempt, Delivery, Endpoint
from orders import services as orders
from orders.models import OrderAttachment, OrderEvent
from reviews import services as reviews
from reviews.models import ReviewEvent
from sla import services as sla
from tenancy.models import Notification, OutboundMessage
from tenancy.services import api_key_create
from tests.billing.support import breach
from tests.clock import add_months, local_today, month_of
from tests.contracts.api_support import active_contract
from tests.factories import ClientFactory, ProviderFactory
from tests.orders.api_support import TeamFactory
from tests.support import raise_order

_seq = itertools.count(1)
PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


class Scene:
    def __init__(self, world):
        self.world = world
        self.focus: dict[str, object] = {}
        self.bands = 0

    # --- one unit of everything -------------------------------------------------------------

    def grow(self, k: int) -> None:
        for _ in range(k):
            self._unit()
        for _ in range(k):
            self._focus_children()

    def _unit(self) -> None:
        world, n = self.world, next(_seq)
        today = local_today(world.tenant)
        start = add_months(today, -3).replace(day=1)
        contract = active_contract(world, number=f"Q-{world.tenant.pk}-{n}", start_date=start)
        ClientFactory(tenant=world.tenant)
        ProviderFactory(tenant=world.tenant)
        TeamFactory(tenant=world.tenant, members=[world.engineer])
        manager = world.account_manager
        with world.context(user=world.admin):
            obligations.obligation_create(contract=contract, actor=world.admin, title=f"Report {n}",
                                          owner=world.engineer, rule=ObligationRule.MONTHLY, day=5,
                                          starts_on=start)
            obligations.obligation_template_create(actor=world.admin, title=f"Audit {n}",
                                                   rule=ObligationRule.YEARLY, day=31, month=3)
            amendments.amendment_propose(contract=contract, actor=world.admin,
                                         effective_date=today + dt.timedelta(days=5), reason="More users",
                                         changes={"monthly_fee": "320000.00"})
            calendar = sla.calendar_create(actor=world.admin, name=f"Office {n}", time_zone=world.tenant.time_zone,
                                           working_hours={str(d): [["09:00", "18:00"]] for d in range(5)})
            sla.policy_create(actor=world.admin, contract=contract, priority="high", calendar=calendar)
            RatingBand.objects.create(contract=contract, min_rating=Decimal("4.0"), adjustment_pct=Decimal("5.00"))
            api_key_create(actor=world.admin, name=f"key {n}", scopes=["read"])
        order = raise_order(world, contract, title=f"Printer {n}")
        breach(world, contract)
        with world.context(user=world.admin):
            sla.force_majeure_start(contract=contract, actor=world.admin, reason="Flood")
        this_start, this_end = month_of(today)
        last_start, last_end = month_of(add_months(today, -1))
        with world.context():
            sent = Act.objects.create(number=f"ACT-Q-{n}", contract=contract, client=contract.client,
                                      period_start=this_start, period_end=this_end, currency=contract.currency,
                                      state=ActState.SENT, pdf_sha256="a" * 64, revision=1, created_by=manager,
                                      sent_by=manager)
            accepted = Act.objects.create(number=f"ACT-QA-{n}", contract=contract, client=contract.client,
                                          period_start=last_start, period_end=last_end, currency=contract.currency,
                                          state=ActState.SIGNED, created_by=manager)
            confirmation = Confirmation.objects.create(act=accepted, contract=contract, client=contract.client,
                                                       kind=Confirmation.Kind.SIGNED, rating=2, comment="slow",
                                                       confirmed_by=world.client_signatory)
            CorrectiveAction.objects.create(contract=contract, client=contract.client, opened_by=confirmation,
                                            owner=manager)
        with world.context(user=world.accountant):
            invoice = billing.invoice_build(contract=contract, period=last_start, actor=world.accountant)
            invoice = billing.invoice_issue(invoice=invoice, actor=world.accountant)
            billing.credit_note_create(invoice=invoice, amount=Decimal("10.00"), reason="Goodwill",
                                       actor=world.accountant)
        with world.context(user=manager):
            review = reviews.review_create(actor=manager, contract=contract, kind="quarterly",
                                           period_start=last_start, period_end=last_end)
        with world.context(user=world.client_admin):
            dispute = disputes.dispute_open(actor=world.client_admin, contract=contract, kind="complaint",
                                            title=f"Desk down {n}")
        with world.context():  # the integrations' logs: a webhook endpoint's delivery, an e-mail in and out
            endpoint = Endpoint.objects.create(url=f"https://hooks.example.com/{n}", event_types=["order.created"],
                                               secret_token="whsec_x", secret_key_id=f"k{n}", created_by=world.admin)
            delivery = Delivery.objects.create(endpoint=endpoint, message_id=f"msg_q{n}", event_type="order.created",
                                               event_key=f"q-{n}", body="{}", state="failed", tries=1)
            Attempt.objects.create(delivery=delivery, status_code=500, error="Server Error")
            InboundMessage.objects.create(source="imap", message_id=f"<q{n}@example.com>", state="held",
                                          from_address=f"user{n}@example.com", subject=f"Printer {n}",
                                          reason="unknown sender")
            OutboundMessage.objects.create(to=f"user{n}@example.com", template="notifications/email.txt",
                                           language="en", subject=f"Note {n}", message_id=f"<out-q{n}@example.com>")
            Notification.objects.create(user=manager, kind="test", title=f"Note {n}", url="/",
                                        dedupe_key=f"q-{n}")
            Notification.objects.create(user=world.admin, kind="test", title=f"Note {n}", url="/",
                                        dedupe_key=f"q-{n}")
        self.focus.setdefault("contract", contract)
        self.focus.setdefault("order", order)
        self.focus.setdefault("act", sent)
        self.focus.setdefault("invoice", invoice)
        self.focus.setdefault("review", review)
        self.focus.setdefault("dispute", dispute)

    def _focus_children(self) -> None:
        world, n = self.world, next(_seq)
        focus = self.focus
        users = [world.admin, world.account_manager, world.engineer]
        actor = users[n % len(users)]
        with world.context(user=world.admin):
            for model, subject in ((ContractEvent, focus["contract"]), (OrderEvent, focus["order"]),
                                   (ActEvent, focus["act"]), (ReviewEvent, focus["review"]),
                                   (DisputeEvent, focus["dispute"])):
                model.record(subject, kind="note", actor=actor, note=f"note {n}")
            from billing.models import InvoiceEvent

            InvoiceEvent.record(focus["invoice"], kind="note", actor=actor, note=f"note {n}")
            orders.order_comment(order=focus["order"], actor=world.engineer, body=f"Comment {n}")
            OrderAttachment.objects.create(order=focus["order"], file=ContentFile(PDF, name=f"a{n}.pdf"),
                                           original_name=f"a{n}.pdf", content_type="application/pdf",
                                           size=len(PDF), sha256="b" * 64, uploaded_by=world.engineer)
            reviews.action_item_create(review=focus["review"], actor=world.account_manager, what=f"Fix {n}",
                                       owner=world.engineer)
            disputes.dispute_comment(dispute=focus["dispute"], actor=world.account_manager, body=f"Reply {n}")
            DisputeDocument.objects.create(dispute=focus["dispute"], file=ContentFile(PDF, name=f"d{n}.pdf"),
                                           original_name=f"d{n}.pdf", content_type="application/pdf",
                                           size=len(PDF), sha256="c" * 64, side="provider",
                                           uploaded_by=world.account_manager)
            # what the focus contract's pages list: obligations, force majeure periods, breaches, bands
            contract = focus["contract"]
            obligations.obligation_create(contract=contract, actor=world.admin, title=f"Duty {n}",
                                          owner=world.engineer, rule=ObligationRule.MONTHLY, day=1 + n % 28,
                                          starts_on=contract.start_date)
            sla.force_majeure_lift(period=sla.force_majeure_active(contract_id=contract.pk), actor=world.admin)
            sla.force_majeure_start(contract=contract, actor=world.admin, reason=f"Storm {n}")
            breach(world, contract)
            self.bands += 1
            RatingBand.objects.create(contract=contract, min_rating=Decimal("1.0") + Decimal("0.1") * self.bands,
                                      adjustment_pct=Decimal("1.00"))
            # an order of the focus contract with its clocks, for the contract's SLA metrics
            raise_order(world, focus["contract"], title=f"Metrics {n}")
