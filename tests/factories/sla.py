"""Factories of `sla`: calendars, policies, clocks, breaches, force majeure."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from sla.models import Breach, BusinessCalendar, ForceMajeure, Metric, SLAClock, SLAPolicy

from .base import TenantOwnedFactory, in_tenant, member
from .contracts import ContractFactory
from .orders import OrderFactory
from .tenancy import TenantFactory

OFFICE_HOURS = {str(day): [["09:00", "18:00"]] for day in range(5)}  # Monday to Friday


class BusinessCalendarFactory(TenantOwnedFactory):
    """Office hours, Monday to Friday, Moscow time, with Russia's public holidays."""

    class Meta:
        model = BusinessCalendar

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Office hours {n}")
    time_zone = "Europe/Moscow"
    working_hours = factory.LazyFunction(lambda: {day: [list(i) for i in hours] for day, hours in OFFICE_HOURS.items()})
    holiday_country = "RU"


class SLAPolicyFactory(TenantOwnedFactory):
    """The 24/48 rule, around the clock."""

    class Meta:
        model = SLAPolicy

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    priority = "normal"
    response_target = datetime.timedelta(hours=24)
    resolution_target = datetime.timedelta(hours=48)
    calendar = None


class SLAClockFactory(TenantOwnedFactory):
    """A running response clock of an order, around the clock: due `target` after the order was
    reported, warned at 75 % of it (what `sla.engine` computes with no calendar and no pauses)."""

    class Meta:
        model = SLAClock

    tenant = factory.SubFactory(TenantFactory)
    order = in_tenant(OrderFactory)
    metric = Metric.RESPONSE
    target = datetime.timedelta(hours=24)
    calendar = None
    policy = None
    warning_threshold_pct = 75
    started_at = factory.LazyAttribute(lambda c: c.order.reported_at)
    due_at = factory.LazyAttribute(lambda c: c.started_at + c.target)
    warn_at = factory.LazyAttribute(lambda c: c.started_at + c.target * c.warning_threshold_pct / 100)


class BreachFactory(TenantOwnedFactory):
    """The breach of a clock that ran past its due time (the clock marked breached too)."""

    class Meta:
        model = Breach

    tenant = factory.SubFactory(TenantFactory)
    clock = in_tenant(SLAClockFactory, breached_at=factory.SelfAttribute("due_at"))
    order = factory.SelfAttribute("clock.order")
    contract = factory.SelfAttribute("clock.order.contract")
    provider = factory.SelfAttribute("clock.order.contract.provider")
    metric = factory.SelfAttribute("clock.metric")
    due_at = factory.SelfAttribute("clock.due_at")
    breached_at = factory.SelfAttribute("clock.breached_at")


class ForceMajeureFactory(TenantOwnedFactory):
    """An open force majeure period on a contract."""

    class Meta:
        model = ForceMajeure

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    reason = "Flood at the client's data centre"
    started_at = factory.LazyFunction(timezone.now)
    started_by = member()
