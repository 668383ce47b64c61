"""Every list whose rows grow with a tenant's history, of the API and of the pages, reads its first
page in index order: the plan of its page query has no Sort of the tenant's rows, so the page costs
the same with 50 rows as with 5,000,000 (issue 11: "composite indexes that start with `tenant_id` and
match each sort"). Rows that stay few (`SHORT`, by table, each with why) may be sorted.

Found by this test: the webhook delivery log (a row per event per endpoint), the incoming e-mail
list and the obligation occurrences sorted every row of the tenant for each page; the bell's unread
count, on every page, read every notification a user had ever had.

The plans are read with `enable_sort` and `enable_seqscan` off, so that PostgreSQL shows the index
path it has for a few rows; a Sort left in the plan means no index gives the list's order.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config.api_urls import router
from tenancy.models import Notification
from tests.conftest import postgres_only
from tests.query_counts_support import Scene
from tests.test_query_counts import PAGES, ROW_LISTS, _api_url, page_url

pytestmark = [pytest.mark.django_db, postgres_only("query plans of PostgreSQL")]

# Rows that stay few whatever a tenant's history, or that a list reads for one object only, so a
# sort of them is cheap: by the table the list reads.
SHORT = {
    "contracts_client": "a provider's clients: tens, hundreds at most",
    "contracts_provider": "the provider and its subcontractors",
    "contracts_amendment": "a few per contract and year",
    "contracts_obligation": "a few per contract (their occurrences are the list that grows)",
    "sla_forcemajeure": "rare events",
    "billing_creditnote": "corrections of issued invoices: rare",
    "confirmations_correctiveaction": "one per poorly rated act: a few a year per contract",
    "reviews_review": "four a year per contract at most; counted per review (GROUP BY), sorted after",
    "reviews_actionitem": "a review's plan: a handful per client and quarter",
    "disputes_dispute": "a few per contract and year",
    "disputes_disputecomment": "one dispute's messages",
    "disputes_disputedocument": "one dispute's documents",
    "orders_orderattachment": "one order's files",
    "orders_ordercomment": "one order's comments",
    "webhooks_endpoint": "a few per tenant",
    "tenancy_invitation": "the people a tenant invites: tens",
}
# what a list reads otherwise than in an order of its own: figures over a period, ranked search hits
NOT_IN_AN_ORDER = {"api-contract-sla-metrics": "one contract's figures for a period",
                   "search": "hits ranked by relevance to the words asked"}
# lists that are no list of rows, or whose rows the page query does not sort
NOT_PAGED = {"api-audit-verify", "api-audit-events", "api-accounting-export", "api-verify"}


def _lists() -> list[tuple[str, str]]:
    found = [(basename, "list") for _prefix, viewset, basename in router.registry
             if hasattr(viewset, "list") and basename not in NOT_PAGED]
    return [*found, *ROW_LISTS]


def _url(scene: Scene, basename: str, action: str) -> str:
    prefix = next(p for p, _v, b in router.registry if b == basename)
    if basename in {"api-member", "api-invitation", "api-webhook-endpoint", "api-webhook-delivery", "mail-inbound"}:
        return f"/api/v1/{prefix}/"
    return _api_url(scene, basename, action)


def _plans(api, url: str) -> list[tuple[str, str]]:
    """(ORDER BY …, plan) of each query of one GET that sorts and limits."""
    with CaptureQueriesContext(connection) as captured:
        answer = api.get(url)
    assert answer.status_code == 200, (url, answer.content[:300])
    plans = []
    raw = connection.connection.cursor()
    for query in captured.captured_queries:
        sql = query["sql"]
        if sql.startswith("SELECT set_config"):  # tenancy.rls: the tenant's settings, then the statement
            settings_sql, sql = sql.split("; ", 1)
            raw.execute(settings_sql)
        if not sql.startswith("SELECT") or not (order := re.search(r"ORDER BY (.*?) LIMIT (\d+)", sql, re.S)):
            continue
        if order.group(2) == "21" or 'FROM "tenancy_apikey"' in sql:  # one row by its key: the caller's API key
            continue
        raw.execute("SET LOCAL enable_sort = off")
        raw.execute("SET LOCAL enable_seqscan = off")
        table = re.search(r'FROM "(\w+)"', sql).group(1)
        if table in SHORT:
            continue
        raw.execute("EXPLAIN " + sql)
        plans.append((order.group(1), "\n".join(row[0] for row in raw.fetchall())))
    return plans


def _read(client, url: str, checked: set[str], sorting: list[str]) -> None:
    """GET `url`; note it as checked, and each of its page queries whose plan sorts."""
    for order, plan in _plans(client, url):
        checked.add(url)
        if _sorts(plan):
            sorting.append(f"{url} ORDER BY {order}\n" + "\n".join(line for line in plan.splitlines() if "Sort" in line))


def _sorts(plan: str) -> bool:
    """A Sort node: every row before the first. An Incremental Sort only orders the rows that tie on
    a prefix the index already gives (one contract's, one day's), and stops at the page's end."""
    return any(re.match(r"\s*(->\s*)?Sort\s+\(", line) for line in plan.splitlines())


def test_every_growing_list_reads_its_page_in_index_order(world_a, api_as, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATABASE_PREPARED_STATEMENTS = False  # the statements as SQL, to explain them
    scene = Scene(world_a)
    scene.grow(1)
    api = api_as(world_a, world_a.admin)
    checked: set[str] = set()
    sorting: list[str] = []
    for basename, action in _lists():
        if basename not in NOT_IN_AN_ORDER:
            _read(api, _url(scene, basename, action), checked, sorting)
    assert not sorting, "\n\n".join(sorting)
    assert len(checked) >= 19, sorted(checked)
    assert {"/api/v1/orders/", "/api/v1/breaches/", "/api/v1/webhook-deliveries/", "/api/v1/mail/inbound/",
            "/api/v1/obligation-occurrences/"} <= checked


def test_the_unread_count_reads_the_unread_rows_only(world_a):
    from django.utils import timezone

    with world_a.context(), connection.cursor() as cursor:
        Notification.objects.bulk_create([  # years of read notifications, two new ones
            Notification(tenant=world_a.tenant, user=world_a.admin, kind="test", title="Hi", dedupe_key=f"n{n}",
                         read_at=None if n < 2 else timezone.now()) for n in range(2000)])
        cursor.execute("ANALYZE tenancy_notification")
        sql, params = Notification.objects.filter(user=world_a.admin, read_at__isnull=True).values("id").query \
            .sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "notification_unread" in plan, plan


def test_every_page_that_lists_reads_its_rows_in_index_order(world_a, settings, tmp_path):
    """The pages' lists, as each role sees them (the same rule as the API's)."""
    from django.test import Client

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DATABASE_PREPARED_STATEMENTS = False
    scene = Scene(world_a)
    scene.grow(1)
    checked: set[str] = set()
    sorting: list[str] = []
    for name, (spec, who) in PAGES.items():
        if name in NOT_IN_AN_ORDER:
            continue
        client = Client()
        client.force_login(getattr(world_a, who))
        _read(client, page_url(spec)(scene), checked, sorting)
    assert not sorting, "\n\n".join(sorting)
    assert len(checked) >= 12, sorted(checked)
    assert {"/orders/", "/breaches/", "/acts/", "/notifications/", "/obligations/?show=open"} <= checked, sorted(checked)
