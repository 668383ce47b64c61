"""Panels of contracts' pages that the apps above contracts fill in.

The dashboard (`home`) and the client's portal (`portal`) are contracts' pages, but what they show
(the figures, the open orders with their clocks) is read from apps above it. contracts does not
import them: each of those apps registers a provider for a page in its `AppConfig.ready()`
(`register_panel`), and the view merges what the providers give into its template's context
(`panel_context`), in the order they were registered. A provider is `provider(request, **page)`,
`page` being what the view passes (e.g. `now`, `client`), and returns a dict of context.

    home    reviews: `dash` (the figures) and `contract_scope` (the contracts the user's home is about)
    portal  reviews: `dash`; orders: `open_orders` (with their clock badges)

With no provider a page still renders, with what contracts itself knows.
"""

from __future__ import annotations

from collections.abc import Callable

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
