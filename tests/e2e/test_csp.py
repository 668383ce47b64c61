"""In a real browser, under the Content-Security-Policy: the API docs (Swagger UI) render their
operations and a signed-in page runs its scripts, with no CSP violation reported."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

sync_api = pytest.importorskip("playwright.sync_api")


def _violations(page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    return found


def test_the_swagger_ui_renders_under_the_csp(live_server, page, transactional_db):
    violations = _violations(page)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock-tag", timeout=20_000)
    # operations render (lazily, as one scrolls, once the schema is this large: ~140 operations)
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() >= 5
    assert violations == []


def test_a_signed_in_page_runs_its_scripts_under_the_csp(live_server, page, transactional_db):
    tenant = TenantFactory(name="Northwind IT")
    manager = UserFactory(username="pavel")
    MembershipFactory(tenant=tenant, user=manager, role="account_manager")
    violations = _violations(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")
    # static/js/app.js ran: it marks the document for its progressive enhancements
    assert page.evaluate("document.documentElement.classList.contains('js')")
    assert page.evaluate("typeof window.htmx") == "object"
    assert violations == []
