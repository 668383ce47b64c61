"""Helpers of the browser journeys: a page in a language, signing in, screenshots, the product's own words."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.conf import settings
from django.utils import translation

from tests.factories import PASSWORD

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
LOCALES = {"en": "en-GB", "ru": "ru-RU"}


def t(language: str, message: str) -> str:
    """`message` as the product shows it in `language` (so a selector follows the translation)."""
    with translation.override(language):
        return str(translation.gettext(message))


def tp(language: str, context: str, message: str) -> str:
    with translation.override(language):
        return str(translation.pgettext(context, message))


@contextlib.contextmanager
def page_in(browser, language: str):
    context = browser.new_context(locale=LOCALES[language], extra_http_headers={"Accept-Language": language},
                                  accept_downloads=True)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page, base_url: str, user, language: str, *, next_path: str = "/") -> None:
    page.goto(f"{base_url}{next_path}")
    page.wait_for_url("**/accounts/login/**")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name=t(language, "Log in"), exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


class Shots:
    """var/screenshots/<test>-<lang>-<step>.png, steps numbered in order."""

    def __init__(self, test: str, language: str):
        self.test, self.language, self.count = test, language, 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, step: str) -> Path:
        self.count += 1
        path = SCREENSHOTS / f"{self.test}-{self.language}-{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path
