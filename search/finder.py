"""The global search: one query over orders, contracts, clients, acts and invoices of the current tenant.

Each kind asks its own app's selector for the rows the caller may see (a client user: their
client's rows, only what the portal shows them), then narrows them by the words typed. Orders,
the kind that grows to hundreds of thousands, are matched by the beginnings of their words from an
index (`orders.search`, the same match as the orders list's search box), newest first. Contracts and
clients, a few thousand rows at most: on PostgreSQL full-text search ('simple' configuration: it works
for Russian and English alike) plus a prefix match on numbers. Acts and invoices, which grow by a
few hundred a month: each word in the document's number or matching its contract, the contracts found
once per word (`_by_word`), newest first. On SQLite every word must appear (icontains) in one of the
fields. Each group is one query with its joins (no per-row query) and is cut at `LIMIT` rows.
"""

from __future__ import annotations

import functools
import operator
import re
import unicodedata
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from billing import selectors as billing_selectors
from billing.services import BILLING_READERS
from confirmations import selectors as act_selectors
from contracts import selectors as contract_selectors
from contracts.models import Client, Contract
from orders import search as order_search
from orders import selectors as order_selectors

MAX_QUERY_LENGTH = 200  # characters searched; the rest of a longer query is dropped (and the user told)
MAX_WORDS = 8
LIMIT = 5
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class CleanQuery:
    text: str  # what is searched
    words: list[str]
    truncated: bool

    @property
    def empty(self) -> bool:
        return not self.words


def clean_query(raw: str | None) -> CleanQuery:
    """The query as searched: trimmed, at most MAX_QUERY_LENGTH characters and MAX_WORDS words.
    A query of punctuation only has no words (and is not searched)."""
    text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in (raw or "")[:10 * MAX_QUERY_LENGTH])
    text = " ".join(text.split())  # no control characters (PostgreSQL refuses a NUL), single spaces
    truncated = len(text) > MAX_QUERY_LENGTH
    text = text[:MAX_QUERY_LENGTH].strip()
    words = [word for word in re.split(r"\s+", text) if WORD.search(word)][:MAX_WORDS]
    return CleanQuery(text=" ".join(words), words=words, truncated=truncated)


@dataclass
class Hit:
    title: str
    url: str
    subtitle: str = ""


@dataclass
class Group:
    kind: str
    label: str
    hits: list[Hit] = field(default_factory=list)
    more: bool = False
    more_url: str = ""


def _words_match(words: list[str], fields: tuple[str, ...]) -> Q:
    """Every word in at least one of `fields` (the SQLite way, and the number match on PostgreSQL)."""
    condition = Q()
    for word in words:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        condition &= any_field
    return condition


def _match(queryset: QuerySet, query: CleanQuery, *, tenant_id: int, number: str | None,
           text_fields: tuple[str, ...]) -> QuerySet:
    """The rows of `queryset` that match, best first. The tenant filter is explicit, beside the scoped
    manager and row-level security: a search is the one page that reads every kind of row at once."""
    queryset = queryset.filter(tenant_id=tenant_id)
    fields = ((number,) if number else ()) + text_fields
    if connection.vendor != "postgresql":
        return queryset.filter(_words_match(query.words, fields)).order_by("-id")
    vector = SearchVector(*text_fields, config="simple")
    search = SearchQuery(query.text, search_type="websearch", config="simple")
    condition = Q(_fts=search)
    if number:
        condition |= Q(**{f"{number}__istartswith": query.text}) | _words_match(query.words, (number,))
    return (queryset.annotate(_fts=vector, _rank=SearchRank(vector, search))
            .filter(condition).order_by("-_rank", "-id"))


# websearch syntax that a word-by-word match would not keep: a quoted phrase, "or", a word excluded
_SYNTAX = re.compile(r'"|^or$|^-', re.IGNORECASE)


def _by_word(query: CleanQuery, *, tenant_id: int) -> list[list[int]] | None:
    """For each word, the ids of the tenant's contracts that match it by their number, title or client's
    name (full text, or any part of the number), in one query over the contracts; None on SQLite or for
    a query with websearch syntax, which the documents match the old way (`_match`)."""
    if connection.vendor != "postgresql" or any(_SYNTAX.search(word) for word in query.words):
        return None
    flags = {f"_w{index}": ExpressionWrapper(
        Q(_fts=SearchQuery(word, search_type="websearch", config="simple")) | Q(number__icontains=word),
        output_field=BooleanField()) for index, word in enumerate(query.words)}
    rows = (Contract.objects.filter(tenant_id=tenant_id).order_by()
            .annotate(_fts=SearchVector("number", "title", "client__name", config="simple")).annotate(**flags)
            .filter(functools.reduce(operator.or_, (Q(**{name: True}) for name in flags)))
            .values_list("id", *flags))
    found: list[list[int]] = [[] for _ in query.words]
    for contract_id, *matches in rows:
        for index, match in enumerate(matches):
            if match:
                found[index].append(contract_id)
    return found


