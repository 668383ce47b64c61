"""In a real browser: the client's signatory logs in to the portal, opens a sent act, rates the work,
re-enters the password (or asks for a one-time code without leaving the page), ticks the consent and
signs; the page then says "Signed" and the sealed PDF's stamp carries their name."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail

from confirmations import services
from confirmations.models import Act
from contracts import services as contract_services
from tenancy.context import tenant_context
from tests.confirmations.test_stamp import stamp_of
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
    return _sent_act("en")


def _sent_act(language: str):
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
                                  period_end=datetime.date(2026, 1, 31), language=language,
                                  basis=services.Basis.FEE)
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

    page.locator("label[for=id_rating_3]").click()  # the fourth star
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


TEXTS = {
    "en": {"sent": "Sent", "signed": "Signed", "code_sent": "Code sent to", "you_signed": "You signed act"},
    "ru": {"sent": "Отправлен", "signed": "Подписан", "code_sent": "Код отправлен на", "you_signed": "Вы подписали акт"},
}


@pytest.fixture
def act_in_language(transactional_db, request):
    return _sent_act(request.param)


@pytest.mark.parametrize("act_in_language", ["en", "ru"], indirect=True)
def test_the_signatory_signs_with_an_emailed_code_and_the_keyboard(live_server, act_in_language):
    act, signatory = act_in_language
    language = act.language
    texts = TEXTS[language]
    shots = Path(settings.BASE_DIR) / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            context = browser.new_context(locale="ru-RU" if language == "ru" else "en-GB", accept_downloads=True,
                                          viewport={"width": 375, "height": 800})
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.goto(f"{live_server.url}/portal/acts/{act.pk}/")
            page.wait_for_url("**/accounts/login/**")
            page.fill("#id_username", signatory.username)
            page.fill("#id_password", PASSWORD)
            page.press("#id_password", "Enter")
            page.wait_for_url(f"**/portal/acts/{act.pk}/")
            state = page.get_by_test_id("act-state")
            sync_api.expect(state).to_have_text(texts["sent"])
            # no horizontal scroll at 375 px
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

            page.locator("label[for=id_method_1]").click()  # "a code sent to my email"
            sync_api.expect(page.locator("#id_code")).to_be_visible()
            sync_api.expect(page.locator("#id_password")).to_be_hidden()
            page.evaluate("window.__stayed = true")
            mail.outbox.clear()
            page.get_by_test_id("send-code").click()
            status = page.get_by_test_id("code-status")
            sync_api.expect(status).to_contain_text(texts["code_sent"])
            sync_api.expect(status).to_contain_text(signatory.email)
            assert page.evaluate("window.__stayed === true")  # the page did not navigate
            assert page.url.endswith(f"/portal/acts/{act.pk}/")
            (message,) = mail.outbox
            code = re.search(r"\b(\d{6})\b", message.body).group(1)
            page.fill("#id_code", code)

            page.locator("#id_rating_0").focus()
            page.keyboard.press("Space")  # the first star
            for _ in range(3):
                page.keyboard.press("ArrowRight")
            sync_api.expect(page.locator("#id_rating_3")).to_be_checked()  # four stars
            page.check("#id_consent")
            page.screenshot(path=str(shots / f"sign-act-code-{language}.png"), full_page=True)
            page.locator("form button.btn-primary[type=submit]").click()

            sync_api.expect(state).to_have_text(texts["signed"])
            sync_api.expect(page.locator(".messages")).to_contain_text(act.number)
            link = page.get_by_test_id("act-sealed-pdf")
            sync_api.expect(link).to_be_visible()
            page.screenshot(path=str(shots / f"sign-act-signed-{language}.png"), full_page=True)
            with page.expect_download() as download:
                link.click()
            sealed = Path(download.value.path()).read_bytes()
        finally:
            browser.close()
    stamp = stamp_of(sealed)
    assert signatory.get_full_name() in stamp["text"]
    assert ("4 of 5" if language == "en" else "4 из 5") in stamp["text"]
    with tenant_context(act.tenant_id):
        act = Act.objects.select_related("evidence", "confirmation").get(pk=act.pk)
    assert act.state == "signed" and act.evidence.method == "email_code" and act.confirmation.rating == 4
