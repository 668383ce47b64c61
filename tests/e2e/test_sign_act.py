"""In a real browser: the client's signatory logs in to the portal, opens a sent act, rates the work,
re-enters the password, ticks the consent and signs; the page then says "Signed"."""

from __future__ import annotations

import datetime

import pytest

from confirmations import services
from confirmations.models import Act
from contracts import services as contract_services
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
def act_to_sign(transactional_db):
    """A sent act (its PDF rendered) of an active contract, and the client's signatory.

    Built before the browser starts: rendering runs pyHanko/WeasyPrint code that must not share a
    thread with Playwright's event loop."""
    tenant = TenantFactory(name="Northwind IT")
    client = ClientFactory(tenant=tenant, name="Uralsteel")
    manager = UserFactory(username="pavel", first_name="Pavel", last_name="Smirnov")
    signatory = UserFactory(username="signer", first_name="Sofia", last_name="Lebedeva")
    MembershipFactory(tenant=tenant, user=manager, role="account_manager")
    MembershipFactory(tenant=tenant, user=signatory, role="client_signatory", client=client)
    contract = ContractFactory(tenant=tenant, client=client, number="NW-2026-001", title="Service desk",
                               start_date=datetime.date(2026, 1, 1), end_date=None)
    with tenant_context(tenant, user=manager):
        contract_services.contract_role_assign(contract=contract, actor=manager, role="account_manager", user=manager)
        contract_services.contract_role_assign(contract=contract, actor=manager, role="client_signatory",
                                               user=signatory)
        contract_services.contract_submit(contract=contract, actor=manager)
        contract = contract_services.contract_activate(contract=contract, actor=manager)
        act = services.act_create(actor=manager, contract=contract, period_start=datetime.date(2026, 1, 1),
                                  period_end=datetime.date(2026, 1, 31), language="en", basis=services.Basis.FEE)
        services.act_send(act=act, actor=manager)  # committed: the render task ran eagerly
        act.refresh_from_db()
    assert act.pdf_sha256
    return act, signatory


def test_the_signatory_signs_an_act_in_the_browser(live_server, page, act_to_sign):
    act, signatory = act_to_sign
    page.goto(f"{live_server.url}/portal/acts/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", signatory.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/portal/acts/")

    page.get_by_role("link", name=act.number).click()
    page.wait_for_url(f"**/portal/acts/{act.pk}/")
    state = page.get_by_test_id("act-state")
    sync_api.expect(state).to_have_text("Sent")
    sync_api.expect(page.locator("iframe.pdf-frame")).to_be_visible()

    page.select_option("#id_rating", "4")
    page.fill("#id_password", PASSWORD)
    page.check("#id_consent")
    page.get_by_role("button", name="Sign the act").click()

    sync_api.expect(state).to_have_text("Signed")
    sync_api.expect(page.locator(".messages")).to_contain_text(f"You signed act {act.number}")
    sync_api.expect(page.get_by_test_id("act-sealed-pdf")).to_be_visible()

    with tenant_context(act.tenant_id):
        act = Act.objects.select_related("evidence").get(pk=act.pk)
    assert act.state == "signed" and act.sealed_sha256
    assert act.evidence.signer == signatory and act.evidence.user_agent
