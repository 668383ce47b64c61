"""Factories of `contracts`: clients, providers, contracts, parties, roles, versions, amendments,
obligations."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from contracts.models import (
    Amendment,
    AmendmentConsent,
    Client,
    Contract,
    ContractEvent,
    ContractParty,
    ContractRole,
    ContractVersion,
    Obligation,
    ObligationOccurrence,
    ObligationTemplate,
    PartyKind,
    Provider,
)
from tenancy.context import tenant_context

from .base import EventFactory, TenantOwnedFactory, in_tenant, member, sha256, today
from .tenancy import TenantFactory, UserFactory


def own_provider(tenant):
    with tenant_context(tenant):
        return Provider.objects.filter(is_own=True).first()


class ClientFactory(TenantOwnedFactory):
    class Meta:
        model = Client

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    legal_name = factory.LazyAttribute(lambda c: f"LLC {c.name}")
    tax_id = factory.Sequence(lambda n: f"77{n:08d}")


class ProviderFactory(TenantOwnedFactory):
    class Meta:
        model = Provider

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Subcontractor {n}")


class ContractFactory(TenantOwnedFactory):
    """A draft contract. Use `activate_contract` to move it on through the services."""

    class Meta:
        model = Contract

    tenant = factory.SubFactory(TenantFactory)
    client = factory.LazyAttribute(lambda c: ClientFactory(tenant=c.tenant))
    provider = factory.LazyAttribute(lambda c: own_provider(c.tenant))
    number = factory.Sequence(lambda n: f"SC-{n:04d}")
    title = factory.Sequence(lambda n: f"IT outsourcing {n}")
    # relative to today, so that the suite does not start failing when a fixed date passes
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=700))
    currency = "RUB"
    monthly_fee = Decimal("250000.00")
    quality_share_pct = Decimal("20.00")
    penalty_cap_pct = Decimal("15.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            contract = super()._create(model_class, *args, **kwargs)
            ContractParty.objects.create(contract=contract, kind=PartyKind.CUSTOMER, client=contract.client)
            ContractParty.objects.create(contract=contract, kind=PartyKind.CONTRACTOR, provider=contract.provider)
        return contract


class ContractPartyFactory(TenantOwnedFactory):
    """A subcontractor on a contract (the contract factory adds the customer and the contractor)."""

    class Meta:
        model = ContractParty

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    kind = PartyKind.SUBCONTRACTOR
    client = None
    provider = in_tenant(ProviderFactory)
    representative = "General director"
    basis = "the charter"


class ContractRoleFactory(TenantOwnedFactory):
    class Meta:
        model = ContractRole

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    role = "account_manager"
    user = factory.SubFactory(UserFactory)


class ContractEventFactory(EventFactory):
    class Meta:
        model = ContractEvent

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    kind = ContractEvent.Kind.CREATED


class ContractVersionFactory(TenantOwnedFactory):
    """Version 1 of a contract's terms, in force from its start."""

    class Meta:
        model = ContractVersion

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    number = 1
    effective_from = factory.LazyAttribute(lambda v: v.contract.start_date)
    terms = factory.LazyAttribute(lambda v: {"monthly_fee": str(v.contract.monthly_fee),
                                             "end_date": str(v.contract.end_date or "")})


class AmendmentFactory(TenantOwnedFactory):
    """A proposed amendment raising the fee from next month."""

    class Meta:
        model = Amendment

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    number = factory.Sequence(lambda n: f"AM-{n:04d}")
    effective_date = factory.LazyFunction(lambda: today() + datetime.timedelta(days=30))
    reason = "Two more sites to serve"
    changes = factory.LazyFunction(lambda: {"monthly_fee": "300000.00"})
    proposed_by = member()
    proposed_side = "provider"


class AmendmentConsentFactory(TenantOwnedFactory):
    class Meta:
        model = AmendmentConsent

    tenant = factory.SubFactory(TenantFactory)
    amendment = in_tenant(AmendmentFactory)
    signer = member("client_signatory", client="amendment.contract.client")
    signer_name = factory.LazyAttribute(lambda c: c.signer.get_full_name())
    signed_at = factory.LazyFunction(timezone.now)
    ip_address = "192.0.2.10"
    user_agent = "Mozilla/5.0"
    document_sha256 = factory.LazyAttribute(lambda c: sha256(c.amendment.number))
    consent_text = "I agree to the amendment."


class ObligationTemplateFactory(TenantOwnedFactory):
    class Meta:
        model = ObligationTemplate

    tenant = factory.SubFactory(TenantFactory)
    title = factory.Sequence(lambda n: f"Closing documents {n}")
    rule = "monthly"
    day = 5


class ObligationFactory(TenantOwnedFactory):
    """The monthly report by the 5th, owned by an account manager."""

    class Meta:
        model = Obligation

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    owner = member()
    title = factory.Sequence(lambda n: f"Monthly report {n}")
    rule = "monthly"
    day = 5
    starts_on = factory.LazyAttribute(lambda o: o.contract.start_date)


class ObligationOccurrenceFactory(TenantOwnedFactory):
    class Meta:
        model = ObligationOccurrence

    tenant = factory.SubFactory(TenantFactory)
    obligation = in_tenant(ObligationFactory)
    due_date = factory.Sequence(lambda n: today() + datetime.timedelta(days=n % 3650))
