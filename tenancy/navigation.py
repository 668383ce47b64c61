"""Which parts of the site a role may open, for the navigation: each app declares who may read it
once (a role set beside its services) and registers that set here under a name in its
`AppConfig.ready()`; the `tenancy` context processor gives templates `nav.<name>`, true when the
current membership's role is in the set. So a template reads the app's declaration (`{% if
nav.billing %}`) instead of a copy of its roles, and tenancy never imports the apps above it.

    billing            billing.services.BILLING_READERS           the billing desk
    audit              tenancy.audit_export.AUDIT_READERS          the audit trail
    accounting_export  integrations.accounting.roles.ACCOUNTING_EXPORTERS
    webhooks           integrations.webhooks.api.WEBHOOK_MANAGERS  the webhook endpoints
"""

from __future__ import annotations

from collections.abc import Iterable

_readers: dict[str, frozenset[str]] = {}


def register_nav(name: str, roles: Iterable[str]) -> None:
    """The roles that may open the part of the site called `name` (registering again replaces them)."""
    _readers[name] = frozenset(roles)


def nav_flags(role: str | None) -> dict[str, bool]:
    """{name: may this role open it} for every registered part."""
    return {name: role in roles for name, roles in _readers.items()}
