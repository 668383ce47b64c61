"""In a real browser: a manager searches from the top bar, sorts the orders by a header, ticks every
order with the header checkbox and acknowledges them all at once."""

from __future__ import annotations

import pytest

from orders import services as orders
from tests.contracts.api_support import active_contract
from tests.factories import PASSWORD

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def two_new_orders(transactional_db):
    from tests.conftest import build_world

    world = build_world("E")
    contract = active_contract(world)
    raised = []
    for title in ("Printer jammed", "Printer out of toner"):
        with world.context(user=world.client_admin):
            raised.append(orders.order_create(actor=world.client_admin, contract=contract, title=title))
    return world, raised


def test_search_sort_and_bulk_acknowledge_in_the_browser(live_server, page, two_new_orders):
    world, raised = two_new_orders
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", world.account_manager.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/")

    box = page.get_by_label("Search orders, contracts, clients, acts and invoices")
    box.fill("toner")
    box.press("Enter")
    page.wait_for_url("**/search/?q=toner")
    assert page.get_by_role("link", name=f"{raised[1].number} · Printer out of toner").is_visible()

    page.goto(f"{live_server.url}/orders/?state=open")
    page.get_by_role("link", name="Reported").click()
    page.wait_for_url("**sort=oldest**")
    assert "state=open" in page.url
    assert page.locator("th[aria-sort=ascending]").text_content().strip().startswith("Reported")

    page.get_by_label("Tick every order on this page").check()
    page.select_option("#id_bulk-action", "transition")
    page.select_option("#id_bulk-transition", "acknowledge")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert page.get_by_text("2 orders changed.").is_visible()
    assert "state=open" in page.url and "sort=oldest" in page.url
