"""Panels of contracts' pages that the apps above contracts fill in.

The dashboard (`home`) and the client's portal (`portal`) are contracts' pages, but what they show
(the figures, the open orders with their clocks) is read from apps above it. contracts does not
import them: each of those apps registers a provider for a page in its `AppConfig.ready()`
(`register_panel`), and the view merges what the providers give into its template's context
(`panel_context`), in the order they were registered. A provider is `provider(request, **page)`,
`page` being what the view passes (e.g. `now`, `client`), and returns a dict of context.

    home    reviews: `dash` (the figures) and `contract_scope` (the contracts the user's home is about)
    portal  reviews: `dash`; orders: `open_orders` (with their clock badges)

The contract page's cards fill slots: an app registers a template and the function
that gives its context (`register_card(slot, template, context)`, `context(template_context,
contract)` as an inclusion tag's), and the page renders the slot (`{% load contract_panels %}
{% panel_cards "contract-side" contract %}`, contracts.templatetags.contract_panels):

    contract-side  sla: the SLA card (policies, force majeure, breaches)

With no provider a page still renders, with what contracts itself knows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Provider = Callable[..., dict]
_providers: dict[str, list[Provider]] = {}


def register_panel(page: str, provider: Provider) -> None:
    """Add `provider` to `page` (once: registering the same function again changes nothing)."""
    providers = _providers.setdefault(page, [])
    if provider not in providers:
        providers.append(provider)


def panel_context(page: str, request, **values) -> dict:
    """What the page's providers give, merged (a later provider's key wins)."""
    context: dict = {}
    for provider in _providers.get(page, ()):
        context.update(provider(request, **values))
    return context


@dataclass(frozen=True)
class Card:
    template: str
    context: Callable[..., dict]


_cards: dict[str, list[Card]] = {}


def register_card(slot: str, template: str, context: Callable[..., dict]) -> None:
    """Add a card to `slot` of a page (once: registering the same one again changes nothing)."""
    cards = _cards.setdefault(slot, [])
    card = Card(template=template, context=context)
    if card not in cards:
        cards.append(card)


def cards(slot: str) -> list[Card]:
    return list(_cards.get(slot, ()))
