"""Helpers shared by the orders and SLA API tests."""

from __future__ import annotations

import datetime as dt

import factory
from rest_framework.test import APIClient

from orders import services
from orders.models import Order, OrderComment, OrderEvent, Team, TeamMember
from tenancy.context import tenant_context
from tests.contracts.api_support import active_contract
from tests.factories import (
    ClientFactory,
    MembershipFactory,
    TenantOwnedFactory,
    UserFactory,
    own_provider,
)

ORDERS = "/api/v1/orders/"
HOUR = 3600
MONDAY_9 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


class TeamFactory(TenantOwnedFactory):
    """A team of the tenant's own provider; `members=[user, ...]` puts people in it."""

    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    provider = factory.LazyAttribute(lambda t: own_provider(t.tenant))

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            with tenant_context(self.tenant_id):
                for user in extracted:
                    TeamMember.objects.create(team=self, user=user)


def session_as(user) -> APIClient:
    """A browser-like client: the user's session, no API key (how client users reach the API)."""
    api = APIClient()
    api.force_login(user)
    return api


def other_client(world, label: str = "Y"):
    """A second client in the same tenant, with its own client admin and an active contract."""
    client = ClientFactory(tenant=world.tenant, name=f"Client {label} of {world.tenant.name}")
    user = UserFactory(username=f"{world.tenant.slug}_{label.lower()}_client_admin")
    MembershipFactory(tenant=world.tenant, user=user, role="client_admin", client=client)
    contract = active_contract(world, client=client, number=f"Y-{world.tenant.pk}-{label}")
    return client, user, contract


def move(world, order, *steps) -> Order:
    """Fire (name, actor) steps through the service; a reason is given for every step."""
    for name, actor in steps:
        with world.context(user=actor):
            order = services.order_transition(order=order, name=name, actor=actor, note="set up by the test")
    return order


def fire(api, order, action: str, note: str | None = None):
    body = {} if note is None else {"note": note}
    return api.post(f"{ORDERS}{order.pk}/{action}/", body, format="json")


def event_count(world, order) -> int:
    with world.context():
        return OrderEvent.objects.filter(order=order).count()


def comment_count(world, order) -> int:
    with world.context():
        return OrderComment.objects.filter(order=order).count()


def clocks_of(body: dict) -> dict:
    return {c["metric"]: c for c in body["clocks"]}
