"""Every page a person reaches by clicking, as each kind of user, in English and in Russian.

The demo data holds an object in almost every state; from the home page (and the portal's) the test
follows every link of this site, breadth first, and expects no server error anywhere. A Russian
plural once gave a 500 on one page only in `ru`: this is where such a page shows up.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlparse

import pytest
from django.core.management import call_command
from django.test import Client

from tests.test_project import mid_month  # noqa: F401 — the fixture

PASSWORD = "demo-pass-2026"  # noqa: S105 — the demo's printed password
USERS = ["nw-account-manager", "nw-admin", "nw-accountant", "nw-engineer", "nw-c1-signatory", "nw-c2-viewer"]
LANGUAGES = ["en", "ru"]
MAX_PAGES = 70  # per user and language: enough to reach every kind of page from the menus
SKIP = re.compile(r"^/(admin|api|static|i18n|accounts/logout)/|\.(pdf|csv|xlsx)$|/(pdf|sealed-pdf|export|download|"
                  r"report\.pdf|report\.csv|evidence)(/|$)")
HREF = re.compile(r'href="([^"]+)"')


def crawl(client: Client, start: str) -> dict[str, int]:
    seen, statuses, queue = {start}, {}, deque([start])
    while queue and len(statuses) < MAX_PAGES:
        path = queue.popleft()
        response = client.get(path)
        statuses[path] = response.status_code
        if response.status_code in (301, 302, 303) and response["Location"].startswith("/"):
            hrefs = [response["Location"]]  # e.g. the accountant's home is the billing desk
        elif response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        else:
            hrefs = HREF.findall(response.content.decode())
        for href in hrefs:
            href = urldefrag(href.replace("&amp;", "&"))[0]
            parsed = urlparse(href)
            if parsed.scheme or parsed.netloc or not href.startswith("/") or SKIP.search(parsed.path):
                continue
            # one page per route shape: /orders/12/ and /orders/13/ render the same template
            shape = re.sub(r"\d+", "N", parsed.path) + ("?" if parsed.query else "")
            if shape not in seen:
                seen.add(shape)
                queue.append(href)
    return statuses


@pytest.mark.django_db
def test_every_page_answers_without_a_server_error_for_every_role_in_both_languages(settings, tmp_path, mid_month):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo_data", "--quiet-logins")
    failures = []
    for username in USERS:
        for language in LANGUAGES:
            client = Client(headers={"accept-language": language})
            assert client.login(username=username, password=PASSWORD), username
            statuses = crawl(client, "/")
            assert len(statuses) > 5, (username, statuses)
            failures += [(username, language, path, status) for path, status in statuses.items() if status >= 500]
    assert failures == []
