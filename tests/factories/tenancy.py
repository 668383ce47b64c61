"""Factories of `tenancy`: tenants, users, memberships, keys, notifications, mail, people."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from tenancy.models import (
    ApiKey,
    AuditChainHead,
    Invitation,
    InvitationEvent,
    Membership,
    MembershipEvent,
    Notification,
    NumberCounter,
    OutboundMessage,
    Tenant,
    UserProfile,
)

from .base import PASSWORD, EventFactory, TenantOwnedFactory, in_tenant, member


class TenantFactory(factory.django.DjangoModelFactory):
    """A tenant with its own provider row, as `tenancy.services` makes one."""

    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Provider {n}")
    slug = factory.Sequence(lambda n: f"provider-{n}")

    @factory.post_generation
    def own_provider(self, create, extracted, **kwargs):
        if create:
            from .contracts import ProviderFactory

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


class UserProfileFactory(factory.django.DjangoModelFactory):
    """A person's own preferences (not tenant-owned)."""

    class Meta:
        model = UserProfile

    user = factory.SubFactory(UserFactory)
    language = "en"
    time_zone = "Europe/Moscow"


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = "account_manager"
    client = None


class ApiKeyFactory(TenantOwnedFactory):
    """A key row; its raw key is `raw-key-<n>` (the API authenticates by its SHA-256)."""

    class Meta:
        model = ApiKey

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Integration {n}")
    prefix = factory.Sequence(lambda n: f"raw-key-{n}"[:16])
    key_hash = factory.Sequence(lambda n: ApiKey.hash_key(f"raw-key-{n}"))
    scopes = factory.LazyFunction(lambda: ["read", "write"])
    created_by = member("admin")


class NotificationFactory(TenantOwnedFactory):
    class Meta:
        model = Notification

    tenant = factory.SubFactory(TenantFactory)
    user = member()
    kind = "order_created"
    title = factory.Sequence(lambda n: f"Order ORD-{n} was raised")
    url = "/orders/"
    dedupe_key = factory.Sequence(lambda n: f"event:{n}")


class NumberCounterFactory(TenantOwnedFactory):
    class Meta:
        model = NumberCounter

    tenant = factory.SubFactory(TenantFactory)
    series = factory.Sequence(lambda n: f"S{n % 10_000_000}")
    year = factory.LazyAttribute(lambda c: c.tenant.today().year)
    last = 0


class AuditChainHeadFactory(TenantOwnedFactory):
    """The head of a tenant's audit chain (one per tenant; `tenancy.chain` makes it on first use)."""

    class Meta:
        model = AuditChainHead

    tenant = factory.SubFactory(TenantFactory)


class OutboundMessageFactory(TenantOwnedFactory):
    class Meta:
        model = OutboundMessage

    tenant = factory.SubFactory(TenantFactory)
    user = member()
    to = factory.LazyAttribute(lambda m: m.user.email if m.user else "someone@example.com")
    template = "order_created"
    language = "en"
    subject = factory.Sequence(lambda n: f"Order ORD-{n} was raised")
    message_id = factory.Sequence(lambda n: f"<message-{n}@contracts.example.com>")


class InvitationFactory(TenantOwnedFactory):
    """An open invitation of a provider engineer; its raw token is `token-<n>`."""

    class Meta:
        model = Invitation

    tenant = factory.SubFactory(TenantFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.com")
    role = "engineer"
    client = None
    language = "en"
    token_hash = factory.Sequence(lambda n: Invitation.hash_token(f"token-{n}"))
    invited_by = member("admin")
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class MembershipEventFactory(EventFactory):
    class Meta:
        model = MembershipEvent

    tenant = factory.SubFactory(TenantFactory)
    membership = in_tenant(MembershipFactory)
    kind = MembershipEvent.Kind.JOINED


class InvitationEventFactory(EventFactory):
    class Meta:
        model = InvitationEvent

    tenant = factory.SubFactory(TenantFactory)
    invitation = in_tenant(InvitationFactory)
    kind = InvitationEvent.Kind.CREATED
