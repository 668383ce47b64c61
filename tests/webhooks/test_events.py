"""What the other apps record becomes webhook events, without those apps importing webhooks:
orders (created, moved, commented), acts, invoices, disputes, SLA warnings and breaches; each
endpoint gets the types it subscribed to, once, and a client's endpoint only that client's
events and never an internal comment."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from confirmations.models import ActEvent
from disputes.models import DisputeEvent
from integrations.webhooks import services as webhooks
from integrations.webhooks.catalog import EventType
from orders import services as orders
from sla.models import SLAClock
from sla.tasks import notify_clocks
from tests.disputes.support import contract_of, issued_invoice, open_dispute, sent_act
from tests.orders.api_support import other_client
from tests.support import raise_order

from .support import deliveries

pytestmark = pytest.mark.django_db


def endpoint(world, actor=None, types=tuple(EventType.values)):
    actor = actor or world.admin
    with world.context(user=actor):
        allowed = webhooks.allowed_event_types(webhooks.manager_scope(actor))
        return webhooks.endpoint_create(actor=actor, url="https://hooks.example.com/in",
                                        event_types=[t for t in types if t in allowed])


def sent(world, target) -> list[dict]:
    return [json.loads(d.body) for d in deliveries(world, endpoint=target)]


def types_of(world, target) -> list[str]:
    return [body["type"] for body in sent(world, target)]


def test_order_events_reach_the_endpoints_that_want_them(world_a, committed):
    everything = endpoint(world_a)
    comments_only = endpoint(world_a, types=["order.commented"])
    contract = contract_of(world_a)
    with committed():
        order = raise_order(world_a, contract)
    with committed(), world_a.context(user=world_a.account_manager):
        order = orders.order_transition(order=order, name="acknowledge", actor=world_a.account_manager)
        orders.order_comment(order=order, actor=world_a.account_manager, body="On it", internal=True)

    assert types_of(world_a, everything) == ["order.created", "order.transitioned", "order.commented"]
    assert types_of(world_a, comments_only) == ["order.commented"]
    created, moved, commented = sent(world_a, everything)
    assert created["data"]["id"] == order.pk and created["data"]["number"] == order.number
    assert created["data"]["client_id"] == contract.client_id
    assert created["data"]["url"] == f"{settings.SITE_URL}/api/v1/orders/{order.pk}/"  # absolute
    assert moved["data"]["from"] == "new" and moved["data"]["to"] == "acknowledged"
    assert commented["data"]["comment"]["body"] == "On it" and commented["data"]["comment"]["internal"] is True


def test_a_clients_endpoint_gets_only_its_clients_events_and_no_internal_comment(world_a, committed):
    _, other_admin, other_contract = other_client(world_a)
    mine = endpoint(world_a, actor=world_a.client_admin)
    theirs = endpoint(world_a, actor=other_admin)
    contract = contract_of(world_a)
    order = raise_order(world_a, contract)
    raise_order(world_a, other_contract, actor=other_admin)
    with world_a.context(user=world_a.account_manager):
        orders.order_comment(order=order, actor=world_a.account_manager, body="internal note", internal=True)
        orders.order_comment(order=order, actor=world_a.account_manager, body="Visible", internal=False)

    assert types_of(world_a, mine) == ["order.created", "order.commented"]
    assert sent(world_a, mine)[1]["data"]["comment"]["body"] == "Visible"
    assert types_of(world_a, theirs) == ["order.created"]
    assert {b["data"]["client_id"] for b in sent(world_a, theirs)} == {other_contract.client_id}


def test_another_tenants_events_never_reach_an_endpoint(world_a, world_b):
    mine = endpoint(world_a)
    raise_order(world_b, contract_of(world_b))
    assert deliveries(world_a, endpoint=mine) == []


def test_act_invoice_and_dispute_events_are_mapped(world_a):
    target = endpoint(world_a)
    contract = contract_of(world_a)
    act = sent_act(world_a, contract)
    with world_a.context():
        ActEvent.transition_of(act, name="sign", source="sent", target="signed", actor=world_a.client_signatory)
        ActEvent.transition_of(act, name="dispute", source="sent", target="disputed")
        ActEvent.transition_of(act, name="deem_accepted", source="sent", target="deemed_accepted")
        ActEvent.record(act, kind="rendered")  # not a webhook event
    issued_invoice(world_a, contract)
    dispute = open_dispute(world_a, contract)
    with world_a.context():
        DisputeEvent.transition_of(dispute, name="escalate", source="negotiation", target="mediation")

    got = types_of(world_a, target)
    assert got == ["act.signed", "act.disputed", "act.deemed_accepted", "invoice.issued", "dispute.escalated"]
    invoice_body = sent(world_a, target)[3]
    assert invoice_body["data"]["url"].startswith(f"{settings.SITE_URL}/api/v1/invoices/") and invoice_body["data"]["state"] == "issued"


def test_sla_warnings_and_breaches_are_sent_once(world_a):
    target = endpoint(world_a, types=["sla.clock_warned", "sla.breach_recorded"])
    client_side = endpoint(world_a, actor=world_a.client_admin)
    order = raise_order(world_a, contract_of(world_a))
    with world_a.context():
        response_clock = SLAClock.objects.get(order=order, metric="response")
    # the sweep's notification task, per tenant, for a clock it warned (heard twice: sent once)
    notify_clocks(world_a.tenant.pk, [response_clock.pk], [])
    notify_clocks(world_a.tenant.pk, [response_clock.pk], [])
    # acknowledged days late: the response clock stops breached, in the order's transaction
    with time_machine.travel(timezone.now() + dt.timedelta(days=10), tick=False), \
            world_a.context(user=world_a.account_manager):
        orders.order_transition(order=order, name="acknowledge", actor=world_a.account_manager)

    assert types_of(world_a, target) == ["sla.clock_warned", "sla.breach_recorded"]
    warned, breached = sent(world_a, target)
    assert warned["data"]["id"] == order.pk and warned["data"]["clock"]["metric"] == "response"
    assert breached["data"]["breach"]["id"] is not None
    assert sorted(types_of(world_a, client_side)) == ["order.created", "order.transitioned", "sla.breach_recorded"]


def test_invoice_review_and_amendment_events_are_mapped(world_a, password):
    from billing.models import InvoiceEvent
    from reviews.models import ReviewEvent
    from tests.contracts.test_amendments import agree, propose
    from tests.reviews.support import last_month, new_review, reviewed_contract

    target = endpoint(world_a)
    contract = reviewed_contract(world_a)
    invoice = issued_invoice(world_a, contract)
    with world_a.context():
        InvoiceEvent.transition_of(invoice, name="pay", source="issued", target="paid")
        InvoiceEvent.transition_of(invoice, name="void", source="paid", target="void")
        InvoiceEvent.record(invoice, kind="credit_note", data={"credit_note": "CN-1", "total": "10.00"})
    review = new_review(world_a, contract, *last_month(world_a))
    with world_a.context():
        ReviewEvent.transition_of(review, name="prepare", source="scheduled", target="prepared")
        ReviewEvent.transition_of(review, name="close", source="held", target="closed")
    amendment = agree(world_a, propose(world_a, contract))

    got = types_of(world_a, target)
    assert got == ["invoice.issued", "invoice.paid", "invoice.voided", "credit_note.issued", "review.prepared",
                   "review.closed", "amendment.agreed"]
    bodies = sent(world_a, target)
    assert bodies[3]["data"]["credit_note"]["number"] == "CN-1"
    assert bodies[-1]["data"]["id"] == amendment.pk and bodies[-1]["data"]["object"] == "amendment"
    assert bodies[-1]["data"]["url"] == f"{settings.SITE_URL}/api/v1/amendments/{amendment.pk}/"
    assert {b["data"]["client_id"] for b in bodies} == {contract.client_id}
