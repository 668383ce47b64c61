"""In Chromium, on the demo data: axe-core (vendored in tests/e2e/vendor/, no CDN) finds no serious or
critical violation on the main pages, in the light and the dark colour scheme, as a manager, as a
client's signatory and signed out; and in Russian at 375 px and 1440 px no page scrolls sideways and
an order's actions sit above its comments on a phone. Screenshots go to var/screenshots/."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

pytest.importorskip("playwright.sync_api")

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
PASSWORD = "demo-pass-2026"  # noqa: S105 — the demo's printed password
MANAGER, SIGNATORY = "nw-account-manager", "nw-c1-signatory"


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    """The demo data, loaded as on the middle of this month (see tests/test_every_page.py), and the
    paths of one object of each kind the pages show. Built before the browser starts."""
    import time_machine
    from django.utils import timezone

    from billing.models import Invoice
    from confirmations.models import Act
    from contracts.models import Contract
    from orders.models import Order, OrderComment
    from tenancy.context import tenant_context
    from tenancy.models import Membership, Tenant

    settings.MEDIA_ROOT = tmp_path / "media"
    moscow = zoneinfo.ZoneInfo("Europe/Moscow")
    today = timezone.now().astimezone(moscow).date()
    with time_machine.travel(dt.datetime.combine(today.replace(day=15), dt.time(12), tzinfo=moscow), tick=True):
        call_command("demo_data", "--quiet-logins")
    tenant = Tenant.objects.get(slug="northwind")
    with tenant_context(tenant):
        client_id = Membership.objects.get(user__username=SIGNATORY, tenant=tenant).client_id
        commented = OrderComment.objects.values_list("order_id", flat=True).first()
        order = Order.objects.get(pk=commented) if commented else Order.objects.first()
        portal_order = Order.objects.filter(client_id=client_id).order_by("-pk").first()
        contract = Contract.objects.filter(state="active").first()
        act = Act.objects.exclude(state="draft").first()
        portal_act = Act.objects.filter(client_id=client_id).exclude(state="draft").first()
        invoice = Invoice.objects.first()
        portal_invoice = Invoice.objects.filter(client_id=client_id).exclude(state="draft").first()
    manager_pages = ["/", "/orders/", f"/orders/{order.pk}/", "/contracts/", f"/contracts/{contract.pk}/",
                     "/acts/", f"/acts/{act.pk}/", "/billing/", f"/billing/invoices/{invoice.pk}/", "/reviews/",
                     "/reviews/items/?show=all"]
    portal_pages = ["/portal/", "/portal/orders/", f"/portal/orders/{portal_order.pk}/", "/portal/acts/",
                    "/portal/invoices/", "/portal/reviews/items/?show=all"]
    if portal_act:
        portal_pages.append(f"/portal/acts/{portal_act.pk}/")
    if portal_invoice:
        portal_pages.append(f"/portal/invoices/{portal_invoice.pk}/")
    return {"manager": manager_pages, "portal": portal_pages, "order": f"/orders/{order.pk}/",
            "portal_order": f"/portal/orders/{portal_order.pk}/"}


def new_page(browser, *, locale="en-GB", width=1280, height=900, scheme="light"):
    # bypass_csp: axe is injected by the test, not served by the site (whose CSP stays strict)
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height},
                                  color_scheme=scheme, bypass_csp=True)
    context.set_default_timeout(20_000)
    return context.new_page()


def log_in(page, base_url: str, username: str | None) -> None:
    page.goto(f"{base_url}/accounts/login/")
    if username is None:
        return
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def axe_violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n')[1])
        }));
    }""")


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


def test_the_main_pages_have_no_serious_accessibility_violations_in_light_and_dark(live_server, demo, browser):
    found = []
    for scheme in ("light", "dark"):
        for who, username, paths in (("anonymous", None, ["/accounts/login/"]), ("manager", MANAGER, demo["manager"]),
                                     ("signatory", SIGNATORY, demo["portal"])):
            page = new_page(browser, scheme=scheme)
            log_in(page, live_server.url, username)
            for path in paths:
                response = page.goto(f"{live_server.url}{path}")
                assert response.status == 200, (who, path, response.status)
                shot(page, f"a11y-{scheme}-{who}-{slug(path)}")
                found += [f"{scheme} {who} {path}: [{v['impact']}] {v['id']} — {v['help']}: {v['nodes']}"
                          for v in axe_violations(page)]
            page.context.close()
    assert found == [], "\n".join(found)


