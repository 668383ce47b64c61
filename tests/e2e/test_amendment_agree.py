"""In a real browser: the client's signatory logs in to the portal, opens an amendment the provider
proposed, re-enters the password, ticks the consent and agrees; the amendment, effective today, is
applied at once and the contract's page shows its second version."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from contracts import amendments
from contracts import services as contract_services
from contracts.models import Amendment, Contract
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
def amendment_to_agree(transactional_db):
    """An active contract and an amendment of its fee proposed by the account manager, effective
    today in the tenant's zone (so that agreeing applies it at once)."""
    tenant = TenantFactory(name="Northwind IT")
    client = ClientFactory(tenant=tenant, name="Uralsteel")
    manager = UserFactory(username="pavel", first_name="Pavel", last_name="Smirnov")
    signatory = UserFactory(username="signer", first_name="Sofia", last_name="Lebedeva")
    MembershipFactory(tenant=tenant, user=manager, role="account_manager")
    MembershipFactory(tenant=tenant, user=signatory, role="client_signatory", client=client)
    today = tenant.today()
    contract = ContractFactory(tenant=tenant, client=client, number="NW-AM-001", title="Service desk",
                               start_date=today - datetime.timedelta(days=10), end_date=None)
    with tenant_context(tenant, user=manager):
        contract_services.contract_role_assign(contract=contract, actor=manager, role="account_manager", user=manager)
        contract_services.contract_role_assign(contract=contract, actor=manager, role="client_signatory",
                                               user=signatory)
        contract_services.contract_submit(contract=contract, actor=manager)
        contract = contract_services.contract_activate(contract=contract, actor=manager)
        amendment = amendments.amendment_propose(contract=contract, actor=manager, effective_date=today,
                                                 reason="Two more sites", changes={"monthly_fee": "275000.00"})
    return amendment, signatory


def test_the_signatory_agrees_to_an_amendment_in_the_browser(live_server, page, amendment_to_agree):
    amendment, signatory = amendment_to_agree
    page.goto(f"{live_server.url}/portal/amendments/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", signatory.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/portal/amendments/")

    page.get_by_role("link", name=amendment.number).click()
    page.wait_for_url(f"**/portal/amendments/{amendment.pk}/")
    state = page.get_by_test_id("amendment-state")
    sync_api.expect(state).to_have_text("Proposed")
    sync_api.expect(page.locator("tr[data-term='monthly_fee']")).to_contain_text("275,000.00")

    page.fill("#id_password", "not my password")
    page.check("#id_consent")
    page.get_by_test_id("agree").click()
    sync_api.expect(page.locator("#agree")).to_contain_text("The password is wrong.")
    sync_api.expect(state).to_have_text("Proposed")

    page.fill("#id_password", PASSWORD)
    page.check("#id_consent")
    page.get_by_test_id("agree").click()
    sync_api.expect(state).to_have_text("Applied")
    sync_api.expect(page.locator(".messages")).to_contain_text(f"Amendment {amendment.number} is agreed.")

    page.get_by_role("link", name="NW-AM-001").click()
    sync_api.expect(page.locator("#versions li[data-version='2']")).to_be_visible()
    with tenant_context(amendment.tenant_id):
        amendment = Amendment.objects.select_related("consent").get(pk=amendment.pk)
        assert amendment.state == "applied" and amendment.consent.signer_id == signatory.pk
        assert Contract.objects.get(pk=amendment.contract_id).monthly_fee == 275000
    assert amendment.consent.signed_at <= timezone.now()
