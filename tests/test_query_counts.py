"""Queries per request do not grow with the rows: every list of the API and every page that lists rows
costs the same number of queries with N rows as with 3N.

The API's lists are found by walking the router (config/api_urls.py): a new viewset with a list, or a
new GET action under a row, fails `test_every_list_endpoint_is_guarded` until it is named here. The
pages are found the same way from the site's URLs without parameters. The rows come from
`tests.query_counts_support.Scene`, which grows every list (and the lists under its focus rows) by k.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver

from config.api_urls import router
from tests.clock import local_today
from tests.query_counts_support import Scene

N = 2
API = "/api/v1/"

# GET actions under a row that answer a file or a document, not a list of rows
NOT_LISTS = {"pdf", "sealed-pdf", "report", "export", "attachments/(?P<attachment_id>[0-9]+)/download",
             "documents/(?P<document_id>[0-9]+)/download"}
# list-level GET actions that answer a file
NOT_LIST_ACTIONS = {("api-invoice", "export")}
# viewsets with a list that is not a list of the tenant's rows
NOT_ROW_LISTS = {"api-audit-verify"}  # the chain's check: one pass over the chain, a report
# "members": the Scene grows no memberships; tests/tenancy/test_members.py counts its queries itself.
# "api-member", "api-invitation": likewise; tests/tenancy/test_people_api.py counts their queries itself.
NOT_YET_GUARDED = {"members", "api-member", "api-invitation"}

# the lists under one row: (basename, url_path) -> (focus kind, path after the row's id)
ROW_LISTS = {
    ("api-contract", "events"): ("contract", "events/"),
    ("api-order", "events"): ("order", "events/"),
    ("api-order", "comments"): ("order", "comments/"),
    ("api-order", "attachments"): ("order", "attachments/"),
    ("api-invoice", "events"): ("invoice", "events/"),
    ("api-act", "events"): ("act", "events/"),
    ("api-review", "items"): ("review", "items/"),
    ("api-dispute", "events"): ("dispute", "events/"),
    ("api-dispute", "comments"): ("dispute", "comments/"),
    ("api-dispute", "documents"): ("dispute", "documents/"),
}

# every page that lists rows: (name, url or (url pattern, focus kind), who looks)
PAGES = {
    "home": ("/", "account_manager"),
    "portal": ("/portal/", "client_admin"),
    "api-keys": ("/api-keys/", "admin"),
    "client-list": ("/clients/", "admin"),
    "provider-list": ("/providers/", "admin"),
    "contract-list": ("/contracts/", "admin"),
    "obligation-occurrences": ("/obligations/?show=open", "admin"),
    "obligation-templates": ("/obligations/templates/", "admin"),
    "amendment-list": ("/amendments/", "admin"),
    "portal-amendment-list": ("/portal/amendments/", "client_signatory"),
    "order-list": ("/orders/", "admin"),
    "portal-order-list": ("/portal/orders/", "client_admin"),
    "calendar-list": ("/sla/calendars/", "admin"),
    "breach-list": ("/breaches/", "admin"),
    "desk": ("/billing/", "accountant"),
    "portal-invoice-list": ("/portal/invoices/", "client_admin"),
    "act-list": ("/acts/", "admin"),
    "corrective-action-list": ("/corrective-actions/", "admin"),
    "portal-act-list": ("/portal/acts/", "client_signatory"),
    "review-list": ("/reviews/", "admin"),
    "portal-review-list": ("/portal/reviews/", "client_admin"),
    "item-list": ("/reviews/items/?show=all", "admin"),
    "portal-item-list": ("/portal/reviews/items/?show=all", "client_admin"),
    "dispute-list": ("/disputes/", "admin"),
    "portal-dispute-list": ("/portal/disputes/", "client_admin"),
    "list": ("/notifications/", "account_manager"),
    "audit": ("/audit/", "admin"),
    "search": ("/search/?q=printer", "admin"),
    "inbound-list": ("/mail/inbound/", "admin"),
    "outbound-list": ("/mail/outbound/", "admin"),
    "webhook-list": ("/webhooks/", "admin"),
    # pages of one row that list what is under it
    "contract-detail": (("/contracts/{}/", "contract"), "admin"),
    "contract-obligations": (("/contracts/{}/obligations/", "contract"), "admin"),
    "contract-sla": (("/contracts/{}/sla/", "contract"), "admin"),
    "rating-bands": (("/contracts/{}/rating-bands/", "contract"), "admin"),
    "portal-contract": (("/portal/contracts/{}/", "contract"), "client_admin"),
    "order-detail": (("/orders/{}/", "order"), "admin"),
    "portal-order-detail": (("/portal/orders/{}/", "order"), "client_admin"),
    "invoice-detail": (("/billing/invoices/{}/", "invoice"), "accountant"),
    "portal-invoice-detail": (("/portal/invoices/{}/", "invoice"), "client_admin"),
    "act-detail": (("/acts/{}/", "act"), "admin"),
    "portal-act-detail": (("/portal/acts/{}/", "act"), "client_signatory"),
    "review-detail": (("/reviews/{}/", "review"), "admin"),
    "portal-review-detail": (("/portal/reviews/{}/", "review"), "client_admin"),
    "dispute-detail": (("/disputes/{}/", "dispute"), "admin"),
    "portal-dispute-detail": (("/portal/disputes/{}/", "dispute"), "client_admin"),
}
# pages without parameters that list nothing: forms, actions, files, the login
NOT_LIST_PAGES = {"set_language", "login", "logout", "tenant-switch", "client-create", "provider-create",
                  "contract-create", "order-create", "portal-order-create", "calendar-create", "build",
                  "period-export", "act-create", "verify", "review-create", "dispute-create",
                  "portal-dispute-create", "read-all", "audit-export", "legal-details",
                  "invitation-create", "profile", "password_reset", "password_reset_done", "password_reset_complete",
                  "password_change", "password_change_done", "order-bulk", "saved-view-create", "api-key-created", "import", "import-confirm",
                  "import-template-xlsx", "import-template-csv",
                  "export"}  # the accounting export: a form that answers a file


# figures over the rows (their size need not grow with them)
SAME_SIZE = {("api-contract-sla-metrics", "list"),
             # a page of 25 due dates is already full with N units (each brings a monthly duty's
             # past and coming dates): 3N shows the next 25, no bigger; the query count still compares
             ("obligation-occurrences", "en"), ("obligation-occurrences", "ru")}


def api_lists() -> list[tuple[str, str]]:
    """(basename, url_path or 'list') of every GET list of the router."""
    found = []
    for _prefix, viewset, basename in router.registry:
        if hasattr(viewset, "list") and basename not in NOT_ROW_LISTS | NOT_YET_GUARDED:
            found.append((basename, "list"))
        for action in viewset.get_extra_actions():
            if "get" not in action.mapping or action.url_path in NOT_LISTS:
                continue
            if action.detail or (basename, action.url_path) not in NOT_LIST_ACTIONS:
                found.append((basename, action.url_path))
    return found


def list_pages() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.name

    return [name for route, name in walk(get_resolver().url_patterns)
            if not route.startswith(("api/", "admin/")) and "<" not in route and "(?P" not in route]


def test_every_list_endpoint_is_guarded():
    """A new list of the API (or a new GET under a row) must be added to the query-count test."""
    for basename, action in api_lists():
        assert action == "list" or (basename, action) in ROW_LISTS, (
            f"{basename} {action}: add it to ROW_LISTS (or NOT_LISTS if it is a file) in {__name__}")
    for name in list_pages():
        assert name in PAGES or name in NOT_LIST_PAGES | NOT_YET_GUARDED, (
            f"page {name!r}: add it to PAGES or NOT_LIST_PAGES")


def _api_url(scene: Scene, basename: str, action: str) -> str:
    prefix = next(p for p, _v, b in router.registry if b == basename)
    if basename == "api-contract-sla-metrics":
        contract = scene.focus["contract"]
        today = local_today(scene.world.tenant)
        return f"{API}contracts/{contract.pk}/sla-metrics/?from={contract.start_date}&to={today}"
    if basename == "api-audit-events":
        today = local_today(scene.world.tenant)
        return f"{API}{prefix}/?from={today - dt.timedelta(days=1)}&to={today}"
    if basename == "api-accounting-export":  # the month the scene's invoices and credit notes are issued in
        return f"{API}{prefix}/?period={local_today(scene.world.tenant):%Y-%m}"
    if action == "list":
        return f"{API}{prefix}/"
    kind, tail = ROW_LISTS[(basename, action)]
    return f"{API}{prefix}/{scene.focus[kind].pk}/{tail}"


def _queries(client, url: str) -> tuple[int, int]:
    """(queries, bytes) of one GET of `url`, after a first GET that warms what is written once."""
    client.get(url)  # the key's or session's first use of the minute is written once
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, (url, response.status_code, body[:500])
    return len(captured), len(body)


def _sql(captured) -> str:
    return "\n".join(q["sql"][:300] for q in captured)


@pytest.fixture
def scene(world_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Scene(world_a)


def _compare(scene: Scene, clients: dict, urls: dict) -> dict:
    scene.grow(N)
    few = {key: _queries(clients[key], url(scene)) for key, url in urls.items()}
    scene.grow(2 * N)
    many = {key: _queries(clients[key], url(scene)) for key, url in urls.items()}
    # the scene really grew every list (else the comparison proves nothing)
    still = [key for key in urls if many[key][1] <= few[key][1] and key not in SAME_SIZE]
    assert still == [], f"these lists did not grow with the scene: {still}"
    return {key: (few[key][0], many[key][0]) for key in urls if few[key][0] != many[key][0]}


@pytest.mark.django_db
def test_api_lists_cost_the_same_queries_with_n_and_3n_rows(scene, world_a, api_as):
    api = api_as(world_a, world_a.admin)
    lists = api_lists()
    urls = {key: (lambda s, key=key: _api_url(s, *key)) for key in lists}
    grown = _compare(scene, dict.fromkeys(lists, api), urls)
    assert grown == {}, f"queries grow with the rows (N rows, 3N rows): {grown}"


def page_url(spec):
    if isinstance(spec, str):
        return lambda scene: spec
    pattern, kind = spec
    return lambda scene: pattern.format(scene.focus[kind].pk)


@pytest.mark.django_db
def test_list_pages_cost_the_same_queries_with_n_and_3n_rows_in_both_languages(scene, world_a):
    clients, urls = {}, {}
    for language in ("en", "ru"):
        for name, (url, who) in PAGES.items():
            client = Client(headers={"accept-language": language})
            client.force_login(getattr(world_a, who))
            clients[(name, language)] = client
            urls[(name, language)] = page_url(url)

    grown = _compare(scene, clients, urls)
    assert grown == {}, f"queries grow with the rows (N rows, 3N rows): {grown}"
