"""factory_boy factories. Tenant-owned rows take `tenant=` explicitly, so no context is needed."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from contracts.models import Client, Contract, ContractRole, Provider
from tenancy.context import tenant_context
from tenancy.models import Membership, Tenant

PASSWORD = "correct-horse-battery"  # every factory user's password


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside its tenant's context (PostgreSQL RLS checks every insert)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)


def own_provider(tenant):
    with tenant_context(tenant):
        return Provider.objects.filter(is_own=True).first()


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Provider {n}")
    slug = factory.Sequence(lambda n: f"provider-{n}")

    @factory.post_generation
    def own_provider(self, create, extracted, **kwargs):
        if create:
            ProviderFactory(tenant=self, name=f"{self.name} (own)", is_own=True)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


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


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = "account_manager"
    client = None


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
        from contracts.models import ContractParty, PartyKind

        with tenant_context(kwargs["tenant"]):
            contract = super()._create(model_class, *args, **kwargs)
            ContractParty.objects.create(contract=contract, kind=PartyKind.CUSTOMER, client=contract.client)
            ContractParty.objects.create(contract=contract, kind=PartyKind.CONTRACTOR, provider=contract.provider)
        return contract


class ContractRoleFactory(TenantOwnedFactory):
    class Meta:
        model = ContractRole

    contract = factory.SubFactory(ContractFactory)
    tenant = factory.SelfAttribute("contract.tenant")
    role = "account_manager"
    user = factory.SubFactory(UserFactory)
