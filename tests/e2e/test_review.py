"""In a real browser: the account manager finds the review due on the dashboard, prepares the report,
records the meeting, adds an action item, closes the review; the client's signatory then sees the
minutes waiting on the portal home and confirms them with the password."""

from __future__ import annotations

import datetime as dt

import pytest

from reviews.models import Review, ReviewConfirmation
from tenancy.context import tenant_context
from tests.clock import local_today
from tests.conftest import build_world
from tests.factories import PASSWORD
from tests.reviews.support import new_review, report_fixture

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def scheduled_review(transactional_db):
    """A scheduled review of last month of an active contract with orders, breaches and ratings.

    Built before the browser starts, like every e2e fixture (no ORM work beside Playwright's loop)."""
    world = build_world("E")
    fixture = report_fixture(world)
    review = new_review(world, fixture.contract, fixture.start, fixture.end)
    return world, review


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_review_is_prepared_held_closed_and_confirmed_in_the_browser(live_server, page, scheduled_review):
    world, review = scheduled_review
    today = local_today(world.tenant)
    state = page.locator(".page-head .badge")

    # the account manager: from the dashboard's figure to the review
    log_in(page, live_server.url, world.account_manager.username)
    page.wait_for_url(f"{live_server.url}/")
    tile = page.locator('[data-figure="reviews-scheduled"]')
    sync_api.expect(tile.locator(".stat-count")).to_have_text("1")
    tile.click()
    page.wait_for_url("**/reviews/?state=scheduled")
    page.get_by_role("link", name=review.contract.number).click()
    page.wait_for_url(f"**/reviews/{review.pk}/")
    sync_api.expect(state).to_have_text("Scheduled")

    # prepare: the report is frozen, its charts on the page
    page.get_by_role("button", name="Prepare the report").click()
    sync_api.expect(state).to_have_text("Prepared")
    sync_api.expect(page.locator("svg.chart").first).to_be_visible()

    # hold: the date, both sides' attendees, the minutes
    page.fill("#id_held_on", today.isoformat())
    page.fill("#id_provider_attendees", "Pavel Smirnov, account manager")
    page.fill("#id_client_attendees", "Sofia Lebedeva, IT director")
    page.fill("#id_minutes", "Breaches of the high-priority incidents discussed; the night shift is extended.")
    page.locator("#procedure").get_by_role("button", name="Record the meeting").click()
    sync_api.expect(state).to_have_text("Held")

    # the plan: one action item with an owner and a due date, then close
    page.fill("#id_what", "Extend the night shift to the weekend")
    page.select_option("#id_owner", str(world.engineer.pk))
    page.fill("#id_due_date", (today + dt.timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Add", exact=True).click()
    sync_api.expect(page.locator("#items")).to_contain_text("Extend the night shift to the weekend")
    page.get_by_role("button", name="Close the review").click()
    sync_api.expect(state).to_have_text("Closed")

    # the client's signatory: the portal home asks for the confirmation
    page.context.clear_cookies()
    log_in(page, live_server.url, world.client_signatory.username)
    page.wait_for_url(f"{live_server.url}/portal/")
    banner = page.locator('[data-banner="reviews"]')
    sync_api.expect(banner).to_be_visible()
    banner.get_by_role("link").first.click()
    page.wait_for_url(f"**/portal/reviews/{review.pk}/")
    sync_api.expect(page.locator("#minutes")).to_contain_text("night shift is extended")
    sync_api.expect(page.locator("#items")).to_contain_text("Extend the night shift to the weekend")
    page.fill("#id_password", PASSWORD)
    page.check("#id_consent")
    page.get_by_role("button", name="Confirm").click()
    sync_api.expect(page.locator(".messages")).to_contain_text("the minutes and the plan are confirmed")
    sync_api.expect(page.locator("#minutes")).to_contain_text("Confirmed by")
    page.goto(f"{live_server.url}/portal/")
    sync_api.expect(page.locator('[data-banner="reviews"]')).to_have_count(0)

    with tenant_context(world.tenant):
        review = Review.objects.get(pk=review.pk)
        confirmation = ReviewConfirmation.objects.get(review=review)
        owner = review.items.get().owner
    assert review.state == "closed" and review.held_on == today and owner == world.engineer
    assert confirmation.signer == world.client_signatory and confirmation.user_agent
