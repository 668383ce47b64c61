"""The webhook event types, and how a row of another app's timeline becomes one.

The other apps never import this package: every timeline row is written through
`tenancy.events.Event` (post_save tells us), an order's comment is a row of its own, and the SLA
sweep sends `sla.signals.clocks_crossed`. `describe()` turns the row into (event type, subject,
extra data) or None when the row is no webhook's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    ORDER_CREATED = "order.created", _("Order created")
    ORDER_TRANSITIONED = "order.transitioned", _("Order changed state")
    ORDER_COMMENTED = "order.commented", _("Order commented")
    CLOCK_WARNED = "sla.clock_warned", _("SLA clock warned")
    BREACH_RECORDED = "sla.breach_recorded", _("SLA breach recorded")
    ACT_SENT = "act.sent", _("Act sent")
    ACT_SIGNED = "act.signed", _("Act signed")
    ACT_DISPUTED = "act.disputed", _("Act disputed")
    ACT_DEEMED_ACCEPTED = "act.deemed_accepted", _("Act deemed accepted")
    INVOICE_ISSUED = "invoice.issued", _("Invoice issued")
    INVOICE_PAID = "invoice.paid", _("Invoice paid")
    INVOICE_VOIDED = "invoice.voided", _("Invoice voided")
    CREDIT_NOTE_ISSUED = "credit_note.issued", _("Credit note issued")
    REVIEW_PREPARED = "review.prepared", _("Review prepared")
    REVIEW_CLOSED = "review.closed", _("Review closed")
    AMENDMENT_AGREED = "amendment.agreed", _("Amendment agreed")
    DISPUTE_ESCALATED = "dispute.escalated", _("Dispute escalated")


# The test event of the page and the API: never subscribed to, sent on demand only.
TEST_EVENT = "webhook.test"
# What a client administrator may subscribe to: the events of their client's objects they see in the
# portal (the provider's internal SLA warnings are not among them).
CLIENT_EVENT_TYPES = frozenset(EventType.values) - {EventType.CLOCK_WARNED}

_TRANSITIONS = {
    ("confirmations.actevent", "send"): EventType.ACT_SENT,
    ("confirmations.actevent", "sign"): EventType.ACT_SIGNED,
    ("confirmations.actevent", "dispute"): EventType.ACT_DISPUTED,
    ("confirmations.actevent", "deem_accepted"): EventType.ACT_DEEMED_ACCEPTED,
    ("billing.invoiceevent", "issue"): EventType.INVOICE_ISSUED,
    ("billing.invoiceevent", "pay"): EventType.INVOICE_PAID,
    ("billing.invoiceevent", "void"): EventType.INVOICE_VOIDED,
    ("reviews.reviewevent", "prepare"): EventType.REVIEW_PREPARED,
    ("reviews.reviewevent", "close"): EventType.REVIEW_CLOSED,
    ("disputes.disputeevent", "escalate"): EventType.DISPUTE_ESCALATED,
}
_API_NAMES = {
    "orders.order": "api-order-detail",
    "confirmations.act": "api-act-detail",
    "billing.invoice": "api-invoice-detail",
    "billing.creditnote": "api-credit-note-detail",
    "reviews.review": "api-review-detail",
    "contracts.amendment": "api-amendment-detail",
    "disputes.dispute": "api-dispute-detail",
    "sla.breach": "api-breach-detail",
}


@dataclass
class Occurrence:
    """One thing that happened, ready to be queued to the endpoints that want it."""

    type: str
    key: str  # unique per tenant for this occurrence: the deliveries' idempotency key
    subject: Any  # the order, act, invoice… the payload describes
    client_id: int | None
    extra: dict = field(default_factory=dict)
    client_visible: bool = True  # False: internal (an internal comment, an internal order event)

    def data(self) -> dict:
        subject = self.subject
        label = subject._meta.label_lower
        state = getattr(subject, "state", None)
        data = {
            "object": subject._meta.model_name,
            "id": subject.pk,
            "number": getattr(subject, "number", None) or None,
            "state": str(state) if state is not None else None,
            "client_id": self.client_id,
            "contract_id": getattr(subject, "contract_id", None),
            "url": api_url(label, subject.pk),
        }
        data.update(self.extra)
        return data


def api_url(label: str, pk) -> str | None:
    name = _API_NAMES.get(label)
    if name is None:
        return None
    try:
        path = reverse(name, args=[pk])
    except NoReverseMatch:
        return None
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def _client_of(subject) -> int | None:
    client_id = getattr(subject, "client_id", None)
    if client_id is None and getattr(subject, "contract_id", None):
        client_id = subject.contract.client_id
    return client_id


def _event_key(event) -> str:
    return f"{event._meta.label_lower}:{event.pk}"


def from_event(event) -> Occurrence | None:
    """The webhook occurrence of a timeline row (`tenancy.events.Event`), or None."""
    label = event._meta.label_lower
    subject = getattr(event, event.SUBJECT)
    extra: dict[str, Any] = {}
    kind = str(event.kind)
    visible = getattr(event, "client_visible", True)
    if label == "orders.orderevent" and kind == "created":
        kind_type = EventType.ORDER_CREATED
    elif label == "orders.orderevent" and kind == "transition":
        kind_type = EventType.ORDER_TRANSITIONED
        extra = {"transition": event.transition, "from": event.from_state, "to": event.to_state}
    elif label == "billing.invoiceevent" and kind == "credit_note":
        kind_type = EventType.CREDIT_NOTE_ISSUED
        number = (event.data or {}).get("credit_note")
        note = subject.credit_notes.filter(number=number).first() if number else None
        extra = {"credit_note": {"id": note.pk if note else None, "number": number,
                                 "total": (event.data or {}).get("total"),
                                 "url": api_url("billing.creditnote", note.pk) if note else None}}
    elif label == "contracts.contractevent" and kind == "amendment_agreed":
        from contracts.models import Amendment

        amendment = Amendment.objects.filter(pk=(event.data or {}).get("amendment")).first()
        if amendment is None:
            return None
        return Occurrence(type=EventType.AMENDMENT_AGREED, key=_event_key(event), subject=amendment,
                          client_id=subject.client_id, extra={"effective_date": str(amendment.effective_date)})
    elif kind == "transition" and (label, event.transition) in _TRANSITIONS:
        if label == "reviews.reviewevent" and event.item_id is not None:
            return None
        kind_type = _TRANSITIONS[(label, event.transition)]
        extra = {"transition": event.transition, "from": event.from_state, "to": event.to_state}
    else:
        return None
    return Occurrence(type=kind_type, key=_event_key(event), subject=subject, client_id=_client_of(subject),
                      extra=extra, client_visible=visible)


def from_comment(comment) -> Occurrence:
    order = comment.order
    return Occurrence(type=EventType.ORDER_COMMENTED, key=f"orders.ordercomment:{comment.pk}", subject=order,
                      client_id=order.client_id, client_visible=not comment.internal,
                      extra={"comment": {"id": comment.pk, "body": comment.body, "internal": comment.internal,
                                         "created_at": comment.created_at.isoformat()}})


def from_clock(clock, *, breached: bool) -> Occurrence:
    order = clock.order
    extra: dict[str, Any] = {"clock": {"id": clock.pk, "metric": clock.metric,
                                       "due_at": clock.due_at.isoformat() if clock.due_at else None}}
    if breached:
        breach = getattr(clock, "breach", None)  # the one-to-one reverse: None until recorded
        extra["breach"] = {"id": breach.pk if breach else None,
                           "breached_at": breach.breached_at.isoformat() if breach else None,
                           "url": api_url("sla.breach", breach.pk) if breach else None}
    kind = "breach" if breached else "warning"
    return Occurrence(type=EventType.BREACH_RECORDED if breached else EventType.CLOCK_WARNED,
                      key=f"sla.slaclock:{clock.pk}:{kind}", subject=order, client_id=order.client_id, extra=extra)