def _documents(queryset: QuerySet, query: CleanQuery, *, tenant_id: int, by_word: list[list[int]] | None) -> QuerySet:
    """Acts or invoices that match, newest first: every word is in the document's number, or matches its
    contract (number, title, client's name) — one of `by_word`'s contracts. Words may mix the two ("Север
    ACT-2026"). The contracts are the small table: the documents are read along the tenant's id index
    and checked with their number and contract id only, no text vector built per document, so the cost
    follows the contracts and the hits, not the years of documents. Without `by_word`, `_match`."""
    if by_word is None:
        return _match(queryset, query, tenant_id=tenant_id, number="number", text_fields=(
            "number", "contract__number", "contract__title", "client__name"))
    condition = Q()
    for word, contracts in zip(query.words, by_word, strict=True):
        condition &= Q(number__icontains=word) | Q(contract_id__in=contracts) if contracts else Q(number__icontains=word)
    return queryset.filter(tenant_id=tenant_id).filter(condition).order_by("-id")


def _cut(queryset: QuerySet) -> tuple[list, bool]:
    rows = list(queryset[: LIMIT + 1])
    return rows[:LIMIT], len(rows) > LIMIT


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


def search_all(*, query: CleanQuery, membership) -> list[Group]:
    """The groups of hits the member may open, in a fixed order (empty groups included)."""
    if query.empty:
        return []
    client_id = membership.client_id if membership.is_client_side else None
    portal = client_id is not None
    tenant_id = membership.tenant_id
    groups = []

    orders = order_selectors.order_list(client_id=client_id).prefetch_related(None).select_related(
        "contract", "client", "assignee")
    # by the orders' own words, as the orders list's search box that "more" opens (orders.search)
    rows, more = _cut(order_search.matching(orders.filter(tenant_id=tenant_id), query.text).order_by("-id"))
    group = Group("orders", _("Orders"), more=more)
    for order in rows:
        group.hits.append(Hit(
            title=f"{order.number} · {order.title}",
            url=reverse("orders:portal-order-detail" if portal else "orders:order-detail", args=[order.pk]),
            subtitle=" · ".join(part for part in (
                "" if portal else order.client.name, order.contract.number, order.get_state_display(),
                "" if portal else _person(order.assignee)) if part)))
    group.more_url = _list_url("orders:portal-order-list" if portal else "orders:order-list", query) if more else ""
    groups.append(group)

    contracts = contract_selectors.contract_list(client_scope=membership.client if portal else None)
    rows, more = _cut(_match(contracts, query, tenant_id=tenant_id, number="number", text_fields=("number", "title", "client__name")))
    group = Group("contracts", _("Contracts"), more=more,
                  more_url=_list_url("contracts:contract-list", query) if more and not portal else "")
    for contract in rows:
        group.hits.append(Hit(
            title=f"{contract.number} · {contract.title}",
            url=reverse("contracts:portal-contract" if portal else "contracts:contract-detail", args=[contract.pk]),
            subtitle=" · ".join(part for part in ("" if portal else contract.client.name,
                                                  contract.get_state_display()) if part)))
    groups.append(group)

    if not portal:
        clients = Client.objects.order_by("name")
        rows, more = _cut(_match(clients, query, tenant_id=tenant_id, number="tax_id", text_fields=("name", "legal_name", "tax_id")))
        group = Group("clients", _("Clients"), more=more,
                      more_url=_list_url("contracts:client-list", query) if more else "")
        for client in rows:
            group.hits.append(Hit(title=client.name, url=reverse("contracts:client-detail", args=[client.pk]),
                                  subtitle=" · ".join(p for p in (client.legal_name, client.tax_id) if p)))
        groups.append(group)

    by_word = _by_word(query, tenant_id=tenant_id)
    acts = act_selectors.act_list(client_id=client_id).select_related(None).select_related("contract", "client")
    rows, more = _cut(_documents(acts, query, tenant_id=tenant_id, by_word=by_word))
    group = Group("acts", _("Acts"), more=more)
    for act in rows:
        group.hits.append(Hit(
            title=act.number,
            url=reverse("confirmations:portal-act-detail" if portal else "confirmations:act-detail", args=[act.pk]),
            subtitle=" · ".join(p for p in ("" if portal else act.client.name, act.contract.number,
                                            act.get_state_display()) if p)))
    groups.append(group)

    if portal or membership.role in BILLING_READERS:
        invoices = billing_selectors.invoice_list(client_id=client_id)
        rows, more = _cut(_documents(invoices, query, tenant_id=tenant_id, by_word=by_word))
        group = Group("invoices", _("Invoices"), more=more)
        for invoice in rows:
            group.hits.append(Hit(
                title=invoice.number or str(_("Draft invoice")),
                url=reverse("billing:portal-invoice-detail" if portal else "billing:invoice-detail", args=[invoice.pk]),
                subtitle=" · ".join(p for p in ("" if portal else invoice.client.name, invoice.contract.number,
                                                invoice.get_state_display()) if p)))
        groups.append(group)
    return groups


def _list_url(name: str, query: CleanQuery) -> str:
    return f"{reverse(name)}?{urlencode({'q': query.text})}"
