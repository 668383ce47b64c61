"""Factories of `orders`: teams, orders, their events, comments and attachments."""

from __future__ import annotations

import factory

from orders.models import (
    Order,
    OrderAttachment,
    OrderComment,
    OrderEvent,
    OrderSearchTerm,
    Team,
    TeamMember,
)
from orders.search import terms_write
from tenancy.context import tenant_context

from .base import EventFactory, TenantOwnedFactory, in_tenant, member, sha256
from .contracts import ContractFactory, own_provider
from .tenancy import TenantFactory

PDF = b"%PDF-1.4\n% a file the factories attach\n%%EOF\n"


class TeamFactory(TenantOwnedFactory):
    """A resolution team of the tenant's own organisation."""

    class Meta:
        model = Team

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Resolution team {n}")
    kind = Team.Kind.RESOLUTION
    provider = factory.LazyAttribute(lambda t: own_provider(t.tenant))


class TeamMemberFactory(TenantOwnedFactory):
    class Meta:
        model = TeamMember

    tenant = factory.SubFactory(TenantFactory)
    team = in_tenant(TeamFactory)
    user = member("engineer")


class OrderFactory(TenantOwnedFactory):
    """A new work request raised by a client user. The row only: `tests.support.raise_order` goes
    through the service, which also starts the clocks."""

    class Meta:
        model = Order
        skip_postgeneration_save = True  # the hook writes the terms; the order itself is saved already

    tenant = factory.SubFactory(TenantFactory)
    number = factory.Sequence(lambda n: f"ORD-{n:05d}")
    contract = in_tenant(ContractFactory)
    client = factory.SelfAttribute("contract.client")
    kind = Order.Kind.REQUEST
    title = factory.Sequence(lambda n: f"Set up workstation {n}")
    description = "A new employee starts on Monday."
    priority = "normal"
    reported_by = member("client_admin", client="contract.client")

    @factory.post_generation
    def search_terms(order, create, extracted, **kwargs):
        """The order's words for the search, as the order services write them."""
        if create:
            with tenant_context(order.tenant):
                terms_write(order)


class OrderSearchTermFactory(TenantOwnedFactory):
    class Meta:
        model = OrderSearchTerm

    tenant = factory.SubFactory(TenantFactory)
    order = in_tenant(OrderFactory)
    term = factory.Sequence(lambda n: f"word{n}")


class OrderEventFactory(EventFactory):
    class Meta:
        model = OrderEvent

    tenant = factory.SubFactory(TenantFactory)
    order = in_tenant(OrderFactory)
    kind = OrderEvent.Kind.CREATED


class OrderCommentFactory(TenantOwnedFactory):
    class Meta:
        model = OrderComment

    tenant = factory.SubFactory(TenantFactory)
    order = in_tenant(OrderFactory)
    author = member("engineer")
    body = factory.Sequence(lambda n: f"Working on it ({n}).")


class OrderAttachmentFactory(TenantOwnedFactory):
    """A small PDF attached by an engineer (written to MEDIA_ROOT)."""

    class Meta:
        model = OrderAttachment

    tenant = factory.SubFactory(TenantFactory)
    order = in_tenant(OrderFactory)
    file = factory.django.FileField(filename="report.pdf", data=PDF)
    original_name = "report.pdf"
    content_type = "application/pdf"
    size = len(PDF)
    sha256 = sha256(PDF)
    uploaded_by = member("engineer")
