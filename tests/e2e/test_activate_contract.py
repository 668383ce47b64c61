"""In a real browser: an account manager logs in, opens a contract in negotiation and activates it."""

from __future__ import annotations

import datetime

import pytest

from contracts import services
from tenancy.context import tenant_context
from tests.factories import (
    PASSWORD,
    ClientFactory,
    ContractFactory,
    MembershipFactory,
    TenantFactory,
    UserFactory,
)

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def contract_ready_to_activate(transactional_db):
    """A tenant, its account manager, and a contract in negotiation that meets every activation condition."""
    tenant = TenantFactory(name="Northwind IT")
    client = ClientFactory(tenant=tenant, name="Uralsteel")
    manager = UserFactory(username="pavel", first_name="Pavel", last_name="Smirnov")
    signatory = UserFactory(username="signer", first_name="Sofia", last_name="Lebedeva")
    MembershipFactory(tenant=tenant, user=manager, role="account_manager")
    MembershipFactory(tenant=tenant, user=signatory, role="client_signatory", client=client)
    contract = ContractFactory(tenant=tenant, client=client, number="NW-2026-001", title="Service desk",
                               start_date=datetime.date(2026, 1, 1), end_date=None)
    with tenant_context(tenant, user=manager):
        services.contract_role_assign(contract=contract, actor=manager, role="account_manager", user=manager)
        services.contract_role_assign(contract=contract, actor=manager, role="client_signatory", user=signatory)
        services.contract_submit(contract=contract, actor=manager)
    return contract, manager


def test_account_manager_activates_a_contract_in_the_browser(live_server, page, contract_ready_to_activate):
    contract, manager = contract_ready_to_activate
    stylesheets = []
    page.on("response", lambda r: stylesheets.append(r) if r.url.endswith("/static/css/app.css") else None)

    page.goto(f"{live_server.url}/contracts/{contract.pk}/")
    page.wait_for_url("**/accounts/login/**")  # not logged in yet
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/contracts/{contract.pk}/")

    # the stylesheet and the script both work
    # (200, or 304 when the browser revalidates the copy it loaded with the login page)
    assert stylesheets and all(r.status in (200, 304) for r in stylesheets)
    assert page.eval_on_selector(".topbar", "el => getComputedStyle(el).backgroundColor") == "rgb(17, 24, 39)"
    page.wait_for_function("document.documentElement.classList.contains('js')")
    assert not page.locator(".switcher .js-hide").first.is_visible()

    state = page.get_by_test_id("contract-state")
    sync_api.expect(state).to_have_text("Negotiation")
    page.locator("#actions").get_by_role("button", name="Activate").click()

    sync_api.expect(state).to_have_text("Active")
    sync_api.expect(page.locator(".messages")).to_contain_text("The contract is now Active.")
    latest = page.locator("#timeline li[data-kind=transition]").first  # newest first
    sync_api.expect(latest.locator("[data-state]")).to_have_text(["Negotiation", "Active"])
    sync_api.expect(latest.locator(".event-actor")).to_have_text("Pavel Smirnov")
    # from active, the next actions are offered
    sync_api.expect(page.locator("#actions summary", has_text="Suspend")).to_be_visible()

    with tenant_context(contract.tenant_id):  # behind row-level security on PostgreSQL
        contract.refresh_from_db()
    assert contract.state == "active"
