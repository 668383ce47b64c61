"""Factories of `confirmations`: acts, their lines and events, confirmations and ratings, signing
evidence and codes, corrective actions, lockouts and seal certificates."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from confirmations.models import (
    Act,
    ActEvent,
    ActLine,
    ActState,
    Confirmation,
    CorrectiveAction,
    OrderRating,
    SignatureEvidence,
    SigningCode,
    SigningLockout,
    TenantCertificate,
)

from .base import EventFactory, TenantOwnedFactory, in_tenant, last_month, member, sha256
from .contracts import ContractFactory
from .orders import OrderFactory
from .tenancy import TenantFactory


class ActFactory(TenantOwnedFactory):
    """A draft act of last month. `sent=True` gives a sent act with its PDF's digest and deadline;
    `signed=True` a signed one."""

    class Meta:
        model = Act

    class Params:
        sent = factory.Trait(
            state=ActState.SENT, revision=1, pdf_sha256=factory.LazyAttribute(lambda a: sha256(a.number)),
            sent_at=factory.LazyFunction(timezone.now), sent_by=factory.SelfAttribute("created_by"),
            accept_by=factory.LazyAttribute(lambda a: a.sent_at + datetime.timedelta(days=a.contract.acceptance_days)),
        )
        signed = factory.Trait(sent=True, state=ActState.SIGNED)

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: f"ACT-{n:05d}")
    contract = in_tenant(ContractFactory)
    client = factory.SelfAttribute("contract.client")
    period_start = factory.LazyFunction(lambda: last_month()[0])
    period_end = factory.LazyFunction(lambda: last_month()[1])
    language = Act.Language.EN
    currency = factory.SelfAttribute("contract.currency")
    amount = factory.SelfAttribute("contract.monthly_fee")
    created_by = member()


class ActLineFactory(TenantOwnedFactory):
    """The contract's fixed service for the act's period."""

    class Meta:
        model = ActLine

    tenant = factory.SubFactory(TenantFactory)
    act = in_tenant(ActFactory)
    position = factory.Sequence(lambda n: n + 1)
    order = None
    description = "Services under the contract"
    quantity = Decimal("1.000")
    unit_price = factory.SelfAttribute("act.amount")
    amount = factory.SelfAttribute("act.amount")


class ActEventFactory(EventFactory):
    class Meta:
        model = ActEvent

    tenant = factory.SubFactory(TenantFactory)
    act = in_tenant(ActFactory)
    kind = "created"


class ConfirmationFactory(TenantOwnedFactory):
    """A signed act's confirmation, rated 5 by the client's signatory."""

    class Meta:
        model = Confirmation

    tenant = factory.SubFactory(TenantFactory)
    act = in_tenant(ActFactory, signed=True)
    contract = factory.SelfAttribute("act.contract")
    client = factory.SelfAttribute("act.client")
    kind = Confirmation.Kind.SIGNED
    rating = 5
    confirmed_by = member("client_signatory", client="act.client")


class OrderRatingFactory(TenantOwnedFactory):
    class Meta:
        model = OrderRating

    tenant = factory.SubFactory(TenantFactory)
    confirmation = in_tenant(ConfirmationFactory)
    order = in_tenant(OrderFactory, contract=factory.SelfAttribute("..confirmation.contract"), state="accepted")
    rating = 5


class SignatureEvidenceFactory(TenantOwnedFactory):
    """The evidence of a signature with the signatory's password."""

    class Meta:
        model = SignatureEvidence

    tenant = factory.SubFactory(TenantFactory)
    act = in_tenant(ActFactory, signed=True)
    signer = member("client_signatory", client="act.client")
    signer_name = factory.LazyAttribute(lambda e: e.signer.get_full_name())
    method = SignatureEvidence.Method.PASSWORD
    signed_at = factory.LazyFunction(timezone.now)
    ip_address = "192.0.2.10"
    user_agent = "Mozilla/5.0"
    document_sha256 = factory.SelfAttribute("act.pdf_sha256")
    consent_text = "I confirm the work of this act."


class SigningCodeFactory(TenantOwnedFactory):
    """A one-time code (`123456`) for a sent act, valid for ten minutes."""

    class Meta:
        model = SigningCode

    tenant = factory.SubFactory(TenantFactory)
    act = in_tenant(ActFactory, sent=True)
    user = member("client_signatory", client="act.client")
    code_hash = sha256("123456")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(minutes=10))


class CorrectiveActionFactory(TenantOwnedFactory):
    """The open corrective action a rating of 2 opened."""

    class Meta:
        model = CorrectiveAction

    tenant = factory.SubFactory(TenantFactory)
    opened_by = in_tenant(ConfirmationFactory, rating=2, comment="The engineer came two days late.")
    contract = factory.SelfAttribute("opened_by.contract")
    client = factory.SelfAttribute("opened_by.client")
    owner = member()
    note = "Weekly check-ins with the client's office manager."


class SigningLockoutFactory(TenantOwnedFactory):
    class Meta:
        model = SigningLockout

    tenant = factory.SubFactory(TenantFactory)
    user = member("client_signatory", client="client")
    failures = 1
    window_started_at = factory.LazyFunction(timezone.now)

    class Params:
        client = factory.LazyAttribute(lambda lockout: _a_client(lockout.tenant))


def _a_client(tenant):
    from .contracts import ClientFactory

    return ClientFactory(tenant=tenant)


class TenantCertificateFactory(TenantOwnedFactory):
    """A certificate row with placeholder PEM and key: enough for lists and admin, not for sealing
    (`confirmations.services.seals.certificate_renew` makes a real one)."""

    class Meta:
        model = TenantCertificate

    tenant = factory.SubFactory(TenantFactory)
    certificate_pem = factory.Sequence(
        lambda n: f"-----BEGIN CERTIFICATE-----\nfactory-{n}\n-----END CERTIFICATE-----\n")
    encrypted_key = b"not a real key"
    key_id = "factory"
    fingerprint = factory.LazyAttribute(lambda c: sha256(c.certificate_pem))
    not_after = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=365))