def too_wide(page) -> list[str]:
    """The outermost elements that stick out on the right, to name in a failure."""
    return page.evaluate("""() => {
        const out = [];
        for (const el of document.querySelectorAll('body *')) {
            const r = el.getBoundingClientRect();
            if (r.right > window.innerWidth + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > window.innerWidth + 1)) {
                out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.') + ' ' + Math.round(r.right));
            }
        }
        return out.slice(0, 5);
    }""")


def overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("width", [375, 1440])
def test_in_russian_no_main_page_scrolls_sideways_and_a_phone_shows_the_order_actions_first(
        live_server, demo, browser, width):
    wide = []
    for username, paths in ((MANAGER, demo["manager"]), (SIGNATORY, demo["portal"])):
        page = new_page(browser, locale="ru-RU", width=width, height=800)
        page.set_extra_http_headers({"Accept-Language": "ru"})
        log_in(page, live_server.url, username)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            assert page.locator("html").get_attribute("lang") == "ru"
            shot(page, f"layout-ru-{width}-{username}-{slug(path)}")
            if width == 1440 and path in ("/orders/", "/portal/orders/"):  # every column in sight
                assert page.evaluate("() => [...document.querySelectorAll('.table-wrap')]"
                                     ".every(w => w.scrollWidth <= w.clientWidth)"), f"{path}: a column is cut off"
            if (extra := overflow(page)) > 0:
                wide.append(f"{username} {path}: {extra}px too wide, by {too_wide(page)}")
        if width == 375:
            for path in (demo["order"] if username == MANAGER else demo["portal_order"],):
                page.goto(f"{live_server.url}{path}")
                actions = page.locator('[data-testid="order-actions"]').bounding_box()
                comments = page.locator("#comments").bounding_box()
                if actions and comments:
                    assert actions["y"] < comments["y"], (path, actions, comments)
                assert actions and actions["y"] < 800, (path, actions)  # on the first screen
        if width == 1440:
            menu = page.locator("nav.mainnav")
            box = menu.bounding_box()
            assert page.evaluate("(nav) => nav.scrollWidth <= nav.clientWidth", menu.element_handle()), "menu cut off"
            assert box["x"] >= 0
        page.context.close()
    # a user of two organisations: the switcher stays on the screen
    page = new_page(browser, locale="ru-RU", width=width, height=800)
    page.set_extra_http_headers({"Accept-Language": "ru"})
    log_in(page, live_server.url, "manager")
    switcher = page.locator("#tenant-switch").bounding_box()
    assert switcher and switcher["x"] >= 0 and switcher["x"] + switcher["width"] <= width, switcher
    assert overflow(page) <= 0, too_wide(page)
    shot(page, f"layout-ru-{width}-manager-switcher")
    page.context.close()
    assert wide == [], "\n".join(wide)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_on_a_phone_the_menu_folds_behind_one_button_that_names_the_section(live_server, demo, browser, language):
    from tests.e2e.support import t

    page = new_page(browser, locale="ru-RU" if language == "ru" else "en-GB", width=375, height=800)
    page.set_extra_http_headers({"Accept-Language": language})
    log_in(page, live_server.url, MANAGER)
    page.goto(f"{live_server.url}/orders/")
    nav, toggle = page.locator("nav.mainnav"), page.locator("nav.mainnav .nav-toggle")
    contracts = page.locator("nav.mainnav a[href='/contracts/']")
    assert toggle.is_visible() and not contracts.is_visible()
    assert nav.bounding_box()["height"] < 60  # one row, not six
    assert toggle.get_attribute("aria-expanded") == "false"
    assert t(language, "Menu") in toggle.inner_text() and t(language, "Orders") in toggle.inner_text()
    shot(page, f"phone-menu-{language}-closed")

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and contracts.is_visible()
    shot(page, f"phone-menu-{language}-open")
    page.keyboard.press("Escape")
    assert not contracts.is_visible()
    assert page.evaluate("() => document.activeElement.classList.contains('nav-toggle')")

    toggle.click()
    contracts.click()
    page.wait_for_url(f"{live_server.url}/contracts/")
    assert t(language, "Contracts") in page.locator("nav.mainnav .nav-toggle").inner_text()

    page.set_viewport_size({"width": 1440, "height": 900})  # on a wide screen: every link, no button
    assert not page.locator("nav.mainnav .nav-toggle").is_visible()
    assert page.locator("nav.mainnav a[href='/orders/']").is_visible()
    page.context.close()
