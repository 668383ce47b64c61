"""In a real browser, in English and in Russian: an accountant opens last month's draft invoice, waives
one of its two SLA breaches with a reason (the draft is rebuilt without that penalty), issues the
invoice (confirming, should the product ask), downloads it as CSV and exports the month to 1C from
/accounting/export/. Screenshots: var/screenshots/test_accountant_journey-<lang>-<step>.png."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import Invoice
from sla.models import Breach
from tests.billing.support import breach, build
from tests.clock import add_months, local_today
from tests.conftest import build_world
from tests.disputes.support import contract_of
from tests.e2e.support import Shots, page_in, sign_in, t, tp

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def draft_with_breaches(transactional_db):
    """Last month's draft invoice of an active contract, charging two breaches (built before the browser)."""
    world = build_world("A")
    contract = contract_of(world, monthly_fee=Decimal("100000.00"), quality_share_pct=Decimal("20.00"),
                           penalty_cap_pct=Decimal("15.00"))
    month = add_months(local_today(world.tenant), -1)
    middle = dt.datetime.combine(month.replace(day=14), dt.time(12), tzinfo=dt.UTC)
    waived = breach(world, contract, penalty="5000.00", breached_at=middle)
    kept = breach(world, contract, penalty="1000.00", breached_at=middle + dt.timedelta(days=2))
    invoice = build(world, contract, period=month)
    assert invoice.subtotal == Decimal("94000.00")
    return world, invoice, waived, kept


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_accountant_waives_a_breach_issues_the_invoice_and_exports_it(  # noqa: PLR0915
        live_server, browser, draft_with_breaches, language, tmp_path):
    world, invoice, waived, kept = draft_with_breaches
    shot = Shots("test_accountant_journey", language)
    page_dialogs = []
    with page_in(browser, language) as page:
        page.on("dialog", lambda dialog: (page_dialogs.append(dialog.message), dialog.accept()))
        sign_in(page, live_server.url, world.accountant, language, next_path=f"/billing/invoices/{invoice.pk}/")
        page.wait_for_url(f"**/billing/invoices/{invoice.pk}/")
        badge = page.locator("h1 .badge")
        sync_api.expect(badge).to_have_text(t(language, "Draft"))
        sync_api.expect(page.locator(".evidence-breach")).to_have_count(2)
        shot(page, "draft")

        row = page.locator("tr", has=page.locator(f"input[name=breach][value='{waived.pk}']"))
        row.get_by_text(t(language, "Waive…")).click()
        row.locator("input[name=reason]").fill("The client's power cut, agreed on the call")
        shot(page, "waive-form")
        row.get_by_role("button", name=t(language, "Waive the breach")).click()
        sync_api.expect(page.locator(".messages")).to_contain_text(t(language, "The breach is waived and the draft rebuilt."))
        sync_api.expect(page.locator(f"input[name=breach][value='{waived.pk}']")).to_have_count(0)
        sync_api.expect(page.locator(f"input[name=breach][value='{kept.pk}']")).to_have_count(1)
        shot(page, "waived")

        # issuing is irreversible: the button opens a confirm step, which issues
        page.get_by_test_id("issue-confirm").locator("summary").click()
        shot(page, "issue-confirm")
        page.get_by_role("button", name=t(language, "Yes, issue the invoice")).click()
        page.wait_for_url(f"**/billing/invoices/{invoice.pk}/")
        sync_api.expect(page.locator("h1 .badge")).to_have_text(t(language, "Issued"))
        # the history names the states as the badge does, and "Void" is an action here, not the state
        sync_api.expect(page.locator(".timeline")).to_contain_text(f"{t(language, 'Draft')} → {t(language, 'Issued')}")
        sync_api.expect(page.locator("button[data-transition=void]")).to_have_text(tp(language, "button", "Void"))
        shot(page, "issued")

        with page.expect_download() as csv_download:
            page.get_by_role("link", name="CSV", exact=True).click()
        csv_path = tmp_path / f"invoice-{language}.csv"
        csv_download.value.save_as(csv_path)
        with world.context():
            issued = Invoice.objects.get(pk=invoice.pk)
        assert issued.number and issued.number in csv_path.read_text(encoding="utf-8-sig")

        page.goto(f"{live_server.url}/accounting/export/")
        page.fill("#id_period", local_today(world.tenant).strftime("%Y-%m"))  # the month it was issued in
        page.select_option("#id_format", "xml")
        shot(page, "export-form")
        with page.expect_download() as xml_download:
            page.get_by_role("button", name=t(language, "Export"), exact=True).click()
        xml_path = tmp_path / f"export-{language}.xml"
        xml_download.value.save_as(xml_path)
        exported = xml_path.read_bytes()
        assert exported and exported.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml")
        assert issued.number.encode() in exported

    with world.context():
        assert Breach.objects.get(pk=waived.pk).waived_reason == "The client's power cut, agreed on the call"
        assert Breach.objects.get(pk=kept.pk).waived_at is None
        assert issued.state == "issued" and issued.subtotal == Decimal("99000.00")
