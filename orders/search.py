"""Finding orders by the words typed: the orders list's search box, the API's `search`, the global search.

An order matches when every word typed is the beginning of one of its words (number, title,
description) or of its client's name: "acme serv 123" finds Acme's "Server down" numbered
ORD-2026-0123. Each order keeps its words in
`OrderSearchTerm`, one row per distinct word, written by the order services in the order's
transaction. A word is matched as a range on that column (`term >= 'serv' AND term < 'serw'`),
compared bytewise (the "C" collation on PostgreSQL, SQLite's default): the comparison functions are
LEAKPROOF, so under row-level security PostgreSQL runs the range as an index condition on
`(tenant, term, order)`. Full-text search (`@@`) and `LIKE` are not leakproof; the tenant policy's
security barrier keeps them out of every index, and they read all of a tenant's orders (docs/SCALING.md).
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from contracts.models import Client

from .models import Order, OrderSearchTerm

TERM_LENGTH = 64  # characters kept of a word (OrderSearchTerm.term); a longer word typed is cut alike
MAX_TERMS = 500  # distinct words kept per order: a pasted log in a description does not grow it without end
MAX_QUERY_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)
_SURROGATES = range(0xD800, 0xE000)


def words(*texts: str, unpadded: bool = True) -> list[str]:
    """The distinct lower-case words of `texts` in order of appearance, at most TERM_LENGTH characters
    each. With `unpadded`, a number with leading zeros also counts without them ("0123" is found by "123")."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in _WORD.findall((text or "").lower()):
            word = word[:TERM_LENGTH]
            seen.setdefault(word, None)
            if unpadded and word.isdigit() and word.startswith("0") and word.strip("0"):
                seen.setdefault(word.lstrip("0"), None)
    return list(seen)


def order_words(order: Order) -> list[str]:
    return words(order.number, order.title, order.description)[:MAX_TERMS]


def terms_write(order: Order) -> None:
    """Replace the order's words (call inside the transaction that changed its number, title or description)."""
    OrderSearchTerm.objects.filter(order_id=order.pk).delete()
    OrderSearchTerm.objects.bulk_create(
        [OrderSearchTerm(tenant_id=order.tenant_id, order_id=order.pk, term=term) for term in order_words(order)])


def query_words(text: str | None) -> list[str]:
    """The words of a query as they are matched: at most MAX_QUERY_WORDS, no repeats."""
    return words(text or "", unpadded=False)[:MAX_QUERY_WORDS]


def _after_prefix(word: str) -> str:
    """The least string greater than every string that starts with `word` (by code point)."""
    following = ord(word[-1]) + 1
    if following in _SURROGATES:
        following = _SURROGATES.stop
    return word[:-1] + chr(following)


def _clients_by_word(words_typed: list[str]) -> dict[str, list[int]]:
    """For each word, the tenant's clients with a word of their name that it begins (a tenant has
    hundreds of clients, not hundreds of thousands: read once, matched here)."""
    found: dict[str, list[int]] = {word: [] for word in words_typed}
    for pk, name in Client.objects.order_by().values_list("pk", "name"):
        name_words = words(name, unpadded=False)
        for word in words_typed:
            if any(candidate.startswith(word) for candidate in name_words):
                found[word].append(pk)
    return found


def matching(queryset: QuerySet, text: str | None) -> QuerySet:
    """The orders of `queryset` for which every word of `text` begins a word of the order's number,
    title or description, or of its client's name. A text without a word (empty, punctuation)
    leaves the queryset as it is."""
    words_typed = query_words(text)
    if not words_typed:
        return queryset
    clients = _clients_by_word(words_typed)
    for word in words_typed:
        ids = OrderSearchTerm.objects.filter(term__gte=word, term__lt=_after_prefix(word)).values("order_id")
        if clients[word]:  # or an order of such a client: one set of ids, still read from indexes
            ids = ids.union(Order.objects.filter(client_id__in=clients[word]).order_by().values("pk"), all=True)
        queryset = queryset.filter(pk__in=ids)
    return queryset
