"""In a real browser, in English and in Russian: an administrator invites a new engineer from the
members page; the invitee opens the link from the e-mail, sets a password and lands signed in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail

from tenancy.context import tenant_context
from tenancy.models import Membership
from tests.factories import PASSWORD, MembershipFactory, TenantFactory, UserFactory

sync_api = pytest.importorskip("playwright.sync_api")

SCREENSHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
NEW_PASSWORD = "copper-meadow-58-lanterns"


@pytest.fixture
def organisation(transactional_db):
    tenant = TenantFactory(name="Northwind IT")
    admin = UserFactory(username="olga", first_name="Olga", last_name="Ivanova")
    MembershipFactory(tenant=tenant, user=admin, role="admin")
    return tenant, admin


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_admin_invites_a_member_who_sets_a_password_and_lands_signed_in(live_server, page, organisation,
                                                                            settings, language):
    tenant, admin = organisation
    settings.SITE_URL = live_server.url  # the mail's links point at this server
    page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])

    page.goto(f"{live_server.url}/organisation/members/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", admin.username)
    page.fill("#id_password", PASSWORD)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url("**/organisation/members/")
    sync_api.expect(page.locator("html")).to_have_attribute("lang", language)
    sync_api.expect(page.locator("nav.mainnav a[href='/organisation/members/']")).to_have_class(re.compile("active"))

    page.fill("#id_email", "nina.orlova@example.com")
    page.fill("#id_first_name", "Nina")
    page.fill("#id_last_name", "Orlova")
    page.select_option("#id_role", "engineer")
    sync_api.expect(page.locator("#id_language")).to_have_value(language)  # the page's language by default
    page.locator("form[action$='/organisation/invitations/'] button[type=submit]").click()
    page.wait_for_url("**/organisation/members/")
    sync_api.expect(page.locator(".messages")).to_contain_text("nina.orlova@example.com")
    sync_api.expect(page.locator("[data-invitation='nina.orlova@example.com']")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"members-{language}.png"), full_page=True)

    [message] = mail.outbox
    assert message.to == ["nina.orlova@example.com"]
    assert ("You are invited" if language == "en" else "Приглашение") in message.subject
    link = re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)
    assert link.startswith(live_server.url)

    # the invitee, in a browser of their own
    invitee = page.context.browser.new_context(locale="ru-RU" if language == "ru" else "en-GB")
    try:
        tab = invitee.new_page()
        tab.set_default_timeout(15_000)
        tab.goto(link)
        sync_api.expect(tab.locator("html")).to_have_attribute("lang", language)
        sync_api.expect(tab.locator("h1")).to_contain_text("Northwind IT")
        tab.screenshot(path=str(SCREENSHOTS / f"accept-invitation-{language}.png"), full_page=True)
        tab.fill("#id_password1", NEW_PASSWORD)
        tab.fill("#id_password2", NEW_PASSWORD)
        tab.locator("main form button[type=submit]").click()
        tab.wait_for_url(f"{live_server.url}/")
        sync_api.expect(tab.locator(".user-menu summary")).to_have_text("Nina Orlova")
        sync_api.expect(tab.get_by_test_id("current-tenant")).to_contain_text("Northwind IT")
        sync_api.expect(tab.locator(".messages")).to_contain_text("Northwind IT")
        sync_api.expect(tab.locator("html")).to_have_attribute("lang", language)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"invite-member-{language}.png"), full_page=True)
        # the link is spent
        tab.goto(link)
        sync_api.expect(tab.get_by_test_id("invitation-gone")).to_have_attribute("data-code", "used")
    finally:
        invitee.close()

    with tenant_context(tenant):
        membership = Membership.objects.select_related("user").get(user__email="nina.orlova@example.com")
    assert membership.role == "engineer" and membership.is_active
    assert membership.user.profile.language == language
