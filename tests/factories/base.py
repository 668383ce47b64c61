"""What every factory module shares: the tenant-owned base, the password, dates and digests.

A tenant-owned factory takes its tenant from, in this order: `tenant=` when given; else the tenant of
the first row given as an argument (`OrderFactory(contract=contract)` makes the order in the
contract's tenant); else a new tenant. Every row it creates on the way (its contract, its client,
its user's membership...) is made in that same tenant, so a chain of SubFactories never crosses
the tenant wall, which PostgreSQL checks with composite keys. Rows are written inside the tenant's
context, as PostgreSQL row-level security requires of every insert.
"""

from __future__ import annotations

import datetime
import hashlib

import factory
from django.db import models
from django.utils import timezone

from tenancy.context import tenant_context

PASSWORD = "correct-horse-battery"  # every factory user's password


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


def today() -> datetime.date:
    return timezone.localdate()


def last_month() -> tuple[datetime.date, datetime.date]:
    """The first and last day of the month before today's."""
    end = today().replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


def last_quarter() -> tuple[datetime.date, datetime.date]:
    """The first and last day of the calendar quarter before today's."""
    first_of_quarter = today().replace(month=(today().month - 1) // 3 * 3 + 1, day=1)
    end = first_of_quarter - datetime.timedelta(days=1)
    return end.replace(month=(end.month - 1) // 3 * 3 + 1, day=1), end


def in_tenant(factory_class, **kwargs):
    """A SubFactory of `factory_class` in the tenant of the row being made."""
    return factory.SubFactory(factory_class, tenant=factory.SelfAttribute("..tenant"), **kwargs)


def member(role: str = "account_manager", *, client: str = ""):
    """A user with `role` in the tenant of the row being made; for a client role, of the client
    found at the dotted path `client` on that row (e.g. "contract.client")."""

    def make(row):
        from .tenancy import MembershipFactory

        client_row = None
        if client:
            client_row = row
            for name in client.split("."):
                client_row = getattr(client_row, name)
        return MembershipFactory(tenant=row.tenant, role=role, client=client_row).user

    return factory.LazyAttribute(make)


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates the row inside its tenant's context (PostgreSQL RLS checks every insert)."""

    class Meta:
        abstract = True

    @classmethod
    def _generate(cls, strategy, params):
        if "tenant" not in params:
            for value in params.values():
                if isinstance(value, models.Model) and getattr(value, "tenant_id", None) is not None:
                    params = {**params, "tenant": value.tenant}
                    break
        return super()._generate(strategy, params)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with tenant_context(kwargs["tenant"]):
            return super()._create(model_class, *args, **kwargs)


class EventFactory(TenantOwnedFactory):
    """An event row (`tenancy.events.Event`): appended like `Event.record` does; the audit chain
    links it after commit."""

    class Meta:
        abstract = True

    kind = "created"
    actor = None
    actor_label = factory.LazyAttribute(lambda e: _actor_label(e.actor))


def _actor_label(actor) -> str:
    from tenancy.audit import actor_label

    return str(actor_label(actor))
