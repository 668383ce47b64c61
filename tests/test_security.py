"""Security headers on every page and the client's address behind trusted proxies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from config.middleware import client_ip

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def csp_of(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_pages_carry_a_csp_without_inline_scripts_and_a_permissions_policy(client, world_a):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    policy = csp_of(response)
    assert policy["script-src"] == "'self'"
    assert "unsafe-inline" not in policy["script-src"] and "unsafe-eval" not in policy["script-src"]
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


def test_the_api_answers_with_the_same_headers(world_a, api_as):
    response = api_as(world_a).get("/api/v1/clients/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_signed_in_pages_are_not_stored_by_caches(client, world_a):
    client.force_login(world_a.account_manager)
    response = client.get(reverse("contracts:contract-list"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_answers_to_anonymous_requests_keep_their_caching(rf):
    """Static files (served before authentication) and public pages are left cacheable."""
    from django.http import HttpResponse

    from config.middleware import SecurityHeadersMiddleware

    response = SecurityHeadersMiddleware(lambda request: HttpResponse("x"))(rf.get("/static/js/app.js"))
    assert "Cache-Control" not in response and "Content-Security-Policy" in response


def test_no_template_has_an_inline_script_or_event_handler():
    """The CSP allows scripts from our origin only: behaviour lives in static/js."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        for match in re.finditer(r"<script\b[^>]*>", text):
            tag = match.group(0)
            if "src=" not in tag and 'type="application/json"' not in tag:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {tag}")
        offenders += [f"{path.relative_to(TEMPLATES)}: {m.group(0)}"
                      for m in re.finditer(r"\son[a-z]+\s*=", text)]
        offenders += [f"{path.relative_to(TEMPLATES)}: javascript:" for _ in re.finditer(r"javascript:", text)]
    assert offenders == []


def test_the_api_docs_load_their_script_from_a_url_not_inline(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r"<script>\s*\S", html) is None, "an inline script would be blocked by the CSP"
    script = client.get("/api/docs/", {"script": ""})
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


# --- the client's address ---------------------------------------------------------------------


@pytest.mark.parametrize(("trusted", "forwarded", "expected"), [
    (0, "198.51.100.7", "10.0.0.1"),  # no proxy trusted: the header is the client's own words
    (1, "198.51.100.7", "198.51.100.7"),  # one proxy: it appended the address it saw
    (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # a forged hop to the left is ignored
    (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
    (2, "198.51.100.7", "10.0.0.1"),  # fewer hops than trusted proxies: not trusted
    (1, "not-an-address", "10.0.0.1"),
    (1, "", "10.0.0.1"),
])
def test_the_client_address_is_taken_from_the_trusted_proxies_only(trusted, forwarded, expected):
    meta = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_ip(meta, trusted) == expected


def test_a_forged_x_forwarded_for_does_not_bypass_the_verify_throttle(world_a):
    cache.clear()
    statuses = []
    for n in range(65):
        response = APIClient().post("/api/v1/verify/", {}, format="multipart",
                                    HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
        statuses.append(response.status_code)
    cache.clear()
    assert 429 in statuses, statuses


def test_behind_one_trusted_proxy_each_client_has_its_own_throttle(world_a, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    cache.clear()
    statuses = [APIClient().post("/api/v1/verify/", {}, format="multipart",
                                 HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(65)]
    cache.clear()
    assert 429 not in statuses
