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

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

from contracts.models import Client

from .models import Order, OrderSearchTerm

TERM_LENGTH = 64  # characters kept of a word (OrderSearchTerm.term); a longer word typed is cut alike
MAX_TERMS = 500  # distinct words kept per order: a pasted log in a description does not grow it without end
MAX_QUERY_WORDS = 8
FIELDS = ("number", "title", "description")  # the order's fields whose words are kept
RARE = 5000  # orders a word may have and still be the one the matches are read by (see `matching`)
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
    return words(*(getattr(order, name) for name in FIELDS))[:MAX_TERMS]


def terms_write(order: Order, *, new: bool = False) -> None:
    """Write the order's words, replacing those it had unless it is `new` (call inside the
    transaction that created the order or changed its title or description)."""
    if not new:
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


def _terms(word: str) -> QuerySet:
    return OrderSearchTerm.objects.filter(term__gte=word, term__lt=_after_prefix(word))


_PROBE_SQL = ("EXISTS (SELECT 1 FROM orders_ordersearchterm s WHERE s.order_id = orders_order.id "
              "AND s.tenant_id = orders_order.tenant_id AND s.term >= %s AND s.term < %s{fence})")


def _probe(word: str) -> RawSQL:
    """The order (the outer query's `orders_order` row) has a word that `word` begins: one look into
    its own few words through the index on `order_id`. `OFFSET 0` keeps PostgreSQL from turning the
    EXISTS into a join with every order that has such a word — for a common word, hundreds of
    thousands — so a page walks its sort's index and stops at the page's last order."""
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    return RawSQL(_PROBE_SQL.format(fence=fence), (word, _after_prefix(word)),  # noqa: S611 — the words are parameters
                  output_field=BooleanField())


def matching(queryset: QuerySet, text: str | None) -> QuerySet:
    """The orders of `queryset` for which every word of `text` begins a word of the order's number,
    title or description, or of its client's name. A text without a word (empty, punctuation)
    leaves the queryset as it is.

    Two ways, both read from indexes and bounded whatever the tenant's size: when a word is rare
    (at most RARE orders have it), or common words are rare together, those orders are the
    candidates — read from `(tenant, term, order)`, then sorted — and the other words are checked on
    them; otherwise at least one order in RARE / (orders of the tenant) matches, and the list walks
    its own sort order checking each order's words (`_probe`) until the page is full."""
    words_typed = query_words(text)
    if not words_typed:
        return queryset
    clients = _clients_by_word(words_typed)
    own = [word for word in words_typed if not clients[word]]  # words matched by the orders' words alone
    counts = {word: _terms(word).values("order_id")[: RARE + 1].count() for word in own}
    checked = list(words_typed)
    if own and min(counts.values()) <= RARE:
        rarest = min(own, key=counts.__getitem__)
        queryset = queryset.filter(pk__in=_terms(rarest).values("order_id")[:RARE])
        checked.remove(rarest)
    elif len(own) > 1:
        # common words each, perhaps rare together ("server mail"): their orders in common, when few
        together = _terms(own[0]).values_list("order_id", flat=True).intersection(
            *(_terms(word).values_list("order_id", flat=True) for word in own[1:]))
        ids = list(together[: RARE + 1])
        if len(ids) <= RARE:
            queryset = queryset.filter(pk__in=ids)
            checked = [word for word in checked if word not in own]
    for word in checked:
        condition = Q(_probe(word))
        if clients[word]:  # or an order of a client of that name
            condition |= Q(client_id__in=clients[word])
        queryset = queryset.filter(condition)
    return queryset
