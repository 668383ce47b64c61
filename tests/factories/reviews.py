"""Factories of `reviews`: reviews, action items, events, the client's confirmation and the home
pages' counted months."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

from reviews.models import (
    ActionItem,
    ComplianceMonth,
    CountedMonth,
    Review,
    ReviewConfirmation,
    ReviewEvent,
    ReviewKind,
    ReviewState,
)

from .base import EventFactory, TenantOwnedFactory, in_tenant, last_quarter, member, sha256, today
from .contracts import ContractFactory
from .tenancy import TenantFactory


class ReviewFactory(TenantOwnedFactory):
    """A scheduled quarterly review of last quarter, the meeting two weeks after it."""

    class Meta:
        model = Review

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    client = factory.SelfAttribute("contract.client")
    kind = ReviewKind.QUARTERLY
    period_start = factory.LazyFunction(lambda: last_quarter()[0])
    period_end = factory.LazyFunction(lambda: last_quarter()[1])
    proposed_meeting_date = factory.LazyAttribute(lambda r: r.period_end + datetime.timedelta(days=14))
    created_by = member()


class ActionItemFactory(TenantOwnedFactory):
    class Meta:
        model = ActionItem

    tenant = factory.SubFactory(TenantFactory)
    review = in_tenant(ReviewFactory)
    what = factory.Sequence(lambda n: f"Replace the printers on floor {n}")
    owner = member("engineer")
    due_date = factory.LazyFunction(lambda: today() + datetime.timedelta(days=30))


class ReviewEventFactory(EventFactory):
    class Meta:
        model = ReviewEvent

    tenant = factory.SubFactory(TenantFactory)
    review = in_tenant(ReviewFactory)
    item = None
    kind = "created"


class ReviewConfirmationFactory(TenantOwnedFactory):
    """The client signatory's confirmation of a held review's minutes and plan."""

    class Meta:
        model = ReviewConfirmation

    tenant = factory.SubFactory(TenantFactory)
    review = in_tenant(ReviewFactory, state=ReviewState.HELD, held_on=factory.SelfAttribute("proposed_meeting_date"),
                       minutes="The parties went through the report.")
    signer = member("client_signatory", client="review.client")
    signer_name = factory.LazyAttribute(lambda c: c.signer.get_full_name())
    signed_at = factory.LazyFunction(timezone.now)
    ip_address = "192.0.2.10"
    user_agent = "Mozilla/5.0"
    document_sha256 = factory.LazyAttribute(lambda c: sha256(c.review.minutes))
    consent_text = "I confirm the minutes and the plan."


def _last_month_first() -> datetime.date:
    return (today().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


class ComplianceMonthFactory(TenantOwnedFactory):
    """Last month's response clocks of a contract, as the count leaves them."""

    class Meta:
        model = ComplianceMonth

    tenant = factory.SubFactory(TenantFactory)
    contract = in_tenant(ContractFactory)
    time_zone = factory.SelfAttribute("tenant.time_zone")
    month = factory.LazyFunction(_last_month_first)
    metric = "response"
    clocks = 10
    met = 8
    breached = 1


class CountedMonthFactory(TenantOwnedFactory):
    class Meta:
        model = CountedMonth

    tenant = factory.SubFactory(TenantFactory)
    time_zone = factory.SelfAttribute("tenant.time_zone")
    month = factory.LazyFunction(_last_month_first)
    counted_at = factory.LazyFunction(timezone.now)
