"""In a real browser, in English and in Russian: an account manager registers an order on the client's
behalf and moves it through its states (acknowledge, start work, deliver), seeing the state badge and
the SLA clocks change at each step. Screenshots: var/screenshots/test_manager_journey-<lang>-<step>.png."""

from __future__ import annotations

import re

import pytest

from orders.models import Order
from tests.conftest import build_world
from tests.disputes.support import contract_of
from tests.e2e.support import Shots, page_in, sign_in, t

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def world(transactional_db):
    """A tenant with a user in every role and an active contract (built before the browser starts)."""
    world = build_world("J")
    return world, contract_of(world, title="Service desk")


def clock_states(page) -> dict[str, str]:
    rows = page.locator("#clocks .clock-row")
    return {rows.nth(i).get_attribute("data-metric"): rows.nth(i).get_attribute("data-clock-state")
            for i in range(rows.count())}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_account_manager_registers_an_order_and_moves_it_to_delivered(live_server, browser, world, language):
    world, contract = world
    shot = Shots("test_manager_journey", language)
    with page_in(browser, language) as page:
        sign_in(page, live_server.url, world.account_manager, language, next_path="/orders/new/")
        page.wait_for_url("**/orders/new/")
        page.select_option("#id_contract", str(contract.pk))
        page.select_option("#id_kind", Order.Kind.INCIDENT)
        page.fill("#id_title", "Mail server does not answer")
        page.fill("#id_description", "Since 9:00 nobody in the head office receives mail.")
        shot(page, "new-order-form")
        page.get_by_role("button", name=t(language, "Register"), exact=True).click()
        page.wait_for_url(re.compile(r"/orders/\d+/$"))
        order_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

        state = page.get_by_test_id("order-state").locator(".badge")
        sync_api.expect(state).to_have_attribute("data-state", "new")
        sync_api.expect(state).to_have_text(t(language, "New"))
        clocks = clock_states(page)
        assert set(clocks) == {"response", "resolution"}, clocks
        assert "met" not in clocks.values() and "paused" not in clocks.values(), clocks
        shot(page, "registered")

        page.locator("button[data-transition=acknowledge]").click()
        sync_api.expect(state).to_have_attribute("data-state", "acknowledged")
        sync_api.expect(page.locator("#clocks .clock-row[data-metric=response]")).to_have_attribute(
            "data-clock-state", "met")
        assert clock_states(page)["resolution"] != "met"
        shot(page, "acknowledged")

        page.locator("button[data-transition=start_incident]").click()
        sync_api.expect(state).to_have_attribute("data-state", "in_progress")
        shot(page, "in-progress")

        page.locator("button[data-transition=deliver]").click()
        sync_api.expect(state).to_have_attribute("data-state", "delivered")
        sync_api.expect(page.locator("#clocks .clock-row[data-metric=resolution]")).to_have_attribute(
            "data-clock-state", "met")
        sync_api.expect(state).to_have_text(t(language, "Delivered"))
        shot(page, "delivered")

    with world.context():
        order = Order.objects.get(pk=order_id)
        assert order.state == "delivered"
        assert [e.to_state for e in order.events.order_by("pk") if e.to_state][-3:] == [
            "acknowledged", "in_progress", "delivered"]
