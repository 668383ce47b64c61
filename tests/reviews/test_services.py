"""The review procedure, its bad input, the beat that creates reviews (a year of one contract,
simulated day by day) and the reminders (once per item and day)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import timezone, translation

from reviews import services
from reviews.models import ActionItem, Review, ReviewConfirmation
from reviews.services import ConfirmInput, HoldInput
from reviews.tasks import create_due_reviews, remind_reviews
from tenancy.errors import ActionForbidden, DomainError, TransitionRefused
from tenancy.models import Notification
from tests.clock import add_months, local_today
from tests.contracts.api_support import active_contract
from tests.reviews.support import last_month, new_review, report_fixture, reviewed_contract


def held_review(world, *, items=(("Fix the monitoring", True),)):
    fixture = report_fixture(world)
    review = new_review(world, fixture.contract, fixture.start, fixture.end)
    am = world.account_manager
    with world.context(user=am):
        services.review_prepare(review=review, actor=am)
        services.review_hold(review=review, actor=am, data=HoldInput(
            held_on=local_today(world.tenant), provider_attendees="A. Manager", client_attendees="C. Admin",
            minutes="Discussed the breaches."))
        for what, complete in items:
            services.action_item_create(review=review, actor=am, what=what,
                                        owner=world.engineer if complete else None,
                                        due_date=local_today(world.tenant) + dt.timedelta(days=30) if complete else None)
        return Review.objects.get(pk=review.pk)


def test_the_procedure_runs_to_closed_and_freezes_the_report(world_a):
    review = held_review(world_a)
    assert review.state == "held" and review.snapshot["orders"]["raised_total"] == 4
    with world_a.context(user=world_a.account_manager):
        services.review_close(review=review, actor=world_a.account_manager)
        review = Review.objects.get(pk=review.pk)
        assert review.state == "closed"
        assert [e.to_state for e in review.events.filter(kind="transition")] == ["prepared", "held", "closed"]


def test_the_snapshot_does_not_change_with_later_data_until_refreshed(world_a):
    fixture = report_fixture(world_a)
    review = new_review(world_a, fixture.contract, fixture.start, fixture.end)
    am = world_a.account_manager
    with world_a.context(user=am):
        services.review_prepare(review=review, actor=am)
        from tests.reviews.support import local, order

        order(world_a, fixture.contract, reported_at=local(world_a, fixture.start, 15))
        assert Review.objects.get(pk=review.pk).snapshot["orders"]["raised_total"] == 4
        services.review_refresh(review=review, actor=am)
        assert Review.objects.get(pk=review.pk).snapshot["orders"]["raised_total"] == 5


def test_closing_needs_every_item_to_have_an_owner_and_a_due_date(world_a):
    review = held_review(world_a, items=(("Fix the monitoring", True), ("Train the night shift", False)))
    with world_a.context(user=world_a.account_manager), pytest.raises(DomainError) as error:
        services.review_close(review=review, actor=world_a.account_manager)
    assert error.value.code == "incomplete_items"
    with world_a.context():
        assert Review.objects.get(pk=review.pk).state == "held"


@pytest.mark.parametrize("change", [
    {"state": "terminate"},
    {"period_end": "future"},
    {"proposed_meeting_date": "before_end"},
])
def test_bad_reviews_are_refused_and_nothing_is_saved(world_a, change):
    contract = reviewed_contract(world_a)
    start, end = last_month(world_a)
    fields = {}
    if "state" in change:
        from tests.contracts.api_support import move
        contract = move(world_a, contract, "terminate")
    if change.get("period_end") == "future":
        end = local_today(world_a.tenant) + dt.timedelta(days=3)
    if change.get("proposed_meeting_date") == "before_end":
        fields["proposed_meeting_date"] = end
    with pytest.raises(DomainError):
        new_review(world_a, contract, start, end, **fields)
    with world_a.context():
        assert not Review.objects.exists()


def test_a_second_review_of_the_same_period_is_refused(world_a):
    contract = reviewed_contract(world_a)
    start, end = last_month(world_a)
    new_review(world_a, contract, start, end)
    with pytest.raises(DomainError) as error:
        new_review(world_a, contract, start, end)
    assert error.value.code == "duplicate"


def test_an_owner_from_another_tenant_or_client_is_refused(world_a, world_b):
    from tests.factories import ClientFactory, MembershipFactory, UserFactory
    contract = reviewed_contract(world_a)
    start, end = last_month(world_a)
    review = new_review(world_a, contract, start, end)
    other_client_user = UserFactory(username="other_client_user")
    MembershipFactory(tenant=world_a.tenant, user=other_client_user, role="client_admin",
                      client=ClientFactory(tenant=world_a.tenant, name="Another client"))
    with world_a.context(user=world_a.account_manager):
        for owner in (world_b.engineer, other_client_user):
            with pytest.raises(DomainError) as error:
                services.action_item_create(review=review, actor=world_a.account_manager, what="x", owner=owner)
            assert error.value.field == "owner"
        item = services.action_item_create(review=review, actor=world_a.account_manager, what="x",
                                           owner=world_a.client_admin)
        assert item.owner == world_a.client_admin
        assert ActionItem.objects.count() == 1


def test_the_client_signatory_confirms_once_with_the_password(world_a, password):
    review = held_review(world_a)
    signatory = world_a.client_signatory
    with world_a.context(user=signatory):
        with pytest.raises(DomainError) as error:
            services.review_confirm(review=review, actor=signatory, data=ConfirmInput(password="wrong", consent=True))
        assert error.value.field == "password"
        confirmation = services.review_confirm(review=review, actor=signatory,
                                               data=ConfirmInput(password=password, consent=True,
                                                                 ip_address="10.0.0.1"))
        assert len(confirmation.document_sha256) == 64 and confirmation.ip_address == "10.0.0.1"
        with pytest.raises(TransitionRefused):
            services.review_confirm(review=review, actor=signatory, data=ConfirmInput(password=password, consent=True))
        assert ReviewConfirmation.objects.count() == 1
    with world_a.context(user=world_a.client_viewer), pytest.raises(ActionForbidden):
        services.review_confirm(review=review, actor=world_a.client_viewer,
                                data=ConfirmInput(password=password, consent=True))


@pytest.mark.parametrize(("language", "items", "said"), [
    ("en", 1, "its plan of 1 action item (SHA-256"), ("en", 2, "its plan of 2 action items (SHA-256"),
    ("ru", 1, "(пунктов: 1; SHA-256"), ("ru", 2, "(пунктов: 2; SHA-256"),
])
def test_the_consent_signed_counts_the_action_items_in_the_signers_language(world_a, password, language, items, said):
    review = held_review(world_a, items=[(f"Item {n}", True) for n in range(items)])
    signatory = world_a.client_signatory
    with world_a.context(user=signatory), translation.override(language):
        confirmation = services.review_confirm(review=review, actor=signatory,
                                               data=ConfirmInput(password=password, consent=True))
    assert said in confirmation.consent_text and confirmation.document_sha256 in confirmation.consent_text


def test_wrong_passwords_lock_confirming_the_minutes_like_signing_an_act(world_a, password):
    from confirmations.services import SigningLocked

    review = held_review(world_a)
    signatory = world_a.client_signatory
    with world_a.context(user=signatory):
        for _attempt in range(4):
            with pytest.raises(DomainError) as error:
                services.review_confirm(review=review, actor=signatory,
                                        data=ConfirmInput(password="wrong", consent=True))
            assert error.value.code == "wrong_password"
        with pytest.raises(SigningLocked):  # the fifth locks
            services.review_confirm(review=review, actor=signatory, data=ConfirmInput(password="wrong", consent=True))
        with pytest.raises(SigningLocked):  # and the right password waits too
            services.review_confirm(review=review, actor=signatory, data=ConfirmInput(password=password, consent=True))
        assert ReviewConfirmation.objects.count() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)), world_a.context(user=signatory):
        services.review_confirm(review=review, actor=signatory, data=ConfirmInput(password=password, consent=True))
        assert ReviewConfirmation.objects.count() == 1


def test_a_year_of_one_contract_makes_four_quarterly_and_one_annual_review_once_each(world_a):
    zone = zoneinfo.ZoneInfo(world_a.tenant.time_zone)
    first = add_months(local_today(world_a.tenant), 3)
    first = first.replace(month=(first.month - 1) // 3 * 3 + 1)  # the next quarter's first day
    contract = active_contract(world_a, start_date=first, end_date=first + dt.timedelta(days=800),
                               review_cadence="both")
    day = first
    while day <= first.replace(year=first.year + 1) + dt.timedelta(days=2):
        with time_machine.travel(dt.datetime.combine(day, dt.time(9), tzinfo=zone), tick=False):
            create_due_reviews()
            if day.day == 1:
                create_due_reviews(world_a.tenant.pk)  # a second beat at once makes nothing more
        day += dt.timedelta(days=7) if 3 < day.day < 25 else dt.timedelta(days=1)
    with world_a.context():
        reviews = list(Review.objects.filter(contract=contract).order_by("kind", "period_start"))
        notified = Notification.objects.filter(kind="review_scheduled", user=world_a.account_manager).count()
    kinds = [(r.kind, r.period_start, r.period_end) for r in reviews]
    quarters = [add_months(first, 3 * i) for i in range(5)]
    assert kinds == [("annual", first, quarters[4] - dt.timedelta(days=1))] + [
        ("quarterly", quarters[i], quarters[i + 1] - dt.timedelta(days=1)) for i in range(4)]
    assert all(r.proposed_meeting_date > r.period_end for r in reviews)
    assert notified == 5


def test_overdue_items_remind_once_a_day_and_escalate(world_a):
    review = held_review(world_a)
    with world_a.context():
        item = ActionItem.objects.get(review=review)
    due = item.due_date
    zone = zoneinfo.ZoneInfo(world_a.tenant.time_zone)
    for days_late, runs in ((1, 2), (3, 3)):
        moment = dt.datetime.combine(due + dt.timedelta(days=days_late), dt.time(10), tzinfo=zone)
        with time_machine.travel(moment, tick=False):
            for _ in range(runs):
                remind_reviews()
    with world_a.context():
        owner = Notification.objects.filter(kind="review_item_overdue", user=world_a.engineer).count()
        escalated = Notification.objects.filter(kind="review_item_escalated", user=world_a.account_manager).count()
    assert (owner, escalated) == (2, 1)
