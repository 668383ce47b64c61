"""Factories of `integrations`: webhook endpoints, deliveries and attempts, idempotency keys, rate
limits and incoming e-mail."""

from __future__ import annotations

import datetime
import json

import factory
from django.utils import timezone

from integrations.idempotency.models import IdempotencyKey, TenantRateLimit
from integrations.mail.models import InboundMessage, InboundState
from integrations.webhooks import crypto
from integrations.webhooks.models import Attempt, Delivery, DeliveryState, Endpoint

from .base import TenantOwnedFactory, in_tenant, member, sha256
from .tenancy import TenantFactory


class EndpointFactory(TenantOwnedFactory):
    """A tenant's endpoint for order events; its secret, encrypted like the service does, is
    `whsec_factory`."""

    class Meta:
        model = Endpoint

    tenant = factory.SubFactory(TenantFactory)
    url = factory.Sequence(lambda n: f"https://crm.example.com/hooks/{n}")
    description = "CRM"
    event_types = factory.LazyFunction(lambda: ["order.created", "order.transitioned"])
    client = None
    secret_key_id = factory.LazyAttribute(lambda e: e.encrypted[0])
    secret_token = factory.LazyAttribute(lambda e: e.encrypted[1])
    created_by = member("admin")

    class Params:
        encrypted = factory.LazyFunction(lambda: crypto.encrypt("whsec_factory"))


class DeliveryFactory(TenantOwnedFactory):
    """A pending delivery of an `order.created` event."""

    class Meta:
        model = Delivery

    tenant = factory.SubFactory(TenantFactory)
    endpoint = in_tenant(EndpointFactory)
    message_id = factory.Sequence(lambda n: f"msg_factory{n:08d}")
    event_type = "order.created"
    event_key = factory.Sequence(lambda n: f"order.created:{n}")
    body = factory.LazyAttribute(lambda d: json.dumps({"type": d.event_type, "data": {}}))
    state = DeliveryState.PENDING
    next_attempt_at = factory.LazyFunction(timezone.now)


class AttemptFactory(TenantOwnedFactory):
    """A successful attempt."""

    class Meta:
        model = Attempt

    tenant = factory.SubFactory(TenantFactory)
    delivery = in_tenant(DeliveryFactory)
    duration_ms = 120
    status_code = 200
    ok = True
    response_excerpt = "OK"


class IdempotencyKeyFactory(TenantOwnedFactory):
    """An answered idempotent POST, kept for a day."""

    class Meta:
        model = IdempotencyKey

    tenant = factory.SubFactory(TenantFactory)
    owner = factory.Sequence(lambda n: f"key:{n}")
    key = factory.Sequence(lambda n: f"idempotency-{n}")
    request_hash = factory.LazyAttribute(lambda k: sha256(k.key))
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=1))
    status_code = 201
    headers = factory.LazyFunction(lambda: {"Content-Type": "application/json"})
    body = b"{}"


class TenantRateLimitFactory(factory.django.DjangoModelFactory):
    """A tenant's own API limits (set by the platform: not tenant-owned)."""

    class Meta:
        model = TenantRateLimit

    tenant = factory.SubFactory(TenantFactory)
    reads_per_minute = 600
    writes_per_minute = 120


class InboundMessageFactory(TenantOwnedFactory):
    """A message from an unknown sender, held for an administrator's review."""

    class Meta:
        model = InboundMessage

    tenant = factory.SubFactory(TenantFactory)
    source = InboundMessage.Source.API
    message_id = factory.Sequence(lambda n: f"<inbound-{n}@mail.example.com>")
    from_address = factory.Sequence(lambda n: f"stranger{n}@example.org")
    from_name = "A stranger"
    subject = "The printer is broken again"
    body = "Please send someone."
    raw = factory.LazyAttribute(
        lambda m: f"From: {m.from_address}\r\nSubject: {m.subject}\r\n\r\n{m.body}\r\n".encode())
    size = factory.LazyAttribute(lambda m: len(m.raw))
    state = InboundState.HELD
    reason = "Unknown sender"
